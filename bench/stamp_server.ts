/**
 * A raw-socket SSE server for the perf harness's timestamp-error figure: it answers every chat
 * request with `max_tokens` token chunks, one every `itlMs` on absolute deadlines, written
 * straight to the TCP socket with the chunk's send time (`x_sent_ms`, epoch ms) taken just
 * before the write. With no HTTP stack between the stamp and the socket, the gap between a
 * chunk's stamp and its arrival is the client's alone, which separates the client's timestamp
 * error from the embedded server's. It is the server of the run's stamping canary
 * (`load/canary_server.ts`), in a process of its own.
 *
 * Usage: `deno run --allow-net bench/stamp_server.ts [itlMs]`; prints
 * `Listening on http://127.0.0.1:PORT` once bound.
 *
 * @module
 */

import { serveCanary } from "../load/canary_server.ts";

if (import.meta.main) {
  const port = serveCanary(Number(Deno.args[0] ?? 10));
  console.log(`Listening on http://127.0.0.1:${port}`);
}
