/**
 * A trivial fixed-response chat-completions server for the perf harness: every request gets
 * the same small completion, after an optional fixed delay.
 *
 * Usage: `deno run --allow-net bench/trivial_server.ts [delayMs]`; prints
 * `Listening on http://127.0.0.1:PORT` once bound.
 *
 * @module
 */

/** The fixed completion every request receives. */
export const FIXED_BODY: string = JSON.stringify({
  id: "chatcmpl-perf",
  object: "chat.completion",
  created: 0,
  model: "perf",
  choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

/** Serve the fixed completion on 127.0.0.1 at a free port, after `delayMs` per request. */
export function serveTrivial(delayMs = 0): Deno.HttpServer<Deno.NetAddr> {
  const bytes = new TextEncoder().encode(FIXED_BODY);
  const headers = { "content-type": "application/json" };
  const reply = () => new Response(bytes, { headers });
  return Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      onListen: (a) => console.log(`Listening on http://127.0.0.1:${a.port}`),
    },
    // The request body is never read (the HTTP layer discards it): the server does as little
    // as it can, so that a client's capacity, not the server's, is what gets measured.
    delayMs > 0 ? () => new Promise<Response>((r) => setTimeout(() => r(reply()), delayMs)) : reply,
  );
}

if (import.meta.main) serveTrivial(Number(Deno.args[0] ?? 0));
