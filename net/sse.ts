/**
 * Server-sent events: a byte-level parser that turns a response body into events, each
 * stamped with the arrival time of the read that completed it.
 *
 * Follows the WHATWG event-stream rules (lines end in CRLF, LF or CR; `:` starts a comment;
 * `data` lines of one event join with `\n`; a blank line dispatches), with one deliberate
 * leniency: an event still pending when the stream ends is dispatched rather than dropped,
 * since servers often omit the blank line after the last `data: [DONE]`. A byte-order mark is
 * dropped at the start of the stream only; anywhere else it is data.
 *
 * @module
 */

import { concatBytes } from "../util/bytes.ts";

/** One dispatched event. */
export interface SseEvent {
  /** The event's data (the `data` lines joined with `\n`). */
  data: string;
  /** The `event` field, when the server sent one. */
  event: string | null;
  /** The `id` field, when the server sent one. */
  id: string | null;
  /** Arrival time (`performance.now()`, ms) of the read that completed this event. */
  t: number;
}

const LF = 10;
const CR = 13;
// ignoreBOM: each line is decoded on its own, and a default decoder would drop a U+FEFF that
// starts any line's value; the stream's leading mark is removed in push(). Decoding whole
// lines keeps no state in the decoder, so every parser shares this one.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const COLON = 58;
const SPACE = 32;

/** Default bound on one SSE line or event (bytes). */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

/** An SSE line or event larger than the parser's bound: the stream is not a sane one. */
export class SseLimitError extends Error {
  /** Create the error for a bound of `limit` bytes. */
  constructor(limit: number) {
    super(`an SSE line or event exceeded ${limit} bytes (raise it with --max-event-kb)`);
    this.name = "SseLimitError";
  }
}

/**
 * Incremental parser: feed it byte chunks with their arrival time, it calls back per event.
 * A line or event longer than its bound throws {@linkcode SseLimitError} from `push`, and the
 * parser lets go of what it had buffered.
 */
export class SseParser {
  readonly #onEvent: (event: SseEvent) => void;
  readonly #max: number;
  #pendingBytes = 0;
  #eventBytes = 0;
  #atStart = true;
  #pending: Uint8Array[] = [];
  #skipLf = false;
  /** The first `data` line of the pending event, or null. */
  #data: string | null = null;
  /** Further `data` lines of the pending event (rare; allocated only when they occur). */
  #more: string[] | null = null;
  #event: string | null = null;
  #id: string | null = null;

  /** Create a parser that calls `onEvent` for every dispatched event. */
  constructor(onEvent: (event: SseEvent) => void, maxEventBytes = DEFAULT_MAX_EVENT_BYTES) {
    this.#onEvent = onEvent;
    this.#max = maxEventBytes;
  }

  #overflow(): never {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#data = null;
    this.#more = null;
    throw new SseLimitError(this.#max);
  }

  /** Feed one chunk of bytes that arrived at time `t` (ms). */
  push(chunk: Uint8Array, t: number): void {
    // A piece of a line that is still not finished is only queued: the pieces are joined once,
    // when its end arrives, so a long line split into many small reads costs linear time.
    if (
      this.#pending.length > 0 && !this.#atStart && !this.#skipLf &&
      chunk.indexOf(LF) < 0 && chunk.indexOf(CR) < 0
    ) {
      this.#pendingBytes += chunk.length;
      if (this.#pendingBytes > this.#max) this.#overflow();
      this.#pending.push(chunk.slice());
      return;
    }
    let buf = chunk;
    if (this.#pending.length > 0) {
      buf = concatBytes([...this.#pending, chunk]);
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    let start = 0;
    const n = buf.length;
    if (this.#atStart && n > 0) {
      if (n < 3 && buf[0] === 0xef && (n < 2 || buf[1] === 0xbb)) {
        this.#pending = [buf.slice()]; // maybe the start of a byte-order mark: wait for more
        return;
      }
      this.#atStart = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
    }
    if (this.#skipLf && n > 0) {
      if (buf[0] === LF) start = 1;
      this.#skipLf = false;
    }
    let i = start;
    while (i < n) {
      const b = buf[i];
      if (b !== LF && b !== CR) {
        i++;
        continue;
      }
      this.#line(buf, start, i, t);
      if (b === CR) {
        if (i + 1 < n) {
          if (buf[i + 1] === LF) i++;
        } else {
          this.#skipLf = true;
        }
      }
      i++;
      start = i;
    }
    if (start < n) {
      if (n - start > this.#max) this.#overflow();
      this.#pending = [buf.slice(start)];
      this.#pendingBytes = n - start;
    }
  }

  /** Signal the end of the stream at time `t`: a pending line and event are dispatched. */
  end(t: number): void {
    if (this.#pending.length > 0) {
      const p = concatBytes(this.#pending);
      this.#pending = [];
      this.#line(p, 0, p.length, t);
    }
    this.#dispatch(t);
  }

  #line(buf: Uint8Array, from: number, to: number, t: number): void {
    if (from === to) {
      this.#dispatch(t);
      return;
    }
    if (to - from > this.#max) this.#overflow();
    if (buf[from] === COLON) return; // comment
    let colon = -1;
    for (let j = from; j < to; j++) {
      if (buf[j] === COLON) {
        colon = j;
        break;
      }
    }
    let field: string;
    let value: string;
    if (colon < 0) {
      field = decoder.decode(buf.subarray(from, to));
      value = "";
    } else {
      field = colon - from === 4 && buf[from] === 100 && buf[from + 1] === 97 &&
          buf[from + 2] === 116 && buf[from + 3] === 97
        ? "data"
        : decoder.decode(buf.subarray(from, colon));
      let v = colon + 1;
      if (v < to && buf[v] === SPACE) v++;
      value = decoder.decode(buf.subarray(v, to));
    }
    switch (field) {
      case "data":
        if (this.#data === null) {
          this.#data = value;
          this.#eventBytes = to - from;
        } else {
          this.#eventBytes += to - from;
          if (this.#eventBytes > this.#max) this.#overflow();
          (this.#more ??= []).push(value);
        }
        break;
      case "event":
        this.#event = value;
        break;
      case "id":
        if (!value.includes("\0")) this.#id = value;
        break;
      default:
        break; // `retry` and unknown fields are ignored
    }
  }

  #dispatch(t: number): void {
    if (this.#data === null) {
      this.#event = null;
      return;
    }
    const data = this.#more === null ? this.#data : [this.#data, ...this.#more].join("\n");
    const event: SseEvent = { data, event: this.#event, id: this.#id, t };
    this.#data = null;
    this.#more = null;
    this.#event = null;
    this.#onEvent(event);
  }
}

/**
 * Read a byte stream to its end and yield its events as they complete, each stamped with the
 * arrival time of its last read. Errors of the stream propagate to the caller.
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  now: () => number = () => performance.now(),
): AsyncGenerator<SseEvent> {
  const queue: SseEvent[] = [];
  const parser = new SseParser((e) => queue.push(e));
  const reader = body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      const t = now();
      if (done) {
        parser.end(t);
        yield* queue.splice(0);
        return;
      }
      parser.push(value, t);
      if (queue.length > 0) yield* queue.splice(0);
    }
  } finally {
    reader.releaseLock();
  }
}
