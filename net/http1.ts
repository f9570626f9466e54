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

import { concatBytes } from "../util/bytes.ts";
import {
  type BodyEnd,
  Conn,
  dec,
  enc,
  errMessage,
  type Head,
  headEnd,
  type HeadFields,
  Http1Error,
  MAX_HEAD,
  parseHead,
  readLength,
  readToEnd,
} from "./http1_wire.ts";

export { Http1Error, type Http1ErrorKind } from "./http1_wire.ts";

/** Options of {@linkcode Http1Pool}. */
export interface Http1PoolOptions {
  /** Idle connections kept for reuse (default 1024). */
  maxIdle?: number;
  /**
   * Read and write plain TCP connections by the runtime's own ops where it has them (default
   * true; `net/conn_io.ts`); false uses the public `Deno.Conn` methods.
   */
  runtimeOps?: boolean;
}

/** A request to send: method, path, extra header lines and a body. */
export interface Http1Request {
  /** `GET`, `POST`… */
  method: string;
  /** Path and query, starting with `/`. */
  path: string;
  /** Extra headers (names as written). */
  headers: Record<string, string>;
  /**
   * Body: bytes, or text sent as UTF-8. Bytes must not change once sent: the request sent
   * last is rendered once and reused while the same body and headers come again.
   */
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
  /**
   * Take the whole body without waiting, when it arrived with the head (the connection is then
   * already released); the body then counts as read. Null otherwise: read it with
   * `text()` or `stream()`.
   */
  takeText(): string | null;
  /**
   * When {@linkcode Http1Response.takeText} gave the body: the arrival time (ms,
   * `performance.now()`) of the read that completed it. NaN otherwise.
   */
  readonly bodyArrivedAt: number;
  /** A header value (name in lower case), or null. Repeated headers are joined with `, `. */
  header(name: string): string | null;
  /** The whole body as text. */
  text(maxBytes?: number): Promise<string>;
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
  readonly #runtimeOps: boolean;
  readonly #idle: Conn[] = [];
  readonly #busy = new Set<Conn>();
  /** Encoded request-line-and-headers prefixes, per header object (callers reuse theirs). */
  readonly #prefixes = new WeakMap<
    Record<string, string>,
    { method: string; path: string; bytes: Uint8Array }
  >();
  /** The last request rendered from a byte body, and its bytes. */
  #lastRendered: (Http1Request & { bytes: Uint8Array }) | null = null;
  #closed = false;

  /** Create a pool for the origin of `baseUrl`. */
  constructor(baseUrl: string, opts: Http1PoolOptions = {}) {
    const url = new URL(baseUrl);
    this.#tls = url.protocol === "https:";
    this.#hostname = url.hostname.replace(/^\[|\]$/g, "");
    this.#port = url.port ? Number(url.port) : this.#tls ? 443 : 80;
    this.#hostHeader = url.host;
    this.#maxIdle = opts.maxIdle ?? 1024;
    this.#runtimeOps = opts.runtimeOps ?? true;
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
   *
   * This is the client's hot path: the head is read and parsed here without further async
   * calls, since every await of a pending promise costs a turn through the microtask queue.
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
        const bytes = this.#render(req, conn);
        // Read while the write completes: a small request is written at once, and waiting
        // for the write first would cost one more turn of the event loop.
        conn.startWrite(bytes);
        let head: Head | null = null;
        let scan = conn.r; // where the search for the end of the head resumes
        while (head === null) {
          const end = headEnd(conn.buf, Math.max(scan, conn.r + 3), conn.w);
          if (end >= 0) {
            head = parseHead(conn, end); // null for a 1xx head, which is skipped
            scan = conn.r;
            continue;
          }
          const had = conn.w - conn.r;
          if (had > MAX_HEAD) throw new Http1Error("protocol", "response head too large");
          // A read the last response left running on this connection comes first.
          const ahead = conn.takeAhead();
          let more: boolean;
          if (ahead !== null) more = await ahead;
          else {
            const view = conn.room();
            scan = conn.w; // everything buffered has been searched (room() may have moved it)
            more = conn.took(await conn.io.read(view));
          }
          if (!more) {
            if (had > 0) {
              throw new Http1Error("closed", "connection closed inside the response head");
            }
            this.#drop(conn);
            if (reused && attempt === 0 && !cancelled) break;
            throw new Http1Error("closed", "connection closed before a response arrived");
          }
        }
        if (head === null) continue; // closed before any byte: retried on a new connection
        if (!conn.writeDone(bytes)) await conn.finishWrite(bytes);
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
    // A load sends the same request again and again: its bytes are rendered once and shared
    // (they are never written to after rendering).
    const last = this.#lastRendered;
    if (
      last !== null && last.body === req.body && last.headers === req.headers &&
      last.method === req.method && last.path === req.path
    ) return last.bytes;
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
    if (body instanceof Uint8Array) {
      const bytes = out.slice(start, gap + length);
      this.#lastRendered = { ...req, bytes };
      return bytes;
    }
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
      return new Conn(tcp, this.#runtimeOps && !this.#tls);
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
        // The value is not shown: a hostile server may echo anything (a key) into it.
        throw new Http1Error("protocol", `bad content-length header (${cl.length} characters)`);
      }
    }
    const noBody = head.status === 204 || head.status === 304;
    if (noBody) length = 0;
    if (!chunked && length < 0) keepAlive = false; // body runs to the end of the connection
    // Fast path: the whole body came with the head (small responses): take it now and give
    // the connection back before the caller even asks for the body.
    if (!chunked && length >= 0 && conn.w - conn.r >= length) {
      const text = dec.decode(conn.buf.subarray(conn.r, conn.r + length));
      conn.r += length;
      this.#release(conn, keepAlive);
      return new BufferedResponse(head, text, conn.t);
    }
    // A streamed body's next bytes are read, and stamped, as they arrive, while the head goes
    // up the call chain to whoever reads the body.
    if (chunked) conn.readAhead();
    return new StreamedResponse(this, conn, head, chunked ? -2 : length, keepAlive, cancelled);
  }

  /** Give a connection whose response has been read back (or close it). */
  release(conn: Conn, keepAlive: boolean): void {
    this.#release(conn, keepAlive);
  }

  /** Close a connection whose response will not be read to its end. */
  drop(conn: Conn): void {
    this.#drop(conn);
  }
}

/**
 * A response whose body is still on the wire. One object per response, its methods on the
 * prototype: a load holds hundreds of these at once for the whole of their streams, and each
 * closure made per response would live (and be promoted, then collected) with it.
 */
class StreamedResponse implements Http1Response, BodyEnd {
  readonly status: number;
  readonly bodyArrivedAt = NaN;
  readonly #pool: Http1Pool;
  readonly #conn: Conn;
  readonly #headers: HeadFields;
  /** Content length, −1 to read to the end of the connection, −2 for a chunked body. */
  readonly #length: number;
  readonly #keepAlive: boolean;
  readonly #cancelled: () => boolean;
  #used = false;

  constructor(
    pool: Http1Pool,
    conn: Conn,
    head: Head,
    length: number,
    keepAlive: boolean,
    cancelled: () => boolean,
  ) {
    this.status = head.status;
    this.#pool = pool;
    this.#conn = conn;
    this.#headers = head.headers;
    this.#length = length;
    this.#keepAlive = keepAlive;
    this.#cancelled = cancelled;
  }

  takeText(): string | null {
    return null;
  }

  header(name: string): string | null {
    return this.#headers.get(name) ?? null;
  }

  /** Read the body with `read`, then give the connection back; failures close it. */
  async #read(read: Promise<void>): Promise<void> {
    try {
      await read;
    } catch (err) {
      throw this.bodyEnded(err);
    }
    this.bodyEnded(null);
  }

  /**
   * The body was read to its end (`err` null): the connection goes back to the pool. Or it
   * failed: the connection is closed, and the error to report is returned.
   */
  bodyEnded(err: unknown): Http1Error | null {
    if (err === null) {
      this.#pool.release(this.#conn, this.#keepAlive);
      return null;
    }
    this.#pool.drop(this.#conn);
    if (this.#cancelled()) return new Http1Error("cancelled", "request cancelled", { cause: err });
    if (err instanceof Http1Error) return err;
    return new Http1Error("closed", errMessage(err), { cause: err });
  }

  #claim(): void {
    if (this.#used) throw new Http1Error("protocol", "body already read");
    this.#used = true;
  }

  stream(onData: (bytes: Uint8Array, t: number) => void): Promise<void> {
    try {
      this.#claim();
    } catch (err) {
      return Promise.reject(err);
    }
    const conn = this.#conn, length = this.#length;
    if (length === -2) return conn.chunked().read(onData, this);
    return this.#read(
      length >= 0 ? readLength(conn, length, onData) : readToEnd(conn, onData),
    );
  }

  async text(maxBytes = Infinity): Promise<string> {
    const conn = this.#conn, length = this.#length;
    if (length > maxBytes) {
      this.#pool.drop(conn);
      throw new Http1Error("too_large", `the body is ${length} bytes, over ${maxBytes}`);
    }
    if (length >= 0) {
      this.#claim();
      let out = "";
      await this.#read((async () => {
        while (conn.w - conn.r < length) {
          if (!(await conn.fill())) throw new Http1Error("closed", "body cut short");
        }
        out = dec.decode(conn.buf.subarray(conn.r, conn.r + length));
        conn.r += length;
      })());
      return out;
    }
    const parts: Uint8Array[] = [];
    let total = 0;
    try {
      await this.stream((b) => {
        total += b.length;
        if (total > maxBytes) {
          parts.length = 0;
          throw new Http1Error("too_large", `the body exceeded ${maxBytes} bytes`);
        }
        parts.push(b.slice());
      });
    } catch (err) {
      if (total > maxBytes) {
        throw new Http1Error("too_large", `the body exceeded ${maxBytes} bytes`);
      }
      throw err;
    }
    return dec.decode(concatBytes(parts));
  }

  cancel(): void {
    if (!this.#used) this.#pool.drop(this.#conn);
  }
}

class BufferedResponse implements Http1Response {
  readonly status: number;
  readonly #headers: HeadFields;
  #text: string | null;
  readonly bodyArrivedAt: number;

  constructor(head: Head, text: string, arrived: number) {
    this.status = head.status;
    this.#headers = head.headers;
    this.#text = text;
    this.bodyArrivedAt = arrived;
  }

  takeText(): string | null {
    const t = this.#text;
    this.#text = null;
    return t;
  }

  header(name: string): string | null {
    return this.#headers.get(name) ?? null;
  }

  #take(): string {
    const t = this.takeText();
    if (t === null) throw new Http1Error("protocol", "body already read");
    return t;
  }

  text(): Promise<string> {
    try {
      return Promise.resolve(this.#take());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  stream(onData: (bytes: Uint8Array, t: number) => void): Promise<void> {
    try {
      onData(enc.encode(this.#take()), this.bodyArrivedAt);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  cancel(): void {}
}
