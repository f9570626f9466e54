/**
 * The parse queue: a read only copies its chunk; parsing waits for a microtask, runs in arrival
 * order across streams with each chunk's own read time, and a parse error stops its stream.
 */
import assert from "node:assert/strict";
import { ParseQueue, SeriesPool, StreamState } from "../../net/stream.ts";
import { ENDPOINT_DEFS } from "../../net/endpoints.ts";
import { emptyRecord } from "../../measure/record.ts";

const enc = new TextEncoder();
const chunk = (content: string) =>
  enc.encode(`data: {"choices":[{"index":0,"delta":{"content":"${content}"}}]}\n\n`);
const state = (maxEvent = 1 << 20) =>
  new StreamState(
    emptyRecord(0, null),
    0,
    { keepAllText: true },
    ENDPOINT_DEFS.chat,
    maxEvent,
    1 << 20,
  );

Deno.test("a queued chunk is parsed after the read, with its own read time, in order", async () => {
  const q = new ParseQueue();
  const a = state(), b = state();
  // The reader reuses its buffer: the queue must have copied what it was given.
  const buf = new Uint8Array(256);
  const first = chunk("one");
  buf.set(first);
  q.push(a, buf.subarray(0, first.length), 10);
  buf.fill(0);
  q.push(b, chunk("two"), 11);
  q.push(a, chunk("three"), 12);
  assert.equal(a.tokenEvents + b.tokenEvents, 0, "nothing parsed on the read path");
  await Promise.resolve();
  assert.deepEqual([a.tokenEvents, b.tokenEvents], [2, 1]);
  assert.deepEqual([a.first, a.last, b.first], [10, 12, 11]);
  assert.equal(a.allText, "onethree");
});

Deno.test("flush parses at once; a parse error stops the stream and its next read", () => {
  const q = new ParseQueue();
  const ok = state(), bad = state(64);
  let stopped = 0;
  bad.stopRead = () => stopped++;
  q.push(bad, chunk("x".repeat(100)), 1);
  q.push(ok, chunk("fine"), 2);
  q.flush();
  assert.equal(ok.tokenEvents, 1, "another stream's chunks are still parsed");
  assert.match(String(bad.parseError), /exceeded 64 bytes/);
  assert.equal(stopped, 1);
  assert.throws(() => q.push(bad, chunk("more"), 3), /exceeded 64 bytes/);
});

Deno.test("a burst larger than the pool grows it and is parsed whole", () => {
  const q = new ParseQueue();
  const st = state();
  const n = 2000; // about 130 KB, over the 64 KB the pool starts with
  for (let i = 0; i < n; i++) q.push(st, chunk(`t${i % 10}`), i);
  q.flush();
  assert.equal(st.tokenEvents, n);
  assert.equal(st.last, n - 1);
});

Deno.test("a stream's series grow past their pooled buffer, and a reused buffer starts empty", () => {
  const q = new ParseQueue();
  const pool = new SeriesPool();
  const stamped = (k: number) =>
    enc.encode(
      `data: {"choices":[{"index":0,"delta":{"content":"t"}}],"x_sent_ms":${1000 + k}}\n\n`,
    );
  const make = () =>
    new StreamState(
      emptyRecord(0, null),
      0,
      { keepStamps: true },
      ENDPOINT_DEFS.chat,
      1 << 20,
      1 << 20,
      pool,
    );
  const a = make();
  const n = 300; // several doublings of a new buffer
  for (let k = 0; k < n; k++) q.push(a, stamped(k), 2 * k);
  q.flush();
  const itl = a.itl();
  assert.equal(itl.length, n - 1);
  assert.ok(itl.every((g) => g === 0.002), "every gap is 2 ms");
  const kept = a.stamps();
  assert.ok(kept !== null);
  assert.equal(kept.stamps.length, n);
  assert.deepEqual([kept.stamps[0], kept.stamps[n - 1]], [1000, 1000 + n - 1]);
  assert.deepEqual([kept.times[0], kept.times[n - 1]], [0, (2 * (n - 1)) / 1000]);
  assert.equal(a.allText, null, "no text kept unless asked");
  a.release();
  // The next stream takes the released buffers: it must see none of the old values.
  const b = make();
  q.push(b, stamped(0), 5);
  q.push(b, stamped(1), 9);
  q.flush();
  assert.deepEqual(b.itl(), [0.004]);
  assert.deepEqual(b.stamps()?.stamps, [1000, 1001]);
  assert.deepEqual(itl.length, n - 1, "what a record took is its own copy");
});

Deno.test("a batch smaller than the one before parses only its own chunks", () => {
  const q = new ParseQueue();
  const a = state(), b = state();
  for (let i = 0; i < 3; i++) q.push(a, chunk(`a${i}`), i);
  q.flush();
  q.push(b, chunk("b0"), 10);
  q.flush();
  q.flush(); // nothing queued: nothing parsed again
  assert.deepEqual([a.tokenEvents, b.tokenEvents], [3, 1]);
  assert.equal(a.allText, "a0a1a2");
  assert.equal(b.allText, "b0");
  assert.equal(b.last, 10);
});
