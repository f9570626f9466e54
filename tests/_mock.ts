/**
 * A throw-away HTTP server on a free loopback port for tests.
 *
 * @module
 */

/** A running mock server. */
export interface Mock {
  /** Base URL. */
  url: string;
  /** Stop it. */
  close(): Promise<void>;
}

/** Serve `handler` on 127.0.0.1 at a free port (it also gets the connection's info). */
export function mockServer(
  handler: (
    req: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ) => Response | Promise<Response>,
): Mock {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  const addr = server.addr as Deno.NetAddr;
  return { url: `http://127.0.0.1:${addr.port}`, close: () => server.shutdown() };
}

const enc = new TextEncoder();

/** A streaming response that sends `parts` with the given delays (ms) before each. */
export function timedStream(parts: [number, string][], opts: { cut?: boolean } = {}): Response {
  const body = new ReadableStream<Uint8Array>({
    async start(c) {
      for (const [delay, text] of parts) {
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        c.enqueue(enc.encode(text));
      }
      if (opts.cut) c.error(new Error("cut"));
      else c.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

/** An SSE data event. */
export const ev = (obj: unknown): string => `data: ${JSON.stringify(obj)}\n\n`;

/** A chat chunk with a content delta. */
export const tok = (content: string): string => ev({ choices: [{ index: 0, delta: { content } }] });
