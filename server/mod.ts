/**
 * The embedded FakeAI-compatible server: start it in this process.
 *
 * ```ts ignore
 * import { startServer } from "./server/mod.ts";
 * import { DEFAULT_SERVER_OPTIONS } from "./server/options.ts";
 * const server = await startServer({ ...DEFAULT_SERVER_OPTIONS, port: 0 });
 * console.log(server.url); // http://127.0.0.1:PORT
 * await server.shutdown();
 * ```
 *
 * @module
 */

import { ConfigError } from "../util/errors.ts";
import { createHandler } from "./app.ts";
import { errorResponse, HttpError } from "./http.ts";
import type { ServerOptions } from "./options.ts";
import { createState } from "./state.ts";

export type { ServerOptions } from "./options.ts";
export { DEFAULT_SERVER_OPTIONS, parseServeArgs, serveHelp } from "./options.ts";

/** A started server. */
export interface RunningServer {
  /** Base URL to connect to, e.g. "http://127.0.0.1:8000", no trailing slash. */
  url: string;
  /** The bound TCP port (the real one when started with port 0). */
  port: number;
  /** PID of the process serving (this process). */
  pid: number;
  /** Stop accepting, cut in-flight streams and waits, and resolve when closed. */
  shutdown(): Promise<void>;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
}

/**
 * Format a host for use inside a URL: IPv6 in brackets, wildcard addresses
 * replaced by the matching loopback address so the URL can be connected to.
 *
 * @param host the bound host.
 * @returns the URL host part.
 */
export function urlHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "[::1]";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/**
 * Start the embedded server in this process.
 *
 * @param opts server options (see `server/options.ts`).
 * @returns the running server.
 * @throws {ConfigError} when the address cannot be bound.
 */
export function startServer(opts: ServerOptions): Promise<RunningServer> {
  const state = createState(opts);
  const handler = createHandler(state);
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: opts.host,
      port: opts.port,
      onListen() {},
      onError() {
        return errorResponse(
          new HttpError(
            500,
            "The server had an internal error.",
            null,
            "server_error",
            "internal_error",
          ),
        );
      },
    }, handler);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return Promise.reject(
      new ConfigError(`cannot listen on ${opts.host}:${opts.port}: ${why}`, { cause: err }),
    );
  }
  const port = server.addr.port;
  let stopping: Promise<void> | null = null;
  return Promise.resolve({
    url: `http://${urlHost(opts.host)}:${port}`,
    port,
    pid: Deno.pid,
    shutdown(): Promise<void> {
      if (stopping === null) {
        state.clock.close();
        stopping = server.shutdown();
      }
      return stopping;
    },
    finished: server.finished,
  });
}
