/**
 * A trivial fixed-response chat-completions server for the perf harness: every request gets
 * the same small completion, after an optional fixed delay.
 *
 * With a delay, the server also times each request itself, from the call of its handler to
 * the hand-over of the response: the delay as the server's timers really gave it. `GET
 * /_server_time` answers that time's median and 99th percentile (ms, interpolated like every
 * percentile of this project) over the requests since the previous call, so a load
 * generator's latency can be set against what the server spent.
 *
 * Usage: `deno run --allow-net bench/trivial_server.ts [delayMs]`; prints
 * `Listening on http://127.0.0.1:PORT` once bound.
 *
 * @module
 */

import { percentileSorted } from "../measure/summary.ts";

/** The fixed completion every request receives. */
export const FIXED_BODY: string = JSON.stringify({
  id: "chatcmpl-perf",
  object: "chat.completion",
  created: 0,
  model: "perf",
  choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

/** What `GET /_server_time` answers. */
export interface ServerTime {
  /** Requests timed since the previous call. */
  requests: number;
  /** Median handler time (ms). */
  p50_ms: number | null;
  /** 99th percentile handler time (ms). */
  p99_ms: number | null;
}

/** Serve the fixed completion on 127.0.0.1 at a free port, after `delayMs` per request. */
export function serveTrivial(delayMs = 0): Deno.HttpServer<Deno.NetAddr> {
  const bytes = new TextEncoder().encode(FIXED_BODY);
  const headers = { "content-type": "application/json" };
  const reply = () => new Response(bytes, { headers });
  let times: number[] = [];
  const serverTime = (): Response => {
    const sorted = Float64Array.from(times).sort();
    times = [];
    const body: ServerTime = {
      requests: sorted.length,
      p50_ms: sorted.length ? percentileSorted(sorted, 0.5) : null,
      p99_ms: sorted.length ? percentileSorted(sorted, 0.99) : null,
    };
    return Response.json(body);
  };
  const delayed = (req: Request): Response | Promise<Response> => {
    if (req.method === "GET" && req.url.endsWith("/_server_time")) return serverTime();
    const t0 = performance.now();
    return new Promise<Response>((r) =>
      setTimeout(() => {
        if (times.length < 10_000_000) times.push(performance.now() - t0);
        r(reply());
      }, delayMs)
    );
  };
  return Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      onListen: (a) => console.log(`Listening on http://127.0.0.1:${a.port}`),
    },
    // The request body is never read (the HTTP layer discards it): the server does as little
    // as it can, so that a client's capacity, not the server's, is what gets measured.
    delayMs > 0 ? delayed : reply,
  );
}

if (import.meta.main) serveTrivial(Number(Deno.args[0] ?? 0));
