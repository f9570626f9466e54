/**
 * What an endpoint is to the client: its path, the body it sends, how its non-streaming answer
 * is read, and which of its stream events carry tokens. One module per endpoint
 * (`net/endpoints/`), registered in `net/endpoints.ts`.
 *
 * @module
 */

import type { RequestRecord, ToolCallRecord } from "../measure/record.ts";

/** The body of a request to any endpoint (fields other than these pass through). */
export interface RequestBody {
  /** Model id. */
  model: string;
  /** Stream the answer as SSE. */
  stream?: boolean;
  /** Anything else the endpoint takes (`messages`, `prompt`, `input`, `ignore_eos`…). */
  [extra: string]: unknown;
}

/** A piece of a tool call as a stream event carries it. */
export interface ToolCallDelta {
  /** Which call of the answer (OpenAI's `index`). */
  index: number;
  /** The call's id, on its first piece. */
  id?: string;
  /** The function's name, on its first piece. */
  name?: string;
  /** A piece of the arguments' JSON text. */
  args: string;
}

/** A complete tool call of an answer. */
export interface ToolCall {
  /** The call's id. */
  id: string;
  /** The function's name. */
  name: string;
  /** The arguments as JSON text. */
  arguments: string;
}

/** What one stream event carried. */
export interface StreamToken {
  /** True for reasoning (thinking) text. */
  reasoning: boolean;
  /** The text. */
  text: string;
  /** Tool-call pieces the event carried. */
  tools?: ToolCallDelta[];
}

/** What a non-streaming answer carried. */
export interface Answer {
  /** The answer's text. */
  content: string;
  /** Its reasoning text. */
  reasoning: string;
  /** True when it called a tool. */
  hasTools: boolean;
  /** The tool calls, when the endpoint reads them. */
  toolCalls?: ToolCall[];
}

/** A stream's end as an event says it: complete, or failed with the server's message. */
export interface StreamEnd {
  /** The stream is complete. */
  done(): void;
  /** The server reported a failure inside the stream. */
  fail(message: string): void;
}

/** One endpoint, as the client measures it. */
export interface EndpointDef {
  /** Its name (`--endpoint`). */
  name: string;
  /** Its path under the base URL. */
  path: string;
  /** False for endpoints that never stream (embeddings). */
  streams: boolean;
  /** True when a successful answer carries no generated token (embeddings). */
  tokenless?: boolean;
  /** Headers the endpoint's API adds to every request (its key header, a version…). */
  headers?(apiKey: string | undefined): Record<string, string>;
  /** The body actually sent for `body` (a streaming request may ask for usage). */
  prepare(body: RequestBody, streaming: boolean): RequestBody;
  /** Read a non-streaming answer into the record's usage: its text, or why it is no answer. */
  readAnswer(body: Record<string, unknown>, rec: RequestRecord): Answer | string;
  /** Read one stream event (a parsed JSON object): the token it carries, or null. */
  streamEvent(chunk: StreamChunkJson, rec: RequestRecord, end: StreamEnd): StreamToken | null;
}

/** Longest server text an error keeps before secrets are removed. */
export const RAW_ERROR_CHARS = 4096;

/** The usage object of any endpoint's answer (OpenAI's names and the Responses API's). */
export interface UsageJson {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  input_tokens?: unknown;
  output_tokens?: unknown;
  prompt_tokens_details?: { cached_tokens?: unknown } | null;
  input_tokens_details?: { cached_tokens?: unknown } | null;
  completion_tokens_details?: { reasoning_tokens?: unknown } | null;
  output_tokens_details?: { reasoning_tokens?: unknown } | null;
}

/** A chat message or delta as servers send it. */
export interface MessageJson {
  content?: unknown;
  reasoning_content?: unknown;
  reasoning?: unknown;
  tool_calls?: unknown[];
}

/** One stream event of any endpoint. */
export interface StreamChunkJson {
  choices?: { delta?: MessageJson; text?: unknown; finish_reason?: unknown }[];
  usage?: UsageJson | null;
  x_sent_ms?: unknown;
  /** Responses API: the event type and text delta. */
  type?: unknown;
  delta?: unknown;
  response?: { usage?: UsageJson | null } | null;
}

/**
 * Most output tokens per second one request can plausibly see, time to first token included:
 * far above any engine's decode (a few thousand with speculative decoding), so only a count
 * that cannot be is set aside.
 */
export const MAX_PLAUSIBLE_TOKENS_PER_S = 100_000;

/** A token count as the server gave it: a whole number, 0 or more; else noted and dropped. */
function tokenCount(v: unknown, name: string, rec: RequestRecord): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return v;
  rec.implausible ??= `${name} ${typeof v === "number" ? v : JSON.stringify(v)?.slice(0, 40)}`;
  return null;
}

/**
 * Read a usage object into the record (output, input, cached and reasoning tokens). Counts
 * that cannot be (negative, fractional, not finite, more cached than prompt tokens) are set
 * aside and noted in `rec.implausible`.
 */
export function readUsage(usage: UsageJson | null | undefined, rec: RequestRecord): void {
  if (!usage || typeof usage !== "object") return;
  const out = tokenCount(usage.completion_tokens ?? usage.output_tokens, "completion_tokens", rec);
  if (out !== null) {
    rec.outputTokens = out;
    rec.outputTokensEstimated = false;
  }
  const inp = tokenCount(usage.prompt_tokens ?? usage.input_tokens, "prompt_tokens", rec);
  if (inp !== null) rec.inputTokens = inp;
  const cached = tokenCount(
    (usage.prompt_tokens_details ?? usage.input_tokens_details)?.cached_tokens,
    "cached_tokens",
    rec,
  );
  if (cached !== null) {
    if (rec.inputTokens !== null && cached > rec.inputTokens) {
      rec.implausible ??= `cached_tokens ${cached} of ${rec.inputTokens} prompt tokens`;
      rec.cachedTokens = null;
    } else rec.cachedTokens = cached;
  }
  const reasoning = tokenCount(
    (usage.completion_tokens_details ?? usage.output_tokens_details)?.reasoning_tokens,
    "reasoning_tokens",
    rec,
  );
  if (reasoning !== null) rec.reasoningTokens = reasoning;
}

/**
 * Set aside a server's output-token count that no engine could have generated in the
 * measured time (`seconds`, send to last token): noted in `rec.implausible`, the count
 * cleared for the client to estimate. True when it was set aside.
 */
export function dropImpossibleRate(rec: RequestRecord, seconds: number): boolean {
  if (rec.outputTokensEstimated || rec.outputTokens <= 1) return false;
  const rate = rec.outputTokens / Math.max(seconds, 1e-3);
  if (rate <= MAX_PLAUSIBLE_TOKENS_PER_S) return false;
  rec.implausible ??= `completion_tokens ${rec.outputTokens} in ${(seconds * 1000).toFixed(1)} ms`;
  rec.outputTokens = 0;
  return true;
}

/**
 * The failure a server reported inside a 2xx answer, or null: an SSE `event: error`, an
 * `error` member (OpenAI's and vLLM's `{"error": {"message": …}}`, Anthropic's `error` event
 * data), or vLLM's older `{"object": "error", "message": …}`.
 */
export function errorInBody(obj: unknown, sseEvent: string | null = null): string | null {
  const o = obj && typeof obj === "object" ? obj as Record<string, unknown> : null;
  const err = o?.error;
  let message: unknown = null;
  if (err !== undefined && err !== null && err !== "" && err !== false) {
    message = typeof err === "object" ? (err as Record<string, unknown>).message ?? "" : err;
    if (message === "" || typeof message !== "string") {
      message = JSON.stringify(err);
    }
  } else if (o?.object === "error" || sseEvent === "error") {
    message = typeof o?.message === "string" ? o.message : JSON.stringify(obj);
  } else return null;
  return String(message).slice(0, RAW_ERROR_CHARS);
}

/**
 * What an answer's tool calls measured: how many, whether their arguments are valid, when the
 * first and last delta came (s after sending), and the calls when `keep` (sessions).
 */
export function toolCallRecord(
  calls: ToolCall[],
  first: number,
  done: number,
  keep: boolean,
): ToolCallRecord {
  return {
    calls: calls.length,
    argsValid: toolArgsValid(calls),
    first,
    done,
    kept: keep ? calls : null,
  };
}

/** Whether every call's arguments are a JSON object (what a function takes). */
export function toolArgsValid(calls: readonly ToolCall[]): boolean {
  return calls.every((c) => {
    try {
      const v = JSON.parse(c.arguments);
      return v !== null && typeof v === "object" && !Array.isArray(v);
    } catch {
      return false;
    }
  });
}

/** A string field, or "". */
export function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/**
 * A chat or completion stream chunk: its usage into the record, and the token it carries, or
 * null (role-only, usage-only…).
 */
export function choiceToken(chunk: StreamChunkJson, rec: RequestRecord): StreamToken | null {
  if (chunk.usage) readUsage(chunk.usage, rec);
  const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
  if (!choice) return null;
  if (typeof choice.finish_reason === "string") rec.finishReason = choice.finish_reason;
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
    const tools = delta.tool_calls.map((raw, k): ToolCallDelta => {
      const tc = (raw ?? {}) as Record<string, unknown>;
      const fn = (tc.function ?? {}) as Record<string, unknown>;
      return {
        index: typeof tc.index === "number" ? tc.index : k,
        ...(typeof tc.id === "string" ? { id: tc.id } : {}),
        ...(typeof fn.name === "string" ? { name: fn.name } : {}),
        args: str(fn.arguments),
      };
    });
    return { reasoning: false, text: "", tools };
  }
  return null;
}

/** A streaming chat or completion request asks for usage in its last chunk. */
export function withUsage(body: RequestBody, streaming: boolean): RequestBody {
  return streaming
    ? {
      ...body,
      stream_options: { ...(body.stream_options as object ?? {}), include_usage: true },
    }
    : body;
}

/**
 * An endpoint whose answers carry `choices` (chat and completions): a streaming request asks
 * for usage, stream chunks carry tokens in their first choice, and `answer` reads the first
 * choice of a non-streaming answer.
 */
export function choicesEndpoint(
  name: string,
  path: string,
  answer: (choice: Record<string, unknown> | undefined) => Answer,
): EndpointDef {
  return {
    name,
    path,
    streams: true,
    prepare: withUsage,
    readAnswer(b, rec) {
      readUsage(b.usage as UsageJson | undefined, rec);
      if (!Array.isArray(b.choices)) return "response has no choices array";
      const first = b.choices[0] as Record<string, unknown> | undefined;
      if (typeof first?.finish_reason === "string") rec.finishReason = first.finish_reason;
      return answer(first);
    },
    streamEvent: (chunk, rec) => choiceToken(chunk, rec),
  };
}
