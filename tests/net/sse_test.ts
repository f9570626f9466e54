import assert from "node:assert/strict";
import { readSse, type SseEvent, SseParser } from "../../net/sse.ts";

const enc = new TextEncoder();

function parseChunks(chunks: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const p = new SseParser((e) => events.push(e));
  chunks.forEach((c, i) => p.push(enc.encode(c), i));
  p.end(chunks.length);
  return events;
}

Deno.test("an event split across reads is stamped with the read that completed it", () => {
  const ev = parseChunks(["da", 'ta: {"a"', ":1}\n", "\n"]);
  assert.equal(ev.length, 1);
  assert.equal(ev[0].data, '{"a":1}');
  assert.equal(ev[0].t, 3);
});

Deno.test("several events in one read", () => {
  const ev = parseChunks(["data: 1\n\ndata: 2\n\ndata: [DONE]\n\n"]);
  assert.deepEqual(ev.map((e) => e.data), ["1", "2", "[DONE]"]);
  assert.ok(ev.every((e) => e.t === 0));
});

Deno.test("CRLF, lone CR and a CRLF split across reads", () => {
  assert.deepEqual(parseChunks(["data: a\r\n\r\ndata: b\r\r"]).map((e) => e.data), ["a", "b"]);
  const split = parseChunks(["data: x\r", "\n\r", "\ndata: y\n\n"]);
  assert.deepEqual(split.map((e) => e.data), ["x", "y"]);
});

Deno.test("comments, other fields and multi-line data", () => {
  const ev = parseChunks([": keep-alive\n", "event: msg\nid: 7\ndata: l1\ndata: l2\nretry: 5\n\n"]);
  assert.equal(ev.length, 1);
  assert.equal(ev[0].data, "l1\nl2");
  assert.equal(ev[0].event, "msg");
  assert.equal(ev[0].id, "7");
});

Deno.test("no trailing blank line: the last event is still dispatched", () => {
  assert.deepEqual(parseChunks(["data: 1\n\ndata: [DONE]"]).map((e) => e.data), ["1", "[DONE]"]);
  assert.deepEqual(parseChunks(["data: 1\n\ndata: [DONE]\n"]).map((e) => e.data), ["1", "[DONE]"]);
});

Deno.test("field without a space after the colon, and a field with no colon", () => {
  const ev = parseChunks(["data:nospace\ndata\n\n"]);
  assert.equal(ev[0].data, "nospace\n");
});

Deno.test("multi-byte UTF-8 split across reads survives", () => {
  const bytes = enc.encode("data: héllo ✓\n\n");
  const events: SseEvent[] = [];
  const p = new SseParser((e) => events.push(e));
  for (let i = 0; i < bytes.length; i++) p.push(bytes.subarray(i, i + 1), i);
  p.end(bytes.length);
  assert.equal(events[0].data, "héllo ✓");
});

Deno.test("readSse yields events of a byte stream", async () => {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(enc.encode("data: a\n\nda"));
      c.enqueue(enc.encode("ta: b\n\n"));
      c.close();
    },
  });
  const got: string[] = [];
  for await (const e of readSse(body)) got.push(e.data);
  assert.deepEqual(got, ["a", "b"]);
});
