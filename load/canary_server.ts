/**
 * The stamping canary's server (`load/canary.ts` reads it): stamped token streams on 127.0.0.1,
 * served from a Web Worker of the program. It imports nothing, so the worker that runs it holds
 * only this module.
 *
 * @module
 */

/** The canary's gap between chunks (ms). */
export const CANARY_ITL_MS = 10;

const enc = new TextEncoder();
const dec = new TextDecoder();
const LF = 10;
const HEAD = enc.encode(
  "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
);

/** One SSE event as an HTTP/1.1 chunk. */
function chunk(data: string): Uint8Array {
  const event = enc.encode(`data: ${data}\n\n`);
  const head = enc.encode(`${event.length.toString(16)}\r\n`);
  const out = new Uint8Array(head.length + event.length + 2);
  out.set(head);
  out.set(event, head.length);
  out.set([13, LF], head.length + event.length);
  return out;
}

const END = enc.encode("0\r\n\r\n");

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/** The request body's `max_tokens` (default 10), once a whole request is buffered, or null. */
function takeRequest(buf: { bytes: Uint8Array }): number | null {
  const bytes = buf.bytes;
  for (let i = bytes.indexOf(LF); i >= 0; i = bytes.indexOf(LF, i + 1)) {
    if (i < 3 || bytes[i - 1] !== 13 || bytes[i - 2] !== LF || bytes[i - 3] !== 13) continue;
    const head = dec.decode(bytes.subarray(0, i + 1));
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (bytes.length < i + 1 + length) return null;
    const body = dec.decode(bytes.subarray(i + 1, i + 1 + length));
    buf.bytes = bytes.slice(i + 1 + length);
    try {
      return Math.max(1, Number(JSON.parse(body).max_tokens) || 10);
    } catch {
      return 10;
    }
  }
  return null;
}

/** Answer the requests of one connection until it closes. */
async function serveConn(conn: Deno.Conn, itlMs: number): Promise<void> {
  const buf = { bytes: new Uint8Array(0) };
  const room = new Uint8Array(16 * 1024);
  try {
    while (true) {
      let tokens = takeRequest(buf);
      while (tokens === null) {
        const n = await conn.read(room);
        if (n === null) return;
        const more = new Uint8Array(buf.bytes.length + n);
        more.set(buf.bytes);
        more.set(room.subarray(0, n), buf.bytes.length);
        buf.bytes = more;
        tokens = takeRequest(buf);
      }
      await writeAll(conn, HEAD);
      const t0 = performance.now();
      for (let k = 0; k < tokens; k++) {
        const due = t0 + k * itlMs;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        // The stamp is taken just before the write: nothing of this side's own delays is in
        // the gap between two stamps and their arrivals. On the epoch's scale, so a client
        // can also set it against its own clock (delivery time).
        const sent = performance.timeOrigin + performance.now();
        await writeAll(
          conn,
          chunk(`{"choices":[{"index":0,"delta":{"content":"t${k} "}}],"x_sent_ms":${sent}}`),
        );
      }
      await writeAll(
        conn,
        chunk(`{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":${tokens}}}`),
      );
      await writeAll(conn, chunk("[DONE]"));
      await writeAll(conn, END);
    }
  } catch {
    // the client went away
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

/**
 * Serve stamped token streams on 127.0.0.1 at a free port: every request (any path) is
 * answered with its `max_tokens` chunks, one every `itlMs`, on absolute deadlines. Returns the
 * port once bound; serves until the process (or worker) ends.
 */
export function serveCanary(itlMs: number = CANARY_ITL_MS): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) {
      conn.setNoDelay(true);
      serveConn(conn, itlMs);
    }
  })();
  return (listener.addr as Deno.NetAddr).port;
}

/** The message that asks a worker to serve the canary. */
export interface CanaryRequest {
  /** Always `canary`. */
  kind: "canary";
  /** Gap between chunks (ms). */
  itlMs: number;
}

/** A worker's answer to a {@linkcode CanaryRequest}. */
export interface CanaryReady {
  /** Always `canary-ready`. */
  kind: "canary-ready";
  /** The port it serves on (127.0.0.1). */
  port: number;
}

/**
 * Make this worker the canary's server: it answers a {@linkcode CanaryRequest} with
 * {@linkcode CanaryReady} once it serves.
 */
export function canaryWorker(): void {
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<CanaryRequest>) => void) | null;
    postMessage(m: CanaryReady): void;
  };
  scope.onmessage = (e) => {
    if (e.data.kind !== "canary") return;
    scope.postMessage({ kind: "canary-ready", port: serveCanary(e.data.itlMs) });
  };
}
