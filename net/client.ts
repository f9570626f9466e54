/**
 * OpenAI-compatible client (lean HTTP/1.1 by default, `fetch` on request): target probe, and
 * requests to `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings` and `/v1/responses`,
 * non-streaming and streaming, each measured into a {@linkcode RequestRecord}.
 *
 * @module
 */

import { TargetError, UsageError } from "../util/errors.ts";
import { redact } from "../util/redact.ts";
import { concatBytes } from "../util/bytes.ts";
import { countTokens } from "../util/words.ts";
import { emptyRecord, type Outcome, type RequestRecord, tpotOf } from "../measure/record.ts";
import { DEFAULT_MAX_EVENT_BYTES, SseLimitError, SseParser } from "./sse.ts";
import { Http1Error, Http1Pool, type Http1Response } from "./http1.ts";

/** What counts output tokens when a server sends no usage: a tokenizer's name and count. */
export interface TokenCounter {
  /** Its name, as reports show it (`words`, `o200k_base`…). */
  name: string;
  /** Tokens in a text. */
  count(text: string): number;
}

/**
 * The counter used when no other is given: FakeAI's word count, an approximation for real
 * models' tokenizers (closer than counting stream chunks, which carry several tokens or none).
 */
export const WORD_COUNTER: TokenCounter = { name: "words", count: countTokens };

/** Default bound on a non-streaming body, and on an answer's text kept for a session (bytes). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Budget of the first probe call (`GET /health`): a host that does not answer within it is
 * reported unreachable, so a wrong address fails in seconds rather than after a full timeout.
 */
export const PROBE_CONNECT_MS = 3000;

/** Longest error text kept per failed request. */
const MAX_ERROR_CHARS = 200;

/**
 * Longest server text an error keeps before secrets are removed. Redaction runs before the
 * cut to {@linkcode MAX_ERROR_CHARS}, so a key straddling a cut can never leave a fragment.
 */
const RAW_ERROR_CHARS = 4096;

/**
 * Validate and normalise a base URL: http(s) only, no trailing slash, and a trailing `/v1`
 * removed (users often paste the OpenAI base URL). Throws {@linkcode UsageError}.
 */
export function normalizeBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(raw)} is not a URL (expected http://host:port)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--url must be http or https, got ${url.protocol.replace(":", "")}`);
  }
  if (url.username || url.password) {
    throw new UsageError("--url must not carry credentials; use --api-key or OPENAI_API_KEY");
  }
  if (url.port === "0") {
    throw new UsageError(`--url ${JSON.stringify(raw)} has port 0, which no server listens on`);
  }
  let path = url.pathname.replace(/\/+$/, "");
  if (path.endsWith("/v1")) path = path.slice(0, -3);
  return `${url.protocol}//${url.host}${path}`;
}

/** What the probe learnt about the target. */
export interface ProbeResult {
  /** Normalised base URL. */
  baseUrl: string;
  /** HTTP status of `GET /health`, or null when it did not answer. */
  healthStatus: number | null;
  /** The `status` field of the health body, when it had one. */
  healthState: string | null;
  /** Model ids from `GET /v1/models`. */
  models: string[];
  /** `server` response header of `/v1/models`, when present. */
  serverHeader: string | null;
  /** Milliseconds the `/v1/models` call took. */
  modelsLatencyMs: number;
}

/** Options of {@linkcode probeTarget}. */
export interface ProbeOptions {
  /** Bearer key, if any. */
  apiKey?: string;
  /** Per-call timeout in ms (default 10 000). */
  timeoutMs?: number;
  /** The transport, as the load will use it (default `native`). */
  http?: HttpClientKind;
}

/** One GET's answer, whichever transport carried it. */
interface GetAnswer {
  status: number;
  text: string;
  header(name: string): string | null;
}

/**
 * GET `path` over the load's transport, redirects not followed. Throws a `TimeoutError`
 * DOMException after `timeoutMs`, or the transport's error.
 */
async function getOnce(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  timeoutMs: number,
  http: HttpClientKind,
): Promise<GetAnswer> {
  if (http === "fetch") {
    const res = await fetch(`${baseUrl}${path}`, {
      headers,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text().catch(() => "");
    return { status: res.status, text, header: (n) => res.headers.get(n) };
  }
  const pool = new Http1Pool(baseUrl, { maxIdle: 1 });
  let cancel: (() => void) | null = null;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    cancel?.();
  }, timeoutMs);
  try {
    const prefix = new URL(baseUrl).pathname.replace(/\/+$/, "");
    const res = await pool.request({ method: "GET", path: `${prefix}${path}`, headers }, (c) => {
      cancel = c;
      if (timedOut) c();
    });
    const text = await res.text();
    return { status: res.status, text, header: (n) => res.header(n) };
  } catch (err) {
    if (timedOut) throw new DOMException("timed out", "TimeoutError");
    throw err;
  } finally {
    clearTimeout(timer);
    pool.close();
  }
}

/** A redirect answer: where to, as a usable message; null for other answers. */
function redirectOf(baseUrl: string, path: string, a: GetAnswer): string | null {
  if (a.status < 300 || a.status >= 400) return null;
  const to = a.header("location") ?? "(no location)";
  let where = to;
  try {
    const u = new URL(to, `${baseUrl}${path}`);
    where = u.host === new URL(baseUrl).host ? `${u.pathname} on the same host` : u.origin;
  } catch {
    // keep the raw location
  }
  return `${baseUrl}${path} answered HTTP ${a.status}, a redirect to ${where}: redirects are ` +
    "not followed (another host's answers would be taken for the target's); pass the final URL";
}

function authHeaders(apiKey?: string): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

function isTimeout(err: unknown): boolean {
  return err instanceof DOMException && err.name === "TimeoutError";
}

/**
 * Probe a target: `GET /health` (informational: not every server has one) and
 * `GET /v1/models` (required). Throws {@linkcode TargetError} when the target is unreachable,
 * rejects the key, or does not look like an OpenAI-compatible API.
 */
export async function probeTarget(baseUrl: string, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const http = opts.http ?? "native";
  let healthStatus: number | null = null;
  let healthState: string | null = null;
  const firstMs = Math.min(timeoutMs, PROBE_CONNECT_MS);
  try {
    const res = await getOnce(baseUrl, "/health", {}, firstMs, http);
    healthStatus = res.status;
    try {
      const body = JSON.parse(res.text);
      if (body && typeof body.status === "string") healthState = body.status;
    } catch {
      // a plain-text health answer is fine
    }
  } catch (err) {
    if (isTimeout(err)) {
      throw new TargetError(`${baseUrl} did not answer within ${firstMs / 1000} s`, "timeout");
    }
    throw new TargetError(`cannot reach ${baseUrl}: ${connectReason(err)}`, "unreachable");
  }
  const t0 = performance.now();
  let res: GetAnswer;
  try {
    res = await getOnce(baseUrl, "/v1/models", authHeaders(opts.apiKey), timeoutMs, http);
  } catch (err) {
    if (isTimeout(err)) {
      throw new TargetError(
        `${baseUrl}/v1/models did not answer within ${timeoutMs / 1000} s`,
        "timeout",
      );
    }
    throw new TargetError(`cannot reach ${baseUrl}: ${connectReason(err)}`, "unreachable");
  }
  const modelsLatencyMs = performance.now() - t0;
  const redirect = redirectOf(baseUrl, "/v1/models", res);
  if (redirect) throw new TargetError(redirect, "not_openai");
  if (res.status === 401 || res.status === 403) {
    throw new TargetError(
      `${baseUrl} rejected the API key (HTTP ${res.status}); pass a valid --api-key or set OPENAI_API_KEY`,
      "auth",
    );
  }
  let body: unknown = null;
  try {
    body = JSON.parse(res.text);
  } catch {
    body = null;
  }
  const data = (body as { data?: unknown } | null)?.data;
  if (res.status < 200 || res.status >= 300 || !Array.isArray(data)) {
    throw new TargetError(
      `${baseUrl} is not an OpenAI-compatible API: GET /v1/models answered HTTP ${res.status}` +
        (Array.isArray(data) ? "" : " without a JSON model list"),
      "not_openai",
    );
  }
  const models = data
    .map((m) => (m && typeof m === "object" ? (m as { id?: unknown }).id : undefined))
    .filter((id): id is string => typeof id === "string");
  return {
    baseUrl,
    healthStatus,
    healthState,
    models,
    serverHeader: res.header("server"),
    modelsLatencyMs,
  };
}

function connectReason(err: unknown): string {
  // fetch says only "fetch failed"; what happened is in the cause chain.
  let msg = "";
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 4; depth++) {
    msg += `${e instanceof Error ? e.message : String(e)}\n`;
    e = e instanceof Error ? e.cause : undefined;
  }
  if (/refused/i.test(msg)) return "connection refused";
  if (/dns|resolve|lookup|name or service/i.test(msg)) return "host name not found";
  if (/reset/i.test(msg)) return "connection reset";
  if (/blocked/i.test(msg)) return "the port is blocked by the runtime (a well-known unsafe port)";
  return msg.split("\n")[0].slice(0, MAX_ERROR_CHARS);
}

/** A chat message. */
export interface ChatMessage {
  /** `system`, `user`, `assistant`… */
  role: string;
  /** Message text. */
  content: string;
}

/** The body of a request to any endpoint (fields other than these pass through). */
export interface RequestBody {
  /** Model id. */
  model: string;
  /** Stream the answer as SSE. */
  stream?: boolean;
  /** Anything else the endpoint takes (`messages`, `prompt`, `input`, `ignore_eos`…). */
  [extra: string]: unknown;
}

/** The body of a chat completion request (extra fields pass through). */
export interface ChatBody extends RequestBody {
  /** Conversation. */
  messages: ChatMessage[];
  /** Output length cap. */
  max_tokens?: number;
}

/** The OpenAI endpoints a client can measure. */
export const ENDPOINTS = ["chat", "completions", "embeddings", "responses"] as const;

/** An endpoint: `chat` (`/v1/chat/completions`), `completions`, `embeddings`, `responses`. */
export type Endpoint = typeof ENDPOINTS[number];

/** The path of an endpoint under the base URL. */
export function endpointPath(e: Endpoint): string {
  return e === "chat" ? "/v1/chat/completions" : `/v1/${e}`;
}

/** The HTTP client implementations a {@linkcode ChatClient} can use. */
export const HTTP_CLIENTS = ["native", "fetch"] as const;

/**
 * `native`: the lean HTTP/1.1 client of `net/http1.ts` (default; several times cheaper per
 * request); `fetch`: Deno's `fetch` with its own connection pool (HTTP/2 via ALPN on https).
 */
export type HttpClientKind = typeof HTTP_CLIENTS[number];

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

/**
 * Requests to one endpoint over one shared connection pool (chat completions unless told
 * otherwise). Close it when done.
 */
export class ChatClient {
  readonly #url: string;
  readonly #path: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  #lastBody: RequestBody | null = null;
  #lastJson = "";
  #lastBytes: Uint8Array | null = null;
  readonly #http: Deno.HttpClient | null;
  readonly #pool: Http1Pool | null;
  readonly #apiKey?: string;
  readonly #deadlines: Deadlines;
  readonly #maxBody: number;
  readonly #maxEvent: number;
  readonly #counter: TokenCounter;
  /** The HTTP implementation in use. */
  readonly kind: HttpClientKind;
  /** The endpoint requests go to. */
  readonly endpoint: Endpoint;

  /** Create a client with its own connection pool. */
  constructor(opts: ChatClientOptions) {
    this.endpoint = opts.endpoint ?? "chat";
    this.#maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#maxEvent = opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    this.#counter = opts.tokenCounter ?? WORD_COUNTER;
    const path = endpointPath(this.endpoint);
    this.#url = `${opts.baseUrl}${path}`;
    this.#path = `${new URL(opts.baseUrl).pathname.replace(/\/+$/, "")}${path}`;
    this.#apiKey = opts.apiKey;
    this.#headers = { "content-type": "application/json", ...authHeaders(opts.apiKey) };
    this.#timeoutMs = opts.timeoutMs;
    this.#deadlines = new Deadlines(opts.timeoutMs);
    this.kind = opts.http ?? "native";
    if (this.kind === "fetch") {
      this.#http = Deno.createHttpClient({ poolMaxIdlePerHost: opts.poolSize ?? 1024 });
      this.#pool = null;
    } else {
      this.#http = null;
      this.#pool = new Http1Pool(opts.baseUrl, { maxIdle: opts.poolSize ?? 1024 });
    }
  }

  /** Close the connection pool. */
  close(): void {
    this.#deadlines.close();
    this.#http?.close();
    this.#pool?.close();
  }

  /**
   * Send one request and measure it. Streaming chat and completion requests ask for
   * `stream_options.include_usage`. Never throws: every failure becomes an outcome.
   * A body object is serialised when first sent and must not be changed afterwards.
   */
  chat(body: RequestBody, opts: CallOptions = {}): Promise<RequestRecord> {
    const streaming = body.stream === true && this.endpoint !== "embeddings";
    // A test sends the same body object again and again: it is serialised once. Bodies are
    // treated as immutable once sent.
    if (body !== this.#lastBody) {
      const payload = streaming && this.endpoint !== "responses"
        ? {
          ...body,
          stream_options: { ...(body.stream_options as object ?? {}), include_usage: true },
        }
        : body;
      this.#lastJson = JSON.stringify(payload);
      this.#lastBytes = null;
      this.#lastBody = body;
    }
    if (this.#pool) {
      this.#lastBytes ??= new TextEncoder().encode(this.#lastJson);
      return this.#chatNative(this.#pool, this.#lastBytes, streaming, opts);
    }
    return this.#chatFetch(this.#lastJson, streaming, opts);
  }

  async #chatNative(
    pool: Http1Pool,
    json: Uint8Array,
    streaming: boolean,
    opts: CallOptions,
  ): Promise<RequestRecord> {
    const tIntended = opts.tIntendedMs === undefined ? null : opts.tIntendedMs / 1000;
    const t0 = performance.now();
    const rec = emptyRecord(t0 / 1000, tIntended);
    // Timeout and abort close the connection, which ends any pending read.
    let reason: "timeout" | "aborted" | null = null;
    let cancel: (() => void) | null = null;
    let finished = false;
    const fire = (why: "timeout" | "aborted") => {
      if (finished || reason !== null) return;
      reason = why;
      cancel?.();
    };
    const deadline = { at: t0 + this.#timeoutMs, fire: () => fire("timeout") };
    this.#deadlines.add(deadline);
    const outer = opts.signal;
    const onAbort = () => fire("aborted");
    if (outer) {
      if (outer.aborted) reason = "aborted";
      else outer.addEventListener("abort", onAbort, { once: true });
    }
    try {
      let res: Http1Response;
      try {
        res = await pool.request(
          { method: "POST", path: this.#path, headers: this.#headers, body: json },
          (c) => {
            cancel = c;
            if (reason !== null) c();
          },
        );
      } catch (err) {
        return this.#fail(rec, reason ?? "connect", reason ? this.#why(reason) : err);
      }
      rec.status = res.status;
      rec.worker = res.header("x-fakeai-worker");
      if (res.status < 200 || res.status >= 300) {
        return this.#failStatus(rec, res.status, () => res.text());
      }
      if (!streaming) {
        // The common case: the body came with the head, and its arrival is the end time.
        const text = res.takeText();
        if (text !== null) return this.#finishJson(rec, text, t0, res.bodyArrivedAt, opts);
        let rest: string;
        try {
          rest = await res.text(this.#maxBody);
        } catch (err) {
          if (err instanceof Http1Error && err.kind === "too_large" && !reason) {
            return this.#fail(rec, "too_large", err);
          }
          return this.#fail(rec, reason ?? "stream_cut", reason ? this.#why(reason) : err);
        }
        return this.#finishJson(rec, rest, t0, performance.now(), opts);
      }
      const st = new StreamState(rec, t0, opts, this.endpoint, this.#maxEvent, this.#maxBody);
      try {
        await res.stream((b, t) => st.parser.push(b, t));
      } catch (err) {
        rec.tEnd = performance.now() / 1000;
        rec.e2e = rec.tEnd - rec.tSend;
        // The transport wraps what the parser threw.
        const limit = err instanceof SseLimitError ? err : (err as Error)?.cause;
        if (limit instanceof SseLimitError && !reason) return this.#fail(rec, "too_large", limit);
        return this.#fail(rec, reason ?? "stream_cut", reason ? this.#why(reason) : err);
      }
      st.parser.end(performance.now());
      return this.#finishStream(rec, st, t0, performance.now());
    } finally {
      finished = true;
      this.#deadlines.delete(deadline);
      outer?.removeEventListener("abort", onAbort);
    }
  }

  /** A non-2xx answer: its class, with the error text of its body when it can be read. */
  async #failStatus(
    rec: RequestRecord,
    status: number,
    body: () => Promise<string>,
  ): Promise<RequestRecord> {
    let detail = "";
    try {
      detail = errorDetail(await body());
    } catch {
      // the body is only for the error sample
    }
    return this.#fail(rec, statusOutcome(status), httpError(status, detail));
  }

  #why(reason: "timeout" | "aborted"): string {
    return reason === "timeout"
      ? `no complete response within ${this.#timeoutMs / 1000} s`
      : "request aborted";
  }

  async #chatFetch(json: string, streaming: boolean, opts: CallOptions): Promise<RequestRecord> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    // Over a bound, the request is aborted as a whole: cancelling only the body reader leaves
    // the runtime reading the rest of the body into memory.
    const over = new AbortController();
    const signal = AbortSignal.any(
      opts.signal ? [opts.signal, timeout, over.signal] : [
        timeout,
        over.signal,
      ],
    );
    const tIntended = opts.tIntendedMs === undefined ? null : opts.tIntendedMs / 1000;
    const t0 = performance.now();
    const rec = emptyRecord(t0 / 1000, tIntended);
    let res: Response;
    try {
      res = await fetch(this.#url, {
        method: "POST",
        headers: this.#headers,
        body: json,
        client: this.#http!,
        signal,
        redirect: "manual",
      });
    } catch (err) {
      return this.#fail(rec, this.#classify(err, opts.signal, "connect"), err);
    }
    rec.status = res.status;
    rec.worker = res.headers.get("x-fakeai-worker");
    if (!res.ok) return this.#failStatus(rec, res.status, () => res.text());
    if (!streaming) {
      let text: string;
      try {
        text = await readLimited(res, this.#maxBody);
      } catch (err) {
        if (err instanceof TooLarge) {
          over.abort();
          return this.#fail(rec, "too_large", err);
        }
        return this.#fail(rec, this.#classify(err, opts.signal, "stream_cut"), err);
      }
      return this.#finishJson(rec, text, t0, performance.now(), opts);
    }
    if (!res.body) return this.#fail(rec, "bad_body", "streaming response has no body");
    const st = new StreamState(rec, t0, opts, this.endpoint, this.#maxEvent, this.#maxBody);
    const reader = res.body.getReader();
    try {
      while (true) {
        const { done: eof, value } = await reader.read();
        const t = performance.now();
        if (eof) {
          st.parser.end(t);
          break;
        }
        st.parser.push(value, t);
      }
    } catch (err) {
      rec.tEnd = performance.now() / 1000;
      rec.e2e = rec.tEnd - rec.tSend;
      if (err instanceof SseLimitError) {
        over.abort();
        reader.cancel().catch(() => {});
        return this.#fail(rec, "too_large", err);
      }
      const outcome = this.#classify(err, opts.signal, "stream_cut");
      if (outcome === "timeout" && !signal.aborted) return this.#fail(rec, "stream_cut", err);
      return this.#fail(rec, outcome, err);
    } finally {
      reader.releaseLock();
    }
    return this.#finishStream(rec, st, t0, performance.now());
  }

  #finishJson(
    rec: RequestRecord,
    text: string,
    t0: number,
    tEnd: number,
    opts: CallOptions,
  ): RequestRecord {
    rec.tEnd = tEnd / 1000;
    rec.e2e = (tEnd - t0) / 1000;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return this.#fail(rec, "bad_body", `response is not JSON: ${text.slice(0, RAW_ERROR_CHARS)}`);
    }
    const read = readAnswer(this.endpoint, body, rec);
    if (typeof read === "string") return this.#fail(rec, "bad_body", read);
    if (this.endpoint === "embeddings") {
      rec.outcome = "ok";
      return rec;
    }
    const { content, reasoning, hasTools } = read;
    if (rec.outputTokens === 0 && !rec.outputTokensEstimated) {
      const text = `${reasoning} ${content}`.trim();
      rec.outputTokens = text ? this.#counter.count(text) : hasTools ? 1 : 0;
      rec.outputTokensEstimated = true;
      rec.outputTokensCountedBy = text ? this.#counter.name : "events";
    }
    if (rec.outputTokens === 0 && !content && !reasoning && !hasTools) {
      return this.#fail(rec, "no_tokens", "response carried no generated token");
    }
    if (opts.keepText) rec.answer = content;
    rec.outcome = "ok";
    return rec;
  }

  #finishStream(rec: RequestRecord, st: StreamState, t0: number, tEnd: number): RequestRecord {
    rec.tEnd = tEnd / 1000;
    if (st.badJson !== null) return this.#fail(rec, "bad_body", `chunk is not JSON: ${st.badJson}`);
    if (st.serverError !== null) {
      rec.e2e = (tEnd - t0) / 1000;
      return this.#fail(rec, "stream_cut", st.serverError);
    }
    if (!st.done) {
      rec.e2e = (tEnd - t0) / 1000;
      return this.#fail(rec, "stream_cut", `stream ended without [DONE] after ${st.events} events`);
    }
    if (st.tokenEvents === 0) {
      rec.e2e = (tEnd - t0) / 1000;
      return this.#fail(rec, "no_tokens", "stream carried no generated token");
    }
    rec.ttft = (st.first - t0) / 1000;
    if (st.firstAnswer >= 0) rec.ttfo = (st.firstAnswer - t0) / 1000;
    if (rec.reasoningTokens === null && st.reasoningEvents > 0) {
      rec.reasoningTokens = st.reasoningEvents;
    }
    if (st.text !== null) rec.answer = st.text;
    rec.e2e = (st.last - t0) / 1000;
    if (rec.outputTokens === 0) {
      // No usage: the streamed text's tokens, not the chunks (a chunk may carry several).
      const counted = st.allText ? this.#counter.count(st.allText) : 0;
      rec.outputTokens = counted > 0 ? counted : st.tokenEvents;
      rec.outputTokensEstimated = true;
      rec.outputTokensCountedBy = counted > 0 ? this.#counter.name : "events";
    }
    rec.tpot = tpotOf(rec.e2e, rec.ttft, rec.outputTokens);
    if (st.stamps && st.times && st.stamps.length > 0) {
      rec.serverStamps = st.stamps;
      rec.tokenTimes = st.times;
    }
    rec.outcome = "ok";
    return rec;
  }

  #classify(err: unknown, outer: AbortSignal | undefined, otherwise: Outcome): Outcome {
    if (outer?.aborted) return "aborted";
    if (isTimeout(err)) return "timeout";
    if (err instanceof DOMException && err.name === "AbortError") return "timeout";
    return otherwise;
  }

  #fail(rec: RequestRecord, outcome: Outcome, err: unknown): RequestRecord {
    const now = performance.now() / 1000;
    if (rec.tEnd <= rec.tSend) rec.tEnd = now;
    if (rec.e2e === 0) rec.e2e = rec.tEnd - rec.tSend;
    rec.outcome = outcome;
    const msg = err instanceof Error
      ? (outcome === "connect" ? connectReason(err) : err.message)
      : String(err);
    rec.error = redact(msg.split("\n")[0], [this.#apiKey]).slice(0, MAX_ERROR_CHARS);
    rec.itl = [];
    return rec;
  }
}

/**
 * Request deadlines checked by one sweeping timer instead of a timer per request (a timer per
 * request costs more than the rest of a small request's client work). A deadline fires at
 * most a sweep period late: a tenth of the timeout, at most 50 ms.
 */
class Deadlines {
  readonly #items = new Set<{ at: number; fire: () => void }>();
  readonly #period: number;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(timeoutMs: number) {
    this.#period = Math.max(1, Math.min(50, timeoutMs / 10));
  }

  add(item: { at: number; fire: () => void }): void {
    this.#items.add(item);
    if (this.#timer === null) this.#timer = setInterval(() => this.#sweep(), this.#period);
  }

  delete(item: { at: number; fire: () => void }): void {
    this.#items.delete(item);
  }

  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#items.clear();
  }

  #sweep(): void {
    if (this.#items.size === 0) {
      clearInterval(this.#timer!);
      this.#timer = null;
      return;
    }
    const now = performance.now();
    for (const item of this.#items) {
      if (item.at <= now) {
        this.#items.delete(item);
        item.fire();
      }
    }
  }
}

/** A body over the bound. */
class TooLarge extends Error {}

/** Read a fetch body as text, at most `maxBytes` of it; over that, cancel it and throw. */
async function readLimited(res: Response, maxBytes: number): Promise<string> {
  const cl = Number(res.headers.get("content-length") ?? NaN);
  if (cl > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new TooLarge(`the body is ${cl} bytes, over ${maxBytes}`);
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        parts.length = 0;
        await reader.cancel().catch(() => {});
        throw new TooLarge(`the body exceeded ${maxBytes} bytes`);
      }
      // A copy: the chunk may be a view on a much larger buffer the runtime allocated, which
      // keeping the view would keep whole.
      parts.push(value.slice());
    }
  } finally {
    reader.releaseLock();
  }
  return new TextDecoder().decode(concatBytes(parts));
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

/** What a stream has delivered so far: SSE events turned into token times. */
class StreamState {
  first = -1;
  last = -1;
  /** Arrival of the first answer (not reasoning) token, or −1. */
  firstAnswer = -1;
  events = 0;
  tokenEvents = 0;
  reasoningEvents = 0;
  done = false;
  badJson: string | null = null;
  /** A failure the server reported inside the stream (Responses API), or null. */
  serverError: string | null = null;
  /** The answer's text, when kept. */
  text: string | null;
  /** Everything streamed (reasoning included), to count tokens when the server sends no usage. */
  allText = "";
  readonly stamps: number[] | null;
  readonly times: number[] | null;
  readonly parser: SseParser;

  constructor(
    rec: RequestRecord,
    t0: number,
    opts: CallOptions,
    endpoint: Endpoint,
    maxEventBytes: number,
    maxTextChars: number,
  ) {
    const keepStamps = opts.keepStamps === true;
    this.stamps = keepStamps ? [] : null;
    this.times = keepStamps ? [] : null;
    this.text = opts.keepText ? "" : null;
    const responses = endpoint === "responses";
    this.parser = new SseParser((ev) => {
      if (this.done) return;
      this.events++;
      if (rec.ttfc === null) rec.ttfc = (ev.t - t0) / 1000;
      if (ev.data === "[DONE]") {
        this.done = true;
        return;
      }
      let chunk: StreamChunkJson;
      try {
        chunk = JSON.parse(ev.data);
      } catch {
        if (this.badJson === null) this.badJson = ev.data.slice(0, RAW_ERROR_CHARS);
        return;
      }
      if (!chunk || typeof chunk !== "object") return;
      const token = responses ? this.#responsesEvent(chunk, rec) : this.#choiceChunk(chunk, rec);
      if (token === null) return;
      this.tokenEvents++;
      if (rec.outputTokens === 0 && this.allText.length + token.text.length <= maxTextChars) {
        this.allText += token.text;
      }
      if (token.reasoning) this.reasoningEvents++;
      else {
        if (this.firstAnswer < 0) this.firstAnswer = ev.t;
        if (this.text !== null && this.text.length + token.text.length <= maxTextChars) {
          this.text += token.text;
        }
      }
      if (this.first < 0) this.first = ev.t;
      else rec.itl.push((ev.t - this.last) / 1000);
      this.last = ev.t;
      if (this.stamps && this.times && typeof chunk.x_sent_ms === "number") {
        this.stamps.push(chunk.x_sent_ms);
        this.times.push(ev.t / 1000);
      }
    }, maxEventBytes);
  }

  /** A chat or completion chunk: the token it carries, or null (role-only, usage-only…). */
  #choiceChunk(chunk: StreamChunkJson, rec: RequestRecord): StreamToken | null {
    if (chunk.usage) readUsage(chunk.usage, rec);
    const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (!choice) return null;
    if (typeof choice.text === "string" && choice.text.length > 0) {
      return { reasoning: false, text: choice.text };
    }
    const delta = choice.delta;
    if (!delta) return null;
    if (typeof delta.content === "string" && delta.content.length > 0) {
      return { reasoning: false, text: delta.content };
    }
    const r = typeof delta.reasoning_content === "string"
      ? delta.reasoning_content
      : typeof delta.reasoning === "string"
      ? delta.reasoning
      : "";
    if (r.length > 0) return { reasoning: true, text: r };
    if (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) {
      return { reasoning: false, text: "" };
    }
    return null;
  }

  /** A Responses API event: text deltas are tokens; `response.completed` ends the stream. */
  #responsesEvent(chunk: StreamChunkJson, rec: RequestRecord): StreamToken | null {
    const type = typeof chunk.type === "string" ? chunk.type : "";
    const delta = typeof chunk.delta === "string" ? chunk.delta : "";
    if (type === "response.output_text.delta") {
      return delta.length > 0 ? { reasoning: false, text: delta } : null;
    }
    if (
      type === "response.reasoning_text.delta" || type === "response.reasoning_summary_text.delta"
    ) {
      return delta.length > 0 ? { reasoning: true, text: delta } : null;
    }
    if (type === "response.completed" || type === "response.incomplete") {
      readUsage(chunk.response?.usage, rec);
      this.done = true;
    } else if (type === "response.failed" || type === "error") {
      const err = (chunk.response as { error?: { message?: unknown } } | null)?.error ??
        (chunk as { message?: unknown });
      this.serverError = `server reported ${type}` +
        (typeof err?.message === "string" ? `: ${err.message.slice(0, RAW_ERROR_CHARS)}` : "");
      this.done = true;
    }
    return null;
  }
}

/** What one stream event carried. */
interface StreamToken {
  /** True for reasoning (thinking) text. */
  reasoning: boolean;
  /** The text. */
  text: string;
}

interface UsageJson {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  input_tokens?: unknown;
  output_tokens?: unknown;
  prompt_tokens_details?: { cached_tokens?: unknown } | null;
  input_tokens_details?: { cached_tokens?: unknown } | null;
  completion_tokens_details?: { reasoning_tokens?: unknown } | null;
  output_tokens_details?: { reasoning_tokens?: unknown } | null;
}

interface MessageJson {
  content?: unknown;
  reasoning_content?: unknown;
  reasoning?: unknown;
  tool_calls?: unknown[];
}

interface StreamChunkJson {
  choices?: { delta?: MessageJson; text?: unknown }[];
  usage?: UsageJson | null;
  x_sent_ms?: unknown;
  /** Responses API: the event type and text delta. */
  type?: unknown;
  delta?: unknown;
  response?: { usage?: UsageJson | null } | null;
}

/** What a non-streaming answer carried. */
interface Answer {
  content: string;
  reasoning: string;
  hasTools: boolean;
}

/**
 * Read a non-streaming answer of an endpoint into the record's usage; returns its text, or a
 * reason it is not a valid answer.
 */
function readAnswer(endpoint: Endpoint, body: unknown, rec: RequestRecord): Answer | string {
  if (!body || typeof body !== "object") return "response is not a JSON object";
  const b = body as Record<string, unknown>;
  readUsage(b.usage as UsageJson | undefined, rec);
  const str = (v: unknown) => (typeof v === "string" ? v : "");
  switch (endpoint) {
    case "embeddings": {
      if (!Array.isArray(b.data) || b.data.length === 0) return "response has no data array";
      const bad = b.data.findIndex((d) =>
        !d || (!Array.isArray(d.embedding) && typeof d.embedding !== "string")
      );
      if (bad >= 0) return `data[${bad}] has no embedding`;
      return { content: "", reasoning: "", hasTools: false };
    }
    case "completions": {
      if (!Array.isArray(b.choices)) return "response has no choices array";
      return { content: str(b.choices[0]?.text), reasoning: "", hasTools: false };
    }
    case "responses": {
      if (!Array.isArray(b.output)) return "response has no output array";
      let content = "", reasoning = "", hasTools = false;
      for (const item of b.output as Record<string, unknown>[]) {
        const parts = Array.isArray(item?.content) ? item.content : [];
        if (item?.type === "message") {
          for (const p of parts) if (p?.type === "output_text") content += str(p.text);
        } else if (item?.type === "reasoning") {
          for (const p of parts) reasoning += str(p?.text);
          const summary = Array.isArray(item.summary) ? item.summary : [];
          for (const p of summary) reasoning += str(p?.text);
        } else if (item?.type === "function_call") hasTools = true;
      }
      return { content, reasoning, hasTools };
    }
    case "chat": {
      if (!Array.isArray(b.choices)) return "response has no choices array";
      const msg = b.choices[0]?.message as MessageJson | undefined;
      const reasoning = str(msg?.reasoning_content) || str(msg?.reasoning);
      return {
        content: str(msg?.content),
        reasoning,
        hasTools: Array.isArray(msg?.tool_calls) && msg.tool_calls.length > 0,
      };
    }
  }
}

function readUsage(usage: UsageJson | null | undefined, rec: RequestRecord): void {
  if (!usage || typeof usage !== "object") return;
  const out = usage.completion_tokens ?? usage.output_tokens;
  if (typeof out === "number" && out >= 0) {
    rec.outputTokens = out;
    rec.outputTokensEstimated = false;
  }
  const inp = usage.prompt_tokens ?? usage.input_tokens;
  if (typeof inp === "number") rec.inputTokens = inp;
  const cached = (usage.prompt_tokens_details ?? usage.input_tokens_details)?.cached_tokens;
  if (typeof cached === "number") rec.cachedTokens = cached;
  const reasoning = (usage.completion_tokens_details ?? usage.output_tokens_details)
    ?.reasoning_tokens;
  if (typeof reasoning === "number") rec.reasoningTokens = reasoning;
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
