/**
 * What a stream has delivered so far: SSE events turned into token times, whatever the
 * endpoint (its module says which events carry tokens).
 *
 * @module
 */

import type { RequestRecord } from "../measure/record.ts";
import { type SseEvent, SseParser } from "./sse.ts";
import {
  type EndpointDef,
  errorInBody,
  RAW_ERROR_CHARS,
  type StreamChunkJson,
  type StreamEnd,
} from "./endpoint.ts";

/** Options of a stream's state: what to keep. */
export interface StreamKeep {
  /** Keep server chunk stamps (`x_sent_ms`) and client arrival times of token events. */
  keepStamps?: boolean;
  /** Keep the answer's text. */
  keepText?: boolean;
  /**
   * Keep everything streamed, to count its tokens when the server sends no usage (only worth it
   * with the model's own tokenizer; otherwise the token events are counted).
   */
  keepAllText?: boolean;
}

/** Entries of a new series buffer (it doubles when full, and is reused at its grown size). */
const SERIES_START = 32;

/** Largest series buffer given back for reuse (entries); a larger one is left to the collector. */
const MAX_POOLED_SERIES = 4096;

/**
 * Reusable buffers for the per-token series of streams in flight (inter-token gaps, stamps).
 * A stream's series live as long as it does; grown one value at a time in plain arrays they
 * were copied at every growth and each copy outlived the young generation, so every request
 * left kilobytes of old-generation garbage behind (the full collections that follow stall the
 * stamps of every stream). A pooled buffer is made once and reused by the next stream; a
 * request's record gets a right-sized copy when it ends, which dies young.
 */
export class SeriesPool {
  readonly #free: Float64Array[] = [];

  /** A buffer for one series (its contents are stale). */
  take(): Float64Array {
    return this.#free.pop() ?? new Float64Array(SERIES_START);
  }

  /** Give a buffer back. */
  give(buf: Float64Array): void {
    if (buf.length <= MAX_POOLED_SERIES) this.#free.push(buf);
  }
}

const EMPTY = new Float64Array(0);
const HEAD_DECODER = new TextDecoder();

/** `buf` with room for one more value at `n` (a bigger copy when full). */
function room(buf: Float64Array, n: number): Float64Array {
  if (n < buf.length) return buf;
  const bigger = new Float64Array(Math.max(16, buf.length * 2));
  bigger.set(buf);
  return bigger;
}

/** The first `n` values of `buf` as a plain array. */
function valuesOf(buf: Float64Array, n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = buf[i];
  return out;
}

/** One stream's state: the parser feeding it, and what its events carried. */
export class StreamState {
  /** Arrival of the first token event (ms), or −1. */
  first = -1;
  /** Arrival of the last token event (ms), or −1. */
  last = -1;
  /** Arrival of the first answer (not reasoning) token, or −1. */
  firstAnswer = -1;
  /** Events seen. */
  events = 0;
  /** Events that carried a token. */
  tokenEvents = 0;
  /** Token events of reasoning text. */
  reasoningEvents = 0;
  /** True once the stream said it is complete (`[DONE]`, or the endpoint's last event). */
  done = false;
  /** True when that was `data: [DONE]`. */
  sawDoneMarker = false;
  /** True once a chunk carried usage (it follows the last token). */
  sawUsage = false;
  /** The first event that was not JSON, or null. */
  badJson: string | null = null;
  /** A failure the server reported inside the stream, or null. */
  serverError: string | null = null;
  /** The answer's text, when kept. */
  text: string | null;
  /**
   * Everything streamed (reasoning included), to count tokens when the server sends no usage;
   * null when not kept.
   */
  allText: string | null;
  /** Inter-token gaps (s), `#itlN` of them. */
  #itl: Float64Array;
  #itlN = 0;
  /** Server send stamps and client arrival times (s) of token events, `#stampN` of each. */
  #stamps: Float64Array | null;
  #times: Float64Array | null;
  #stampN = 0;
  readonly #pool: SeriesPool | null;
  /** The parser to feed the body to. */
  readonly parser: SseParser;
  /** The body's first bytes, kept while no event has come (to say what a non-stream was). */
  head = "";
  /** Tool calls assembled from their deltas, by index. */
  readonly toolCalls: { id: string; name: string; arguments: string }[] = [];
  /** Arrival of the first and the last tool-call delta (ms), or −1. */
  toolFirst = -1;
  toolLast = -1;
  /** The answer's content type, as the server declared it. */
  contentType: string | null = null;
  /** What the parser threw (an event over the limit), or null; the read stops on it. */
  parseError: unknown = null;
  /** Stops the stream's read (set by the client), so a parse error ends it at once. */
  stopRead: () => void = () => {};
  /** Decodes the body's start (made when first needed: most streams never need it twice). */
  #headDecoder: TextDecoder | null = null;
  readonly #rec: RequestRecord;
  readonly #t0: number;
  readonly #endpoint: EndpointDef;
  readonly #maxTextChars: number;
  readonly #end: StreamEnd;

  /** Keep up to 512 characters of the body's start. */
  keepHead(bytes: Uint8Array): void {
    if (this.head.length >= 512) return;
    const piece = bytes.subarray(0, 512);
    if (this.#headDecoder === null && (piece.length === 0 || piece[piece.length - 1] < 0x80)) {
      // Nothing is left half-decoded: the shared decoder will do (the common case, once).
      this.head += HEAD_DECODER.decode(piece);
    } else {
      this.#headDecoder ??= new TextDecoder();
      this.head += this.#headDecoder.decode(piece, { stream: true });
    }
    this.head = this.head.slice(0, 512);
  }

  /** A stream of `endpoint` into `rec`, sent at `t0` (ms). */
  constructor(
    rec: RequestRecord,
    t0: number,
    keep: StreamKeep,
    endpoint: EndpointDef,
    maxEventBytes: number,
    maxTextChars: number,
    pool?: SeriesPool,
  ) {
    const keepStamps = keep.keepStamps === true;
    this.#pool = pool ?? null;
    const take = () => pool?.take() ?? new Float64Array(SERIES_START);
    this.#itl = take();
    this.#stamps = keepStamps ? take() : null;
    this.#times = keepStamps ? take() : null;
    this.text = keep.keepText ? "" : null;
    this.allText = keep.keepAllText ? "" : null;
    this.#rec = rec;
    this.#t0 = t0;
    this.#endpoint = endpoint;
    this.#maxTextChars = maxTextChars;
    this.#end = new EndOf(this);
    this.parser = new SseParser((ev) => this.#onEvent(ev), maxEventBytes);
  }

  /** One event of the stream: what it says of the answer. */
  #onEvent(ev: SseEvent): void {
    if (this.done) return;
    const rec = this.#rec;
    this.events++;
    if (rec.ttfc === null) rec.ttfc = (ev.t - this.#t0) / 1000;
    if (ev.data === "[DONE]") {
      this.done = true;
      this.sawDoneMarker = true;
      return;
    }
    let chunk: StreamChunkJson;
    try {
      chunk = JSON.parse(ev.data);
    } catch {
      if (ev.event === "error") this.#end.fail(ev.data.slice(0, RAW_ERROR_CHARS));
      else if (this.badJson === null) this.badJson = ev.data.slice(0, RAW_ERROR_CHARS);
      return;
    }
    if (!chunk || typeof chunk !== "object") return;
    const failure = errorInBody(chunk, ev.event);
    if (failure !== null) {
      // A failure after the stream began: the server's word, not a success.
      this.#end.fail(failure);
      return;
    }
    if (chunk.usage) this.sawUsage = true;
    const token = this.#endpoint.streamEvent(chunk, rec, this.#end);
    if (token === null) return;
    this.tokenEvents++;
    const maxTextChars = this.#maxTextChars;
    if (
      this.allText !== null && rec.outputTokens === 0 &&
      this.allText.length + token.text.length <= maxTextChars
    ) this.allText += token.text;
    if (token.tools) {
      for (const d of token.tools) {
        const c = this.toolCalls[d.index] ??= { id: "", name: "", arguments: "" };
        if (d.id) c.id = d.id;
        if (d.name) c.name = d.name;
        if (c.arguments.length + d.args.length <= maxTextChars) c.arguments += d.args;
      }
      if (this.toolFirst < 0) this.toolFirst = ev.t;
      this.toolLast = ev.t;
    }
    if (token.reasoning) this.reasoningEvents++;
    else {
      if (this.firstAnswer < 0) this.firstAnswer = ev.t;
      if (this.text !== null && this.text.length + token.text.length <= maxTextChars) {
        this.text += token.text;
      }
    }
    if (this.first < 0) this.first = ev.t;
    else {
      this.#itl = room(this.#itl, this.#itlN);
      this.#itl[this.#itlN++] = (ev.t - this.last) / 1000;
    }
    this.last = ev.t;
    if (this.#stamps !== null && this.#times !== null && typeof chunk.x_sent_ms === "number") {
      this.#stamps = room(this.#stamps, this.#stampN);
      this.#times = room(this.#times, this.#stampN);
      this.#stamps[this.#stampN] = chunk.x_sent_ms;
      this.#times[this.#stampN++] = ev.t / 1000;
    }
  }

  /** The inter-token gaps so far (s), as a new array. */
  itl(): number[] {
    return valuesOf(this.#itl, this.#itlN);
  }

  /** The kept server stamps and arrival times (s), or null when none were kept. */
  stamps(): { stamps: number[]; times: number[] } | null {
    if (this.#stamps === null || this.#times === null || this.#stampN === 0) return null;
    return {
      stamps: valuesOf(this.#stamps, this.#stampN),
      times: valuesOf(this.#times, this.#stampN),
    };
  }

  /** Give the series buffers back to the pool; the state must not be fed afterwards. */
  release(): void {
    const pool = this.#pool;
    if (pool === null) return;
    pool.give(this.#itl);
    if (this.#stamps !== null) pool.give(this.#stamps);
    if (this.#times !== null) pool.give(this.#times);
    this.#stamps = this.#times = null;
    this.#itl = EMPTY;
    this.#itlN = this.#stampN = 0;
  }
}

/** A stream's end as its endpoint's events report it (one object, no closures). */
class EndOf implements StreamEnd {
  readonly #st: StreamState;
  constructor(st: StreamState) {
    this.#st = st;
  }
  done(): void {
    this.#st.done = true;
  }
  fail(message: string): void {
    this.#st.serverError = message;
    this.#st.done = true;
  }
}

/**
 * Chunks read and not yet parsed. A read's continuation only stamps and queues its chunk;
 * parsing runs in a microtask queued behind every read that completed in the same turn of the
 * event loop, so no stream's stamp waits for another's parsing (the stamps of one batch of reads
 * differ by the cost of a copy, not of an SSE parse and a JSON parse). The queue is shared by
 * every stream of a client and parsed in arrival order.
 */
export class ParseQueue {
  /**
   * The queued chunks' streams and read times, `#n` of each (the arrays keep their grown length
   * and are overwritten: emptied, they would be reallocated for every batch).
   */
  readonly #states: (StreamState | null)[] = [];
  /** Where each queued chunk starts in the pool; the next one's start is its end. */
  readonly #starts: number[] = [0];
  readonly #times: number[] = [];
  #n = 0;
  /** The queued chunks' bytes, one after another (reused: nothing is allocated per chunk). */
  #pool = new Uint8Array(64 * 1024);
  #used = 0;
  #scheduled = false;
  readonly #run = () => this.flush();

  /** Queue a copy of `bytes` (the reader reuses its buffer), read at `t` (ms), for `st`. */
  push(st: StreamState, bytes: Uint8Array, t: number): void {
    // A stream whose parse failed stops at its next read.
    if (st.parseError !== null) throw st.parseError;
    const end = this.#used + bytes.length;
    if (end > this.#pool.length) {
      const grown = new Uint8Array(Math.max(end, this.#pool.length * 2));
      grown.set(this.#pool.subarray(0, this.#used));
      this.#pool = grown;
    }
    this.#pool.set(bytes, this.#used);
    this.#used = end;
    const n = this.#n++;
    this.#states[n] = st;
    this.#starts[n + 1] = end;
    this.#times[n] = t;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#run);
    }
  }

  /** Parse everything queued, in order (a stream's end calls it before it reads its state). */
  flush(): void {
    this.#scheduled = false;
    const states = this.#states, starts = this.#starts, times = this.#times;
    for (let i = 0; i < this.#n; i++) {
      const st = states[i];
      states[i] = null; // a stream's state is not kept alive by the queue
      if (st === null || st.parseError !== null) continue;
      const from = starts[i], to = starts[i + 1], pool = this.#pool;
      try {
        const bytes = pool.subarray(from, to);
        if (st.events === 0) st.keepHead(bytes);
        st.parser.push(bytes, times[i]);
      } catch (err) {
        st.parseError = err;
        st.stopRead();
      }
    }
    this.#n = 0;
    this.#used = 0;
    // A burst that grew the pool past 1 MB does not keep it.
    if (this.#pool.length > 1024 * 1024) this.#pool = new Uint8Array(64 * 1024);
  }
}
