/**
 * `fakeai-bench serve`: run the embedded server in the foreground.
 *
 * @module
 */

import { startServer } from "./mod.ts";
import type { ServerOptions } from "./options.ts";

const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM"];

/**
 * Start the server, print `Listening on http://HOST:PORT/` as the first line of
 * stdout, log nothing per request, and stop gracefully on SIGINT, SIGTERM or
 * the abort signal.
 *
 * @param opts server options.
 * @param signal optional abort signal that stops the server.
 * @returns the exit code, 0 after a clean stop.
 */
export async function serveCommand(opts: ServerOptions, signal?: AbortSignal): Promise<number> {
  const server = await startServer(opts);
  const host = opts.host.includes(":") && !opts.host.startsWith("[") ? `[${opts.host}]` : opts.host;
  const line = `Listening on http://${host}:${server.port}/\n`;
  await Deno.stdout.write(new TextEncoder().encode(line));
  const stop = () => {
    void server.shutdown();
  };
  const added: Deno.Signal[] = [];
  for (const sig of SIGNALS) {
    try {
      Deno.addSignalListener(sig, stop);
      added.push(sig);
    } catch {
      // signal not supported on this platform
    }
  }
  signal?.addEventListener("abort", stop, { once: true });
  if (signal?.aborted) stop();
  try {
    await server.finished;
  } finally {
    for (const sig of added) Deno.removeSignalListener(sig, stop);
    signal?.removeEventListener("abort", stop);
  }
  return 0;
}
