/**
 * What one request measured (docs/ARCHITECTURE.md, "Metric definitions"). Times are seconds on the `performance.now()` clock
 * of the process that sent the request; durations are seconds.
 *
 * @module
 */

/** How a request ended: `ok`, or the class of its failure. */
export type Outcome =
  | "ok"
  | "connect"
  | "timeout"
  | "http_3xx"
  | "http_4xx"
  | "http_429"
  | "http_5xx"
  | "bad_body"
  | "too_large"
  | "stream_cut"
  | "error_event"
  | "no_tokens"
  | "aborted";

/** Every outcome, in the order reports list them. */
export const OUTCOMES: readonly Outcome[] = [
  "ok",
  "connect",
  "timeout",
  "http_3xx",
  "http_4xx",
  "http_429",
  "http_5xx",
  "bad_body",
  "too_large",
  "stream_cut",
  "error_event",
  "no_tokens",
  "aborted",
];

/** Every failure class (all outcomes but `ok`). */
export const ERROR_CLASSES: readonly Outcome[] = OUTCOMES.filter((o) => o !== "ok");

/** One request's measurements. */
export interface RequestRecord {
  /** Open loop only: when the schedule said to send (s). */
  tIntended: number | null;
  /** Just before the request was handed to the HTTP client (s). */
  tSend: number;
  /** When the request ended, successfully or not (s). */
  tEnd: number;
  /** Streaming only: first token-bearing event − tSend (s). */
  ttft: number | null;
  /** Streaming only: first event of any kind − tSend (s), for vLLM parity. */
  ttfc: number | null;
  /** Last token-bearing event (streaming) or end of body (non-streaming) − tSend (s). */
  e2e: number;
  /** Gaps between consecutive token-bearing events (s); one per event after the first. */
  itl: number[];
  /** (e2e − ttft) / (outputTokens − 1) when outputTokens > 1 (s). */
  tpot: number | null;
  /** `usage.completion_tokens`, else the count of token-bearing events. */
  outputTokens: number;
  /** True when outputTokens was counted by the client, not reported by the server. */
  outputTokensEstimated: boolean;
  /** When estimated: the tokenizer that counted the text, or `events` (chunks counted). */
  outputTokensCountedBy: string | null;
  /** `usage.prompt_tokens`; null when the server did not say. */
  inputTokens: number | null;
  /** `usage.prompt_tokens_details.cached_tokens`; null when absent (never 0 by default). */
  cachedTokens: number | null;
  /** How the request ended. */
  outcome: Outcome;
  /** HTTP status, when a response arrived. */
  status: number | null;
  /** Short error description for failures (secrets removed by the caller). */
  error: string | null;
  /** Server-side routing hint (`x-fakeai-worker` header), when present. */
  worker: string | null;
  /** Server send stamps of token events (ms, epoch), when the server stamps chunks. */
  serverStamps: number[] | null;
  /** Client arrival times of token events (s), kept only when serverStamps are. */
  tokenTimes: number[] | null;
  /**
   * Streaming only: first answer token (reasoning excluded) − tSend (s); null when the stream
   * had no answer token. Equals ttft for models that do not reason.
   */
  ttfo: number | null;
  /** Reasoning tokens: the server's `reasoning_tokens`, else the reasoning events counted. */
  reasoningTokens: number | null;
  /** The answer's text, kept only when asked (multi-turn sessions). */
  answer: string | null;
  /** The first choice's `finish_reason` (`length`, `stop`…) when the server gave one. */
  finishReason: string | null;
  /**
   * Streaming only: true when the stream ended with `data: [DONE]`, false when it completed
   * without it (the server's last chunk said so); null otherwise.
   */
  doneMarker: boolean | null;
  /**
   * What the server reported that cannot be (a token count that is negative, fractional or
   * not finite, more cached than prompt tokens, more tokens per second than any engine
   * generates): set aside, never taken as measured; null when everything was plausible.
   */
  implausible: string | null;
  /** The answer's tool calls, or null when it made none. */
  tool: ToolCallRecord | null;
}

/** What a request's tool calls measured. */
export interface ToolCallRecord {
  /** Calls the answer made. */
  calls: number;
  /** True when every call's arguments parsed as a JSON object. */
  argsValid: boolean;
  /** First tool-call delta − tSend (s); the end of the body without streaming. */
  first: number;
  /** Last tool-call delta (the call complete) − tSend (s). */
  done: number;
  /** The calls themselves (id, name, arguments), kept for sessions to answer them. */
  kept: { id: string; name: string; arguments: string }[] | null;
}

/** A record with every measurement empty, to be filled in by the client. */
export function emptyRecord(tSend: number, tIntended: number | null = null): RequestRecord {
  return {
    tIntended,
    tSend,
    tEnd: tSend,
    ttft: null,
    ttfc: null,
    e2e: 0,
    itl: [],
    tpot: null,
    outputTokens: 0,
    outputTokensEstimated: false,
    outputTokensCountedBy: null,
    inputTokens: null,
    cachedTokens: null,
    outcome: "ok",
    status: null,
    error: null,
    worker: null,
    serverStamps: null,
    tokenTimes: null,
    ttfo: null,
    reasoningTokens: null,
    answer: null,
    finishReason: null,
    doneMarker: null,
    implausible: null,
    tool: null,
  };
}

/** Time per output token as docs/ARCHITECTURE.md defines it, or null when it is undefined. */
export function tpotOf(e2e: number, ttft: number | null, outputTokens: number): number | null {
  if (ttft === null || outputTokens <= 1) return null;
  return (e2e - ttft) / (outputTokens - 1);
}
