/**
 * The OpenAI-compatible client: requests to any registered endpoint (`net/endpoints.ts`),
 * non-streaming and streaming, over either transport, each measured into a
 * {@linkcode RequestRecord}. Every failure becomes an outcome; the client never throws.
 *
 * This module is also the `net/` layer's front door: the names the rest of the program uses
 * are exported from here.
 *
 * @module
 */

import { visible } from "../util/format.ts";
import { redact } from "../util/redact.ts";
import { countTokens } from "../util/words.ts";
import { emptyRecord, type Outcome, type RequestRecord, tpotOf } from "../measure/record.ts";
import { DEFAULT_MAX_EVENT_BYTES, SseLimitError } from "./sse.ts";
import { type HttpClientKind, type Reply, type Transport, TransportError } from "./transport.ts";
import { NativeTransport } from "./transport_native.ts";
import { FetchTransport } from "./transport_fetch.ts";
import {
  dropImpossibleRate,
  type EndpointDef,
  errorInBody,
  RAW_ERROR_CHARS,
  type RequestBody,
  toolCallRecord,
} from "./endpoint.ts";
import { type Endpoint, ENDPOINT_DEFS } from "./endpoints.ts";
import { ParseQueue, SeriesPool, StreamState } from "./stream.ts";
import { authHeaders, connectReason, MAX_ERROR_CHARS } from "./probe.ts";

export { HTTP_CLIENTS, type HttpClientKind } from "./transport.ts";
export { type Endpoint, endpointPath, ENDPOINTS } from "./endpoints.ts";
export type { RequestBody } from "./endpoint.ts";
export {
  normalizeBaseUrl,
  PROBE_CONNECT_MS,
  type ProbeOptions,
  type ProbeResult,
  probeTarget,
} from "./probe.ts";

/** What counts output tokens when a server sends no usage: a tokenizer's name and count. */
export interface TokenCounter {
  /** Its name, as reports show it (`words`, `o200k_base`…). */
  name: string;
  /** Tokens in a text. */
  count(text: string): number;
  /**
   * True when it is the served model's own tokenizer. When it is not, a stream's token events
   * count its tokens better (servers send one token per event, or a few).
   */
  exact?: boolean;
}

/** A client's successful answers, and those that came without usage. */
export interface AnswerTally {
  /** Successful answers. */
  ok: number;
  /** Of them, answers whose output tokens the client had to estimate (no usage). */
  withoutUsage: number;
}

/**
 * The counter used when no other is given: FakeAI's word count, an approximation for real
 * models' tokenizers (closer than counting stream chunks, which carry several tokens or none).
 */
export const WORD_COUNTER: TokenCounter = { name: "words", count: countTokens, exact: false };

/** Default bound on a non-streaming body, and on an answer's text kept for a session (bytes). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Largest error body read for its message; a larger one is not read. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** A chat message. */
export interface ChatMessage {
  /** `system`, `user`, `assistant`, `tool`… */
  role: string;
  /** Message text, or content parts (text and images); null beside tool calls. */
  content: string | null | Record<string, unknown>[];
  /** An assistant's tool calls, as the API takes them back. */
  tool_calls?: Record<string, unknown>[];
  /** A tool result's call id. */
  tool_call_id?: string;
}

/** The body of a chat completion request (extra fields pass through). */
export interface ChatBody extends RequestBody {
  /** Conversation. */
  messages: ChatMessage[];
  /** Output length cap. */
  max_tokens?: number;
}

/** Options of {@linkcode ChatClient}. */
export interface ChatClientOptions {
  /** Normalised base URL. */
  baseUrl: string;
  /** Bearer key, if any. */
  apiKey?: string;
  /** Per-request timeout in ms. */
  timeoutMs: number;
  /** Idle connections kept per host (the pool size); defaults to 1024. */
  poolSize?: number;
  /** HTTP implementation (default `native`). */
  http?: HttpClientKind;
  /** The endpoint requests go to (default `chat`). */
  endpoint?: Endpoint;
  /** Largest non-streaming body read (bytes; default {@linkcode DEFAULT_MAX_BODY_BYTES}). */
  maxBodyBytes?: number;
  /** Largest SSE line or event (bytes; default 1 MiB). */
  maxEventBytes?: number;
  /** Counts output tokens of answers without usage (default {@linkcode WORD_COUNTER}). */
  tokenCounter?: TokenCounter;
}

/** Options of one call. */
export interface CallOptions {
  /** Aborts the request (outcome `aborted`). */
  signal?: AbortSignal;
  /** Open loop: the intended send time (ms, `performance.now()` clock). */
  tIntendedMs?: number;
  /** Keep server chunk stamps (`x_sent_ms`) and client arrival times of token events. */
  keepStamps?: boolean;
  /** Keep the answer's text in `record.answer` (multi-turn sessions send it back). */
  keepText?: boolean;
}

/** A transport of `kind` to `baseUrl`. */
export function openTransport(
  kind: HttpClientKind,
  baseUrl: string,
  opts: { poolSize: number; timeoutMs: number },
): Transport {
  return kind === "fetch" ? new FetchTransport(baseUrl, opts) : new NativeTransport(baseUrl, opts);
}

/**
 * Requests to one endpoint over one shared connection pool (chat completions unless told
 * otherwise). Close it when done.
 */
export class ChatClient {
  readonly #path: string;
  readonly #headers: Record<string, string>;
  #lastBody: RequestBody | null = null;
  #lastJson = "";
  #lastBytes: Uint8Array | null = null;
  readonly #transport: Transport;
  readonly #apiKey?: string;
  readonly #maxBody: number;
  readonly #maxEvent: number;
  readonly #counter: TokenCounter;
  readonly #def: EndpointDef;
  readonly #parse = new ParseQueue();
  readonly #series = new SeriesPool();
  /** The HTTP implementation in use. */
  readonly kind: HttpClientKind;
  /** The endpoint requests go to. */
  readonly endpoint: Endpoint;

  /** Create a client with its own connection pool. */
  constructor(opts: ChatClientOptions) {
    this.endpoint = opts.endpoint ?? "chat";
    this.#def = ENDPOINT_DEFS[this.endpoint];
    this.#maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#maxEvent = opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    this.#counter = opts.tokenCounter ?? WORD_COUNTER;
    this.#path = `${new URL(opts.baseUrl).pathname.replace(/\/+$/, "")}${this.#def.path}`;
    this.#apiKey = opts.apiKey;
    this.#headers = {
      "content-type": "application/json",
      ...authHeaders(opts.apiKey),
      ...(this.#def.headers?.(opts.apiKey) ?? {}),
    };
    this.kind = opts.http ?? "native";
    this.#transport = openTransport(this.kind, opts.baseUrl, {
      poolSize: opts.poolSize ?? 1024,
      timeoutMs: opts.timeoutMs,
    });
  }

  /** Close the connection pool. */
  close(): void {
    this.#transport.close();
  }

  /**
   * Send one request and measure it. Streaming chat and completion requests ask for
   * `stream_options.include_usage`. Never throws: every failure becomes an outcome.
   * A body object is serialised when first sent and must not be changed afterwards.
   */
  chat(body: RequestBody, opts: CallOptions = {}): Promise<RequestRecord> {
    const streaming = body.stream === true && this.#def.streams;
    // A test sends the same body object again and again: it is serialised once. Bodies are
    // treated as immutable once sent.
    if (body !== this.#lastBody) {
      this.#lastJson = JSON.stringify(this.#def.prepare(body, streaming));
      this.#lastBytes = null;
      this.#lastBody = body;
    }
    // The native transport writes bytes (encoded once); fetch takes the text.
    const payload = this.kind === "native"
      ? this.#lastBytes ??= new TextEncoder().encode(this.#lastJson)
      : this.#lastJson;
    this.#inFlight++;
    return this.#send(payload, streaming, opts, maxTokensOf(body));
  }

  #inFlight = 0;
  #answered = 0;
  #withoutUsage = 0;

  /** Requests sent and not yet ended. */
  get inFlight(): number {
    return this.#inFlight;
  }

  #tally(rec: RequestRecord): void {
    this.#answered++;
    if (rec.outputTokensEstimated) this.#withoutUsage++;
  }

  /**
   * Successful answers so far, and how many of them came without usage (their output tokens
   * estimated): whether a load will need the token counter.
   */
  get answers(): AnswerTally {
    return { ok: this.#answered, withoutUsage: this.#withoutUsage };
  }

  async #send(
    payload: Uint8Array | string,
    streaming: boolean,
    opts: CallOptions,
    maxTokens: number | null,
  ): Promise<RequestRecord> {
    try {
      const tIntended = opts.tIntendedMs === undefined ? null : opts.tIntendedMs / 1000;
      const t0 = performance.now();
      const rec = emptyRecord(t0 / 1000, tIntended);
      let reply: Reply;
      try {
        reply = await this.#transport.post(this.#path, this.#headers, payload, opts.signal);
      } catch (err) {
        return this.#failTransport(rec, err, "connect");
      }
      try {
        rec.status = reply.status;
        rec.worker = reply.header("x-fakeai-worker");
        if (reply.status < 200 || reply.status >= 300) return await this.#failStatus(rec, reply);
        if (!streaming) {
          // The common case: the body came with the head, and its arrival is the end time.
          const here = reply.takeBody();
          if (here !== null) return this.#finishJson(rec, here.text, t0, here.at, opts, maxTokens);
          let text: string;
          try {
            text = await reply.text(this.#maxBody);
          } catch (err) {
            return this.#failTransport(rec, err, "stream_cut");
          }
          return this.#finishJson(rec, text, t0, performance.now(), opts, maxTokens);
        }
        const st = new StreamState(
          rec,
          t0,
          { ...opts, keepAllText: this.#counter.exact === true },
          this.#def,
          this.#maxEvent,
          this.#maxBody,
          this.#series,
        );
        st.contentType = reply.header("content-type");
        st.stopRead = () => reply.cancel();
        try {
          try {
            await reply.stream((b, t) => this.#parse.push(st, b, t));
            this.#parse.flush();
            if (st.parseError !== null) throw st.parseError;
          } catch (err) {
            this.#parse.flush();
            rec.tEnd = performance.now() / 1000;
            rec.e2e = rec.tEnd - rec.tSend;
            const limit = sseLimit(st.parseError ?? err);
            if (limit) return this.#fail(rec, "too_large", limit);
            return this.#failTransport(rec, err, "stream_cut");
          }
          st.parser.end(performance.now());
          return this.#finishStream(rec, st, t0, performance.now(), maxTokens);
        } finally {
          st.release();
        }
      } finally {
        reply.done();
      }
    } finally {
      this.#inFlight--;
    }
  }

  /** A failure of the transport: its class, or `otherwise` for an error of another kind. */
  #failTransport(rec: RequestRecord, err: unknown, otherwise: Outcome): RequestRecord {
    if (!(err instanceof TransportError)) return this.#fail(rec, otherwise, err);
    const outcome: Outcome = err.kind === "cut"
      ? "stream_cut"
      : err.kind === "connect"
      ? "connect"
      : err.kind;
    return this.#fail(rec, outcome, outcome === "connect" ? err.cause ?? err : err);
  }

  /** A non-2xx answer: its class, with the error text of its body when it can be read. */
  async #failStatus(rec: RequestRecord, reply: Reply): Promise<RequestRecord> {
    let detail = "";
    try {
      const here = reply.takeBody();
      detail = errorDetail(here !== null ? here.text : await reply.text(MAX_ERROR_BODY_BYTES));
    } catch {
      // the body is only for the error sample
    }
    return this.#fail(rec, statusOutcome(reply.status), httpError(reply.status, detail));
  }

  #finishJson(
    rec: RequestRecord,
    text: string,
    t0: number,
    tEnd: number,
    opts: CallOptions,
    maxTokens: number | null,
  ): RequestRecord {
    rec.tEnd = tEnd / 1000;
    rec.e2e = (tEnd - t0) / 1000;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return this.#fail(rec, "bad_body", `response is not JSON: ${text.slice(0, RAW_ERROR_CHARS)}`);
    }
    if (!body || typeof body !== "object") {
      return this.#fail(rec, "bad_body", "response is not a JSON object");
    }
    const failure = errorInBody(body);
    if (failure !== null) {
      return this.#fail(
        rec,
        "error_event",
        `the server answered HTTP ${rec.status} with an error: ${failure}`,
      );
    }
    const read = this.#def.readAnswer(body as Record<string, unknown>, rec);
    if (typeof read === "string") return this.#fail(rec, "bad_body", read);
    if (this.#def.tokenless) {
      rec.outcome = "ok";
      return rec;
    }
    const { content, reasoning, hasTools } = read;
    dropImpossibleRate(rec, rec.e2e);
    if (rec.outputTokens === 0 && !rec.outputTokensEstimated) {
      const all = `${reasoning} ${content}`.trim();
      if (rec.finishReason === "length" && maxTokens !== null && all) {
        // The server stopped at the length limit: it generated max_tokens, exactly.
        rec.outputTokens = maxTokens;
        rec.outputTokensCountedBy = "max_tokens";
      } else {
        rec.outputTokens = all ? this.#counter.count(all) : hasTools ? 1 : 0;
        rec.outputTokensCountedBy = all ? this.#counter.name : "events";
      }
      rec.outputTokensEstimated = true;
    }
    if (rec.outputTokens === 0 && !content && !reasoning && !hasTools) {
      return this.#fail(rec, "no_tokens", "response carried no generated token");
    }
    if (opts.keepText) rec.answer = content;
    if (read.toolCalls && read.toolCalls.length > 0) {
      rec.tool = toolCallRecord(read.toolCalls, rec.e2e, rec.e2e, opts.keepText === true);
    }
    rec.outcome = "ok";
    this.#tally(rec);
    return rec;
  }

  #finishStream(
    rec: RequestRecord,
    st: StreamState,
    t0: number,
    tEnd: number,
    maxTokens: number | null,
  ): RequestRecord {
    rec.tEnd = tEnd / 1000;
    if (st.badJson !== null) return this.#fail(rec, "bad_body", `chunk is not JSON: ${st.badJson}`);
    if (st.serverError !== null) {
      rec.e2e = (tEnd - t0) / 1000;
      return this.#fail(
        rec,
        "error_event",
        `the server reported an error in the stream after ${st.tokenEvents} tokens: ` +
          st.serverError,
      );
    }
    if (
      st.events === 0 && st.head.trim() !== "" && !/event-stream/i.test(st.contentType ?? "")
    ) {
      // A body that holds no event at all (an HTML error page with status 200) is not a
      // stream that broke off: it was never a stream.
      rec.e2e = (tEnd - t0) / 1000;
      return this.#fail(
        rec,
        "bad_body",
        `the answer is not an event stream (content-type ${st.contentType ?? "none"}): ` +
          st.head.slice(0, RAW_ERROR_CHARS),
      );
    }
    if (!st.done) {
      // The response completed without `data: [DONE]`: complete when the server's own last
      // chunk said the answer ended (a finish reason, or the usage that follows it), as the
      // OpenAI SDKs take it; otherwise the answer broke off.
      if (rec.finishReason === null && !st.sawUsage) {
        rec.e2e = (tEnd - t0) / 1000;
        return this.#fail(
          rec,
          "stream_cut",
          `stream ended after ${st.events} events without a finish reason or [DONE]`,
        );
      }
      rec.doneMarker = false;
    } else if (st.sawDoneMarker) rec.doneMarker = true;
    if (st.tokenEvents === 0) {
      rec.e2e = (tEnd - t0) / 1000;
      return this.#fail(rec, "no_tokens", "stream carried no generated token");
    }
    rec.ttft = (st.first - t0) / 1000;
    rec.itl = st.itl();
    if (st.firstAnswer >= 0) rec.ttfo = (st.firstAnswer - t0) / 1000;
    if (rec.reasoningTokens === null && st.reasoningEvents > 0) {
      rec.reasoningTokens = st.reasoningEvents;
    }
    if (st.text !== null) rec.answer = st.text;
    if (st.toolFirst >= 0) {
      rec.tool = toolCallRecord(
        st.toolCalls.filter((c) => c !== undefined),
        (st.toolFirst - t0) / 1000,
        (st.toolLast - t0) / 1000,
        st.text !== null,
      );
    }
    rec.e2e = (st.last - t0) / 1000;
    dropImpossibleRate(rec, rec.e2e);
    if (rec.outputTokens === 0) {
      // No usage: count by the best evidence there is. A length-limited answer generated
      // max_tokens exactly; with the model's own tokenizer, the streamed text's tokens; else
      // the token events (servers send one token per event, or a few), not a foreign
      // tokenizer's count of the text.
      rec.outputTokensEstimated = true;
      if (rec.finishReason === "length" && maxTokens !== null) {
        rec.outputTokens = maxTokens;
        rec.outputTokensCountedBy = "max_tokens";
      } else {
        const counted = this.#counter.exact && st.allText ? this.#counter.count(st.allText) : 0;
        rec.outputTokens = counted > 0 ? counted : st.tokenEvents;
        rec.outputTokensCountedBy = counted > 0 ? this.#counter.name : "events";
      }
    }
    rec.tpot = tpotOf(rec.e2e, rec.ttft, rec.outputTokens);
    const kept = st.stamps();
    if (kept !== null) {
      rec.serverStamps = kept.stamps;
      rec.tokenTimes = kept.times;
    }
    rec.outcome = "ok";
    this.#tally(rec);
    return rec;
  }

  #fail(rec: RequestRecord, outcome: Outcome, err: unknown): RequestRecord {
    const now = performance.now() / 1000;
    if (rec.tEnd <= rec.tSend) rec.tEnd = now;
    if (rec.e2e === 0) rec.e2e = rec.tEnd - rec.tSend;
    rec.outcome = outcome;
    const msg = err instanceof Error
      ? (outcome === "connect" ? connectReason(err) : err.message)
      : String(err);
    rec.error = visible(redact(msg.split("\n")[0], [this.#apiKey])).slice(0, MAX_ERROR_CHARS);
    rec.itl = [];
    return rec;
  }
}

/** The SSE bound a stream broke, found in a failure's cause chain (a callback's error). */
function sseLimit(err: unknown): SseLimitError | null {
  if (err instanceof TransportError && err.kind !== "cut") return null;
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 4; depth++) {
    if (e instanceof SseLimitError) return e;
    e = e instanceof Error ? e.cause : undefined;
  }
  return null;
}

function statusOutcome(status: number): Outcome {
  return status === 429
    ? "http_429"
    : status >= 500
    ? "http_5xx"
    : status >= 300 && status < 400
    ? "http_3xx"
    : "http_4xx";
}

function httpError(status: number, detail: string): string {
  return `HTTP ${status}${detail ? `: ${detail}` : ""}`;
}

function errorDetail(text: string): string {
  try {
    const body = JSON.parse(text);
    const m = body?.error?.message ?? body?.detail ?? body?.message;
    if (typeof m === "string") return m.slice(0, RAW_ERROR_CHARS);
  } catch {
    // not JSON
  }
  return text.slice(0, RAW_ERROR_CHARS).replace(/\s+/g, " ").trim();
}

/** The output limit a request body asks for, whatever the endpoint calls it; null if none. */
function maxTokensOf(body: RequestBody): number | null {
  for (const k of ["max_tokens", "max_completion_tokens", "max_output_tokens"]) {
    const v = body[k];
    if (typeof v === "number" && Number.isInteger(v) && v > 0) return v;
  }
  return null;
}
