/**
 * A raw-socket SSE server for the perf harness's timestamp-error figure: it answers every chat
 * request with `max_tokens` token chunks, one every `itlMs` on absolute deadlines, written
 * straight to the TCP socket with the chunk's send time (`x_sent_ms`) taken just before the
 * write. With no HTTP stack between the stamp and the socket, the gap between a chunk's stamp
 * and its arrival is the client's alone, which separates the client's timestamp error from the
 * embedded server's.
 *
 * Usage: `deno run --allow-net bench/stamp_server.ts [itlMs]`; prints
 * `Listening on http://127.0.0.1:PORT` once bound.
 *
 * @module
 */

const enc = new TextEncoder();
const dec = new TextDecoder();
const HEAD = enc.encode(
  "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
);

/** One SSE event as an HTTP/1.1 chunk. */
function chunk(data: string): Uint8Array {
  const payload = `data: ${data}\n\n`;
  const bytes = enc.encode(payload);
  return enc.encode(`${bytes.length.toString(16)}\r\n${payload}\r\n`);
}

const sleepUntil = (t: number) =>
  new Promise<void>((r) => setTimeout(r, Math.max(0, t - performance.now())));

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/** Read one request (head and content-length body); null at end of stream. */
async function readRequest(conn: Deno.Conn, buf: { bytes: Uint8Array }): Promise<string | null> {
  const tmp = new Uint8Array(16 * 1024);
  while (true) {
    const text = dec.decode(buf.bytes);
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      const len = Number(/content-length:\s*(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
      const headBytes = enc.encode(text.slice(0, end + 4)).length;
      if (buf.bytes.length >= headBytes + len) {
        const body = dec.decode(buf.bytes.subarray(headBytes, headBytes + len));
        buf.bytes = buf.bytes.slice(headBytes + len);
        return body;
      }
    }
    const n = await conn.read(tmp);
    if (n === null) return null;
    const next = new Uint8Array(buf.bytes.length + n);
    next.set(buf.bytes);
    next.set(tmp.subarray(0, n), buf.bytes.length);
    buf.bytes = next;
  }
}

async function serveConn(conn: Deno.Conn, itlMs: number): Promise<void> {
  const buf = { bytes: new Uint8Array(0) };
  try {
    while (true) {
      const body = await readRequest(conn, buf);
      if (body === null) return;
      const n = Math.max(1, Number(JSON.parse(body).max_tokens ?? 10));
      await writeAll(conn, HEAD);
      const t0 = performance.now();
      for (let k = 0; k < n; k++) {
        await sleepUntil(t0 + k * itlMs);
        const sent = performance.timeOrigin + performance.now();
        await writeAll(
          conn,
          chunk(
            `{"choices":[{"index":0,"delta":{"content":"t${k} "}}],"x_sent_ms":${sent.toFixed(3)}}`,
          ),
        );
      }
      await writeAll(
        conn,
        chunk(`{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":${n}}}`),
      );
      await writeAll(conn, chunk("[DONE]"));
      await writeAll(conn, enc.encode("0\r\n\r\n"));
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

/** Serve on 127.0.0.1 at a free port until the process ends. */
export async function serveStamps(itlMs: number): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log(`Listening on http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`);
  for await (const conn of listener) {
    conn.setNoDelay(true);
    serveConn(conn, itlMs);
  }
}

if (import.meta.main) await serveStamps(Number(Deno.args[0] ?? 10));
