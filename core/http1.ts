/**
 * A lean HTTP/1.1 client on `Deno.connect`: a keep-alive connection pool per origin, requests
 * written in one buffer, `content-length`, chunked and read-to-close bodies, and body bytes
 * handed to the caller with the arrival time of the read that brought them (for SSE).
 *
 * It exists because `fetch` costs several times more CPU per request than the load it has to
 * generate (see `bench/perf.ts`); {@linkcode ChatClient} uses it by default.
 *
 * @module
 */

import { concatBytes } from "./sse.ts";

/** Why an exchange failed below HTTP. */
export type Http1ErrorKind = "connect" | "closed" | "protocol" | "cancelled";

/** A transport failure of {@linkcode Http1Pool}: no connection, connection lost, bad framing. */
export class Http1Error extends Error {
  /** What went wrong. */
  readonly kind: Http1ErrorKind;

  /** Create an error of the given kind. */
  constructor(kind: Http1ErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "Http1Error";
    this.kind = kind;
  }
}

const CR = 13;
const LF = 10;
const INITIAL_BUFFER = 4 * 1024;
const MAX_HEAD = 64 * 1024;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** One TCP (or TLS) connection with its read buffer; unread bytes are `buf[r..w)`. */
class Conn {
  readonly tcp: Deno.Conn;
  buf = new Uint8Array(INITIAL_BUFFER);
  /** Request bytes are rendered here. */
  wbuf = new Uint8Array(1024);
  r = 0;
  w = 0;
  /** Arrival time (ms) of the last read. */
  t = 0;
  closed = false;

  constructor(tcp: Deno.Conn) {
    this.tcp = tcp;
  }

  /** Read more bytes into the buffer (compacting or growing it). Returns false at EOF. */
  async fill(): Promise<boolean> {
    if (this.r === this.w) {
      this.r = 0;
      this.w = 0;
    } else if (this.w === this.buf.length) {
      if (this.r > 0) {
        this.buf.copyWithin(0, this.r, this.w);
        this.w -= this.r;
        this.r = 0;
      } else {
        const bigger = new Uint8Array(this.buf.length * 2);
        bigger.set(this.buf.subarray(0, this.w));
        this.buf = bigger;
      }
    }
    // An empty buffer is read into whole, without a new view of it.
    const n = await this.tcp.read(this.w === 0 ? this.buf : this.buf.subarray(this.w));
    this.t = performance.now();
    if (n === null) return false;
    this.w += n;
    return true;
  }

  async writeAll(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.tcp.write(bytes.subarray(off));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.tcp.close();
    } catch {
      // already closed
    }
  }
}

/** Options of {@linkcode Http1Pool}. */
export interface Http1PoolOptions {
  /** Idle connections kept for reuse (default 1024). */
  maxIdle?: number;
}

/** A request to send: method, path, extra header lines and a body. */
export interface Http1Request {
  /** `GET`, `POST`… */
  method: string;
  /** Path and query, starting with `/`. */
  path: string;
  /** Extra headers (names as written). */
  headers: Record<string, string>;
  /** Body: bytes, or text sent as UTF-8. */
  body?: Uint8Array | string;
}

/**
 * A response whose head has arrived. Read its body exactly once with
 * {@linkcode Http1Response.text} or {@linkcode Http1Response.stream}; until then (or until
 * {@linkcode Http1Response.cancel}) the connection is held.
 */
export interface Http1Response {
  /** HTTP status. */
  readonly status: number;
  /** A header value (name in lower case), or null. Repeated headers are joined with `, `. */
  header(name: string): string | null;
  /** The whole body as text. */
  text(): Promise<string>;
  /**
   * Hand every piece of the body to `onData` with the arrival time (ms, `performance.now()`)
   * of the read that brought it. The bytes are valid only during the call.
   */
  stream(onData: (bytes: Uint8Array, t: number) => void): Promise<void>;
  /** Abandon the exchange: the connection is closed and a pending read rejects. */
  cancel(): void;
}

/** A keep-alive pool of HTTP/1.1 connections to one origin (`http:` or `https:`). */
export class Http1Pool {
  readonly #hostname: string;
  readonly #port: number;
  readonly #tls: boolean;
  readonly #hostHeader: string;
  readonly #maxIdle: number;
  readonly #idle: Conn[] = [];
  readonly #busy = new Set<Conn>();
  /** Encoded request-line-and-headers prefixes, per header object (callers reuse theirs). */
  readonly #prefixes = new WeakMap<
    Record<string, string>,
    { method: string; path: string; bytes: Uint8Array }
  >();
  #closed = false;

  /** Create a pool for the origin of `baseUrl`. */
  constructor(baseUrl: string, opts: Http1PoolOptions = {}) {
    const url = new URL(baseUrl);
    this.#tls = url.protocol === "https:";
    this.#hostname = url.hostname.replace(/^\[|\]$/g, "");
    this.#port = url.port ? Number(url.port) : this.#tls ? 443 : 80;
    this.#hostHeader = url.host;
    this.#maxIdle = opts.maxIdle ?? 1024;
  }

  /** Connections open now (idle and busy). */
  get open(): number {
    return this.#idle.length + this.#busy.size;
  }

  /** Close every connection; later requests fail. */
  close(): void {
    this.#closed = true;
    for (const c of this.#idle) c.close();
    for (const c of this.#busy) c.close();
    this.#idle.length = 0;
    this.#busy.clear();
  }

  /**
   * Send a request and wait for the response head. A request on a reused connection that
   * the server had already closed is retried once on a new connection. `onConn` receives a
   * canceller as soon as a connection is assigned (for timeouts and aborts).
   * Throws {@linkcode Http1Error}.
   */
  async request(
    req: Http1Request,
    onCancel?: (cancel: () => void) => void,
  ): Promise<Http1Response> {
    for (let attempt = 0;; attempt++) {
      const reused = this.#idle.length > 0;
      const conn = reused ? this.#idle.pop()! : await this.#connect(onCancel);
      this.#busy.add(conn);
      let cancelled = false;
      onCancel?.(() => {
        cancelled = true;
        this.#drop(conn);
      });
      try {
        // Read while the write completes: a small request is written at once, and waiting
        // for the write first would cost one more turn of the event loop.
        const wrote = conn.writeAll(this.#render(req, conn));
        wrote.catch(() => {});
        const head = await readHead(conn);
        if (head !== null) await wrote;
        if (head === null) {
          this.#drop(conn);
          if (reused && attempt === 0 && !cancelled) continue;
          throw new Http1Error("closed", "connection closed before a response arrived");
        }
        return this.#response(conn, head, () => cancelled);
      } catch (err) {
        this.#drop(conn);
        if (cancelled) throw new Http1Error("cancelled", "request cancelled", { cause: err });
        if (err instanceof Http1Error) throw err;
        if (reused && attempt === 0 && conn.w === 0) continue;
        throw new Http1Error("closed", errMessage(err), { cause: err });
      }
    }
  }

  #render(req: Http1Request, conn: Conn): Uint8Array {
    let prefix = this.#prefixes.get(req.headers);
    if (prefix === undefined || prefix.method !== req.method || prefix.path !== req.path) {
      let head = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${this.#hostHeader}\r\n`;
      for (const name in req.headers) head += `${name}: ${req.headers[name]}\r\n`;
      prefix = { method: req.method, path: req.path, bytes: enc.encode(head) };
      this.#prefixes.set(req.headers, prefix);
    }
    const p = prefix.bytes;
    const body = req.body ?? "";
    // Layout: [prefix][content-length line][body]. The body is encoded in place first (its
    // byte length is known only then); the length line and prefix go right before it.
    const gap = p.length + 40;
    const need = gap + (typeof body === "string" ? body.length * 3 : body.length);
    // The connection's own write buffer: one request at a time per connection, and the write
    // has completed before the response is handed over.
    if (conn.wbuf.length < need) conn.wbuf = new Uint8Array(Math.max(need, conn.wbuf.length * 2));
    const out = conn.wbuf;
    let length: number;
    if (typeof body === "string") length = enc.encodeInto(body, out.subarray(gap)).written;
    else {
      out.set(body, gap);
      length = body.length;
    }
    const line = enc.encode(`content-length: ${length}\r\n\r\n`);
    const start = gap - line.length - p.length;
    out.set(p, start);
    out.set(line, gap - line.length);
    return out.subarray(start, gap + length);
  }

  async #connect(onCancel?: (cancel: () => void) => void): Promise<Conn> {
    if (this.#closed) throw new Http1Error("connect", "client closed");
    let cancel: () => void = () => {};
    const cancelled = new Promise<never>((_, reject) => {
      cancel = () => reject(new Http1Error("cancelled", "request cancelled"));
    });
    onCancel?.(cancel);
    const opts = { hostname: this.#hostname, port: this.#port };
    const connecting = this.#tls ? Deno.connectTls(opts) : Deno.connect(opts);
    try {
      const tcp = await Promise.race([connecting, cancelled]);
      if (!this.#tls) (tcp as Deno.TcpConn).setNoDelay(true);
      return new Conn(tcp);
    } catch (err) {
      connecting.then((c) => c.close(), () => {});
      if (err instanceof Http1Error) throw err;
      throw new Http1Error("connect", errMessage(err), { cause: err });
    }
  }

  #drop(conn: Conn): void {
    this.#busy.delete(conn);
    conn.close();
  }

  #release(conn: Conn, keepAlive: boolean): void {
    this.#busy.delete(conn);
    if (keepAlive && !this.#closed && conn.r === conn.w && this.#idle.length < this.#maxIdle) {
      conn.r = 0;
      conn.w = 0;
      this.#idle.push(conn);
    } else conn.close();
  }

  #response(conn: Conn, head: Head, cancelled: () => boolean): Http1Response {
    const te = head.headers.get("transfer-encoding");
    const cl = head.headers.get("content-length");
    const connection = head.headers.get("connection")?.toLowerCase() ?? "";
    let keepAlive = head.http11 ? !connection.includes("close") : connection.includes("keep-alive");
    const chunked = te !== undefined && /chunked\s*$/i.test(te);
    let length = -1;
    if (!chunked && cl !== undefined) {
      length = Number(cl);
      if (!Number.isInteger(length) || length < 0) {
        this.#drop(conn);
        throw new Http1Error("protocol", `bad content-length: ${cl}`);
      }
    }
    const noBody = head.status === 204 || head.status === 304;
    if (noBody) length = 0;
    if (!chunked && length < 0) keepAlive = false; // body runs to the end of the connection
    let used = false;
    // Fast path: the whole body came with the head (small responses): take it now and give
    // the connection back before the caller even asks for the body.
    if (!chunked && length >= 0 && conn.w - conn.r >= length) {
      const bytes = conn.buf.subarray(conn.r, conn.r + length);
      conn.r += length;
      let text: string | null = dec.decode(bytes);
      this.#release(conn, keepAlive);
      const take = () => {
        if (text === null) throw new Http1Error("protocol", "body already read");
        const t = text;
        text = null;
        return t;
      };
      const arrived = conn.t;
      return {
        status: head.status,
        header: (name) => head.headers.get(name) ?? null,
        text: () => {
          try {
            return Promise.resolve(take());
          } catch (err) {
            return Promise.reject(err);
          }
        },
        stream: (onData) => {
          try {
            onData(enc.encode(take()), arrived);
            return Promise.resolve();
          } catch (err) {
            return Promise.reject(err);
          }
        },
        cancel: () => {},
      };
    }
    const wrap = async (fn: () => Promise<void>): Promise<void> => {
      if (used) throw new Http1Error("protocol", "body already read");
      used = true;
      try {
        await fn();
        this.#release(conn, keepAlive);
      } catch (err) {
        this.#drop(conn);
        if (cancelled()) throw new Http1Error("cancelled", "request cancelled", { cause: err });
        if (err instanceof Http1Error) throw err;
        throw new Http1Error("closed", errMessage(err), { cause: err });
      }
    };
    const stream = (onData: (bytes: Uint8Array, t: number) => void) =>
      wrap(() =>
        chunked
          ? readChunked(conn, onData)
          : length >= 0
          ? readLength(conn, length, onData)
          : readToEnd(conn, onData)
      );
    return {
      status: head.status,
      header: (name) => head.headers.get(name) ?? null,
      stream,
      async text() {
        if (!chunked && length >= 0) {
          let out = "";
          await wrap(async () => {
            while (conn.w - conn.r < length) {
              if (!(await conn.fill())) throw new Http1Error("closed", "body cut short");
            }
            out = dec.decode(conn.buf.subarray(conn.r, conn.r + length));
            conn.r += length;
          });
          return out;
        }
        const parts: Uint8Array[] = [];
        await stream((b) => parts.push(b.slice()));
        return dec.decode(concatBytes(parts));
      },
      cancel: () => {
        if (!used) this.#drop(conn);
      },
    };
  }
}

interface Head {
  status: number;
  http11: boolean;
  headers: Map<string, string>;
}

/** Read a response head (skipping 1xx heads); null when the connection ended before any byte. */
async function readHead(conn: Conn): Promise<Head | null> {
  while (true) {
    let scan = conn.r;
    let end = -1;
    while (end < 0) {
      for (let i = Math.max(scan, conn.r + 3); i < conn.w; i++) {
        if (
          conn.buf[i] === LF && conn.buf[i - 1] === CR && conn.buf[i - 2] === LF &&
          conn.buf[i - 3] === CR
        ) {
          end = i + 1;
          break;
        }
      }
      if (end >= 0) break;
      scan = conn.w;
      if (conn.w - conn.r > MAX_HEAD) throw new Http1Error("protocol", "response head too large");
      const start = conn.r;
      const had = conn.w - conn.r;
      if (!(await conn.fill())) {
        if (had === 0) return null;
        throw new Http1Error("closed", "connection closed inside the response head");
      }
      scan -= start - conn.r; // the buffer may have been compacted
    }
    const text = dec.decode(conn.buf.subarray(conn.r, end - 4));
    conn.r = end;
    const lines = text.split("\r\n");
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]);
    if (!m) throw new Http1Error("protocol", `bad status line: ${lines[0].slice(0, 60)}`);
    const status = Number(m[2]);
    if (status >= 100 && status < 200) continue;
    const headers = new Map<string, string>();
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const prev = headers.get(name);
      headers.set(name, prev === undefined ? value : `${prev}, ${value}`);
    }
    return { status, http11: m[1] === "1", headers };
  }
}

async function readLength(
  conn: Conn,
  length: number,
  onData: (bytes: Uint8Array, t: number) => void,
): Promise<void> {
  let left = length;
  while (left > 0) {
    if (conn.r === conn.w && !(await conn.fill())) {
      throw new Http1Error("closed", "body cut short");
    }
    const n = Math.min(left, conn.w - conn.r);
    onData(conn.buf.subarray(conn.r, conn.r + n), conn.t);
    conn.r += n;
    left -= n;
  }
}

async function readToEnd(
  conn: Conn,
  onData: (bytes: Uint8Array, t: number) => void,
): Promise<void> {
  while (true) {
    if (conn.r < conn.w) {
      onData(conn.buf.subarray(conn.r, conn.w), conn.t);
      conn.r = conn.w;
    }
    if (!(await conn.fill())) return;
  }
}

/**
 * Decode a chunked body, handing each piece of chunk data over as soon as it is buffered.
 * Everything already buffered is decoded synchronously: the only await is the read of more
 * bytes, so a streamed event costs one read and no extra async calls.
 */
async function readChunked(
  conn: Conn,
  onData: (bytes: Uint8Array, t: number) => void,
): Promise<void> {
  let left = 0; // data bytes left in the current chunk
  let afterData = false; // the CRLF that ends a chunk's data is due
  let trailers = false; // the last chunk came: trailer lines until a blank one
  while (true) {
    if (left > 0) {
      if (conn.r < conn.w) {
        const n = Math.min(left, conn.w - conn.r);
        onData(conn.buf.subarray(conn.r, conn.r + n), conn.t);
        conn.r += n;
        left -= n;
        afterData = left === 0;
        continue;
      }
    } else {
      const line = takeLine(conn);
      if (line !== null) {
        if (afterData) {
          if (line !== "") throw new Http1Error("protocol", "chunk not followed by CRLF");
          afterData = false;
        } else if (trailers) {
          if (line === "") return; // trailers are ignored
        } else {
          const semi = line.indexOf(";");
          const size = parseInt(semi >= 0 ? line.slice(0, semi) : line, 16);
          if (!Number.isFinite(size) || size < 0) {
            throw new Http1Error("protocol", `bad chunk size: ${line.slice(0, 20)}`);
          }
          if (size === 0) trailers = true;
          else left = size;
        }
        continue;
      }
    }
    if (!(await conn.fill())) throw new Http1Error("closed", "connection closed inside a chunk");
  }
}

/** Take one buffered line (CRLF or LF removed); null when its end has not arrived yet. */
function takeLine(conn: Conn): string | null {
  const buf = conn.buf;
  for (let i = conn.r; i < conn.w; i++) {
    if (buf[i] === LF) {
      const endText = i > conn.r && buf[i - 1] === CR ? i - 1 : i;
      let s = "";
      for (let j = conn.r; j < endText; j++) s += String.fromCharCode(buf[j]);
      conn.r = i + 1;
      return s;
    }
  }
  if (conn.w - conn.r > 4096) throw new Http1Error("protocol", "chunk line too long");
  return null;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
