/**
 * The wire side of the HTTP/1.1 client (`net/http1.ts`): one connection with its read buffer,
 * the response head parsed from it, and the three ways a body is framed (`content-length`,
 * chunked, read to close).
 *
 * @module
 */

import { KindError } from "../util/errors.ts";
import { type ConnIo, connIo } from "./conn_io.ts";

/** Why an exchange failed below HTTP. */
export type Http1ErrorKind = "connect" | "closed" | "protocol" | "cancelled" | "too_large";

/** A transport failure of the HTTP/1.1 pool: no connection, connection lost, bad framing. */
export class Http1Error extends KindError<Http1ErrorKind> {
  override name = "Http1Error";
}

const CR = 13;
const LF = 10;
const SP = 32;
const TAB = 9;
const SEMI = 59;
const INITIAL_BUFFER = 4 * 1024;
export const MAX_HEAD = 64 * 1024;
export const enc = new TextEncoder();
export const dec = new TextDecoder();

/** One TCP (or TLS) connection with its read buffer; unread bytes are `buf[r..w)`. */
export class Conn {
  readonly tcp: Deno.Conn;
  /** Its reads and writes (`net/conn_io.ts`): a read gives 0 at the end of the stream. */
  readonly io: ConnIo;
  buf = new Uint8Array(INITIAL_BUFFER);
  /** Request bytes are rendered here. */
  wbuf = new Uint8Array(1024);
  r = 0;
  w = 0;
  /** Arrival time (ms) of the last read. */
  t = 0;
  closed = false;
  #chunked: ChunkedReader | null = null;

  /**
   * `preferOps`: read and write by the runtime's ops where it has them (plain TCP only);
   * false uses the public `Deno.Conn` methods.
   */
  constructor(tcp: Deno.Conn, preferOps = false) {
    this.tcp = tcp;
    this.io = connIo(tcp, preferOps);
  }

  /** Make room after the unread bytes (compacting or growing) and return the free view. */
  room(): Uint8Array {
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
    return this.w === 0 ? this.buf : this.buf.subarray(this.w);
  }

  /** The connection's decoder of chunked bodies (made on first use, kept for the next). */
  chunked(): ChunkedReader {
    return this.#chunked ??= new ChunkedReader(this);
  }

  /** Read more bytes into the buffer. Returns false at EOF. */
  async fill(): Promise<boolean> {
    const ahead = this.takeAhead();
    if (ahead !== null) return await ahead;
    return this.took(await this.io.read(this.room()));
  }

  /**
   * A read into {@linkcode room} came back with `n` bytes: stamp its arrival (the read's
   * stamp, taken before anything else is done with it) and take them. False at the end of the
   * stream.
   */
  took(n: number): boolean {
    this.t = performance.now();
    if (n === 0) return false;
    this.w += n;
    return true;
  }

  /** A read started before a reader asked for it ({@linkcode readAhead}), or null. */
  #ahead: Promise<boolean> | null = null;

  /**
   * Start the next read now, before a reader asks: the bytes it brings are added and stamped
   * the moment they arrive. A streamed body's first chunk otherwise waits, unread and so
   * unstamped, while the head is handled up the call chain (under load, milliseconds behind
   * other streams' work). Every read site takes it first ({@linkcode takeAhead}): there is never
   * more than one read on the connection.
   */
  readAhead(): void {
    if (this.#ahead !== null || this.closed) return;
    const view = this.room();
    const at = this.w;
    const read = this.io.read(view).then((n) => {
      this.t = performance.now();
      if (n === 0) return false;
      // The pool empties a finished connection's buffer (r = w = 0) while this read runs:
      // its bytes then move to where the buffer now ends.
      if (this.w !== at) this.buf.copyWithin(this.w, at, at + n);
      this.w += n;
      return true;
    });
    // Closing the connection rejects it; whoever takes it sees the error.
    read.catch(() => {});
    this.#ahead = read;
  }

  /** The read {@linkcode readAhead} started (it is the caller's now), or null. */
  takeAhead(): Promise<boolean> | null {
    const ahead = this.#ahead;
    this.#ahead = null;
    return ahead;
  }

  /** Bytes the pending write took (-1 while it runs), or the error it failed with. */
  #written = -1;
  #writeError: unknown = null;
  #writing: Promise<void> | null = null;
  readonly #wrote = (n: number) => {
    this.#written = n;
  };
  readonly #writeFailed = (err: unknown) => {
    this.#writeError = err;
    this.#written = 0;
  };

  /**
   * Start writing `bytes` without waiting. The whole of them goes out in the background, in as
   * many writes as the kernel takes (a large body rarely goes in one), while the caller reads
   * the answer: a server answers only once it has the whole body.
   */
  startWrite(bytes: Uint8Array): void {
    this.#written = -1;
    this.#writeError = null;
    this.#writing = this.io.write(bytes).then(
      (n) => n >= bytes.length ? this.#wrote(n) : this.#writeRest(bytes, n),
      this.#writeFailed,
    );
  }

  async #writeRest(bytes: Uint8Array, from: number): Promise<void> {
    try {
      await this.writeAll(bytes.subarray(from));
      this.#wrote(bytes.length);
    } catch (err) {
      this.#writeFailed(err);
    }
  }

  /**
   * Whether the write {@linkcode startWrite} began has written all of `bytes`; throws its
   * error if it failed. When not, {@linkcode finishWrite} waits for it and writes the rest.
   */
  writeDone(bytes: Uint8Array): boolean {
    if (this.#writeError !== null) throw this.#writeError;
    return this.#written === bytes.length;
  }

  /** Wait for the write {@linkcode startWrite} began to have written everything. */
  async finishWrite(_bytes: Uint8Array): Promise<void> {
    if (this.#written < 0) await this.#writing;
    if (this.#writeError !== null) throw this.#writeError;
  }

  async writeAll(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.io.write(bytes.subarray(off));
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

export interface Head {
  status: number;
  http11: boolean;
  headers: HeadFields;
}

/**
 * Index just past the blank line that ends a head in `buf[from-3..to)`, or -1. `from` is the
 * first index the head's final LF may have (at least the head's start + 3).
 */
export function headEnd(buf: Uint8Array, from: number, to: number): number {
  // Line ends are found with the built-in search: a handful per head instead of a JS loop
  // over every byte.
  for (let i = from; i < to; i++) {
    i = buf.indexOf(LF, i);
    if (i < 0 || i >= to) return -1;
    if (buf[i - 1] === CR && buf[i - 2] === LF && buf[i - 3] === CR) return i + 1;
  }
  return -1;
}

/**
 * Parse the head in `conn.buf[conn.r..end)` and consume it. Returns null for an informational
 * (1xx) head, which the caller skips; throws on a malformed status line.
 */
export function parseHead(conn: Conn, end: number): Head | null {
  const text = dec.decode(conn.buf.subarray(conn.r, end - 4));
  conn.r = end;
  let eol = text.indexOf("\r\n");
  if (eol < 0) eol = text.length;
  const status = statusOf(text, eol);
  if (status < 0) throw new Http1Error("protocol", `bad status line: ${text.slice(0, 60)}`);
  if (status >= 100 && status < 200) return null;
  return { status, http11: text.charCodeAt(7) === 49, headers: new HeadFields(text) };
}

/**
 * The header fields of a head, looked up by lower-case name. A response is read for a few
 * fields only, so they are searched for in the head's text rather than parsed into a map
 * (which would cost more than the rest of the head's handling).
 */
export class HeadFields {
  readonly #text: string;
  /** The text in lower case; null when lower-casing changed its length (non-ASCII). */
  readonly #lower: string | null;
  #map: Map<string, string> | null = null;

  constructor(text: string) {
    this.#text = text;
    const lower = text.toLowerCase();
    this.#lower = lower.length === text.length ? lower : null;
  }

  /** The value of a field (lower-case name); repeated fields are joined with `, `. */
  get(name: string): string | undefined {
    const lower = this.#lower;
    if (lower === null) return this.#parsed().get(name);
    const text = this.#text;
    // Every field line follows a line end (the status line comes first).
    const key = `\n${name}:`;
    let value: string | undefined;
    for (let i = lower.indexOf(key); i >= 0; i = lower.indexOf(key, i + key.length)) {
      let stop = text.indexOf("\r\n", i + key.length);
      if (stop < 0) stop = text.length;
      const v = text.slice(i + key.length, stop).trim();
      value = value === undefined ? v : `${value}, ${v}`;
    }
    return value;
  }

  /** Every field in a map (for heads that are not plain ASCII). */
  #parsed(): Map<string, string> {
    if (this.#map !== null) return this.#map;
    const text = this.#text;
    const map = new Map<string, string>();
    let start = text.indexOf("\r\n");
    while (start >= 0 && start < text.length) {
      start += 2;
      let stop = text.indexOf("\r\n", start);
      if (stop < 0) stop = text.length;
      const colon = text.indexOf(":", start);
      if (colon > start && colon < stop) {
        const name = text.slice(start, colon).trim().toLowerCase();
        const value = text.slice(colon + 1, stop).trim();
        const prev = map.get(name);
        map.set(name, prev === undefined ? value : `${prev}, ${value}`);
      }
      start = stop;
    }
    this.#map = map;
    return map;
  }
}

/** The status code of a status line `HTTP/1.x NNN …` ending at `eol`, or -1 if malformed. */
export function statusOf(text: string, eol: number): number {
  if (eol < 12 || !text.startsWith("HTTP/1.") || text.charCodeAt(8) !== 32) return -1;
  const minor = text.charCodeAt(7);
  if (minor !== 48 && minor !== 49) return -1;
  let status = 0;
  for (let i = 9; i < 12; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    status = status * 10 + d;
  }
  return status;
}

export async function readLength(
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

export async function readToEnd(
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

/** Where a {@linkcode ChunkedReader} reports the end of a body: null, or the error it ended on. */
export interface BodyEnd {
  /** The body ended (`err` null) or failed; returns the error to reject with, or null. */
  bodyEnded(err: unknown): unknown;
}

/**
 * Decodes a chunked body, handing each piece of chunk data over as soon as it is buffered.
 * Everything already buffered is decoded synchronously; when more bytes are needed, one read
 * is started and its reaction resumes the decoding. It is driven by reactions rather than an
 * async function so that a stream waiting for its next chunk holds one pending read and this
 * object, which its connection keeps for every response it carries, and no suspended frame: a
 * load holds hundreds of streams for the whole of their answers, and every frame made per
 * response lives long enough to be promoted, then collected in a full collection.
 */
export class ChunkedReader {
  readonly #conn: Conn;
  /** Data bytes left in the current chunk. */
  #left = 0;
  /** The CRLF that ends a chunk's data is due. */
  #afterData = false;
  /** The last chunk came: trailer lines until a blank one. */
  #trailers = false;
  #onData: ((bytes: Uint8Array, t: number) => void) | null = null;
  #end: BodyEnd | null = null;
  #resolve: (() => void) | null = null;
  #reject: ((err: unknown) => void) | null = null;

  constructor(conn: Conn) {
    this.#conn = conn;
  }

  /**
   * Read one chunked body from the connection, calling `onData` with each piece of data and
   * its arrival time; `end.bodyEnded` is told how it ended before the promise settles.
   */
  read(onData: (bytes: Uint8Array, t: number) => void, end: BodyEnd): Promise<void> {
    if (this.#end !== null) {
      return Promise.reject(new Http1Error("protocol", "a body is already being read"));
    }
    this.#left = 0;
    this.#afterData = false;
    this.#trailers = false;
    this.#onData = onData;
    this.#end = end;
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#resolve = resolve;
    this.#reject = reject;
    this.#pump();
    return promise;
  }

  /** A read came back with `n` bytes (0 at the end of the connection). */
  readonly #onRead = (n: number): void => {
    if (!this.#conn.took(n)) return this.#finish(closedInChunk());
    this.#pump();
  };

  /** The read started ahead of the body came back. */
  readonly #onAhead = (more: boolean): void => {
    if (!more) return this.#finish(closedInChunk());
    this.#pump();
  };

  readonly #onError = (err: unknown): void => this.#finish(err);

  /** Decode what is buffered; start a read when more is needed. */
  #pump(): void {
    const conn = this.#conn;
    const onData = this.#onData!;
    try {
      while (true) {
        if (this.#left > 0) {
          if (conn.r < conn.w) {
            const n = Math.min(this.#left, conn.w - conn.r);
            onData(conn.buf.subarray(conn.r, conn.r + n), conn.t);
            conn.r += n;
            this.#left -= n;
            this.#afterData = this.#left === 0;
            continue;
          }
        } else if (this.#afterData || this.#trailers) {
          const line = takeLine(conn);
          if (line !== null) {
            if (this.#afterData) {
              if (line !== "") throw new Http1Error("protocol", "chunk not followed by CRLF");
              this.#afterData = false;
            } else if (line === "") return this.#finish(null); // trailers are ignored
            continue;
          }
        } else {
          const size = takeChunkSize(conn);
          if (size >= 0) {
            if (size === 0) this.#trailers = true;
            else this.#left = size;
            continue;
          }
        }
        const ahead = conn.takeAhead();
        if (ahead !== null) ahead.then(this.#onAhead, this.#onError);
        else conn.io.read(conn.room()).then(this.#onRead, this.#onError);
        return;
      }
    } catch (err) {
      this.#finish(err);
    }
  }

  #finish(err: unknown): void {
    const end = this.#end;
    if (end === null) return; // already ended
    const resolve = this.#resolve!, reject = this.#reject!;
    this.#onData = null;
    this.#end = null;
    this.#resolve = null;
    this.#reject = null;
    let failure: unknown;
    try {
      failure = end.bodyEnded(err);
    } catch (thrown) {
      failure = thrown;
    }
    if (failure === null || failure === undefined) resolve();
    else reject(failure);
  }
}

function closedInChunk(): Http1Error {
  return new Http1Error("closed", "connection closed inside a chunk");
}

/** The value of a hexadecimal digit, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/** Most significant hex digits of a chunk size (16^12 is far past any body, and exact). */
const MAX_SIZE_DIGITS = 12;

/**
 * Take one buffered chunk-size line (`1a`, `1a;name=value`, blanks around the digits allowed)
 * and return the size, read from the bytes without making a string of them; -1 when the line's
 * end has not arrived yet. A line that is not a size throws.
 */
export function takeChunkSize(conn: Buffered): number {
  const lf = lineEnd(conn);
  if (lf < 0) return -1;
  const buf = conn.buf, end = textEnd(conn, lf);
  let j = conn.r;
  while (j < end && (buf[j] === SP || buf[j] === TAB)) j++;
  let size = 0, digits = 0, significant = 0;
  for (let d: number; j < end && (d = hexDigit(buf[j])) >= 0; j++, digits++) {
    if (size > 0 || d > 0) significant++;
    size = size * 16 + d;
  }
  while (j < end && (buf[j] === SP || buf[j] === TAB)) j++;
  if (digits === 0 || significant > MAX_SIZE_DIGITS || (j < end && buf[j] !== SEMI)) {
    const text = dec.decode(buf.subarray(conn.r, Math.min(end, conn.r + 20)));
    throw new Http1Error("protocol", `bad chunk size: ${text}`);
  }
  conn.r = lf + 1;
  return size;
}

/** Take one buffered line (CRLF or LF removed); null when its end has not arrived yet. */
export function takeLine(conn: Buffered): string | null {
  const lf = lineEnd(conn);
  if (lf < 0) return null;
  const buf = conn.buf, end = textEnd(conn, lf);
  let s = "";
  for (let j = conn.r; j < end; j++) s += String.fromCharCode(buf[j]);
  conn.r = lf + 1;
  return s;
}

/** Bytes buffered from a connection, unread from `r` to `w` (a {@linkcode Conn} is one). */
export interface Buffered {
  buf: Uint8Array;
  r: number;
  w: number;
}

/** Longest line of a chunked body's framing that is waited for (bytes). */
const MAX_LINE = 4096;

/**
 * Where the next buffered line ends (the index of its LF), or -1 when its end has not arrived;
 * a line longer than {@linkcode MAX_LINE} throws.
 */
function lineEnd(conn: Buffered): number {
  const buf = conn.buf;
  for (let i = conn.r; i < conn.w; i++) if (buf[i] === LF) return i;
  if (conn.w - conn.r > MAX_LINE) throw new Http1Error("protocol", "chunk line too long");
  return -1;
}

/** The end of the text of the line ending at `lf`: before its CR, when it has one. */
function textEnd(conn: Buffered, lf: number): number {
  return lf > conn.r && conn.buf[lf - 1] === CR ? lf - 1 : lf;
}

export function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
