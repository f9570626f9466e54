/**
 * `deno bench bench/sse_bench.ts`: SSE parsing, the per-chunk hot path of every stream.
 *
 * @module
 */

import { SseParser } from "../net/sse.ts";
import { sseFixture } from "../engine/selftest.ts";

const EVENTS = 10_000;
const big = sseFixture(EVENTS, 4096);
const small = sseFixture(EVENTS, 64);
// One event per read, as a server flushing every token delivers them.
const perEvent = (() => {
  const enc = new TextEncoder();
  const one = enc.encode(
    `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" tok"}}]}\n\n`,
  );
  return Array.from({ length: EVENTS }, () => one);
})();

function parse(pieces: Uint8Array[]): number {
  let n = 0;
  const p = new SseParser(() => n++);
  for (const piece of pieces) p.push(piece, 0);
  p.end(0);
  if (n !== EVENTS) throw new Error(`parsed ${n} events, expected ${EVENTS}`);
  return n;
}

Deno.bench({
  name: "SseParser: 10k events in 4 KiB reads",
  group: "sse",
  baseline: true,
  fn: () => {
    parse(big);
  },
});
Deno.bench({
  name: "SseParser: 10k events in 64-byte reads (lines split across reads)",
  group: "sse",
  fn: () => {
    parse(small);
  },
});
Deno.bench({
  name: "SseParser: 10k events, one read per event",
  group: "sse",
  fn: () => {
    parse(perEvent);
  },
});
Deno.bench({
  name: "SseParser + JSON.parse of every event (the client's full per-event work)",
  group: "sse",
  fn: () => {
    let n = 0;
    const p = new SseParser((e) => {
      n += JSON.parse(e.data).choices.length;
    });
    for (const piece of big) p.push(piece, 0);
    p.end(0);
    if (n !== EVENTS) throw new Error("lost events");
  },
});
