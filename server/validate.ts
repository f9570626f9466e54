/**
 * Shape and type checks of a chat completion request body.
 *
 * @module
 */

import { HttpError } from "./http.ts";

/** Largest accepted `n`. */
export const MAX_N = 8;

/** Default `max_tokens`, as FakeAI. */
export const DEFAULT_MAX_TOKENS = 100;

/** A checked chat completion request: only what the server uses. */
export interface ChatRequest {
  /** Requested model id, echoed back. */
  model: string;
  /** All message contents joined with single spaces, system and developer messages first. */
  promptText: string;
  /** Exact number of tokens to produce per choice. */
  maxTokens: number;
  /** Whether to answer with SSE. */
  stream: boolean;
  /** Whether to send a usage chunk before `[DONE]`. */
  includeUsage: boolean;
  /** Number of choices. */
  n: number;
  /** Request seed, or null. */
  seed: number | null;
}

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);

function bad(message: string, param: string): HttpError {
  return new HttpError(400, message, param, "invalid_request_error", "invalid_value");
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function optInt(
  body: Record<string, unknown>,
  key: string,
  min: number,
  max: number,
): number | null {
  const v = body[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw bad(`'${key}' must be an integer, got ${JSON.stringify(v)?.slice(0, 40)}.`, key);
  }
  if (v < min || v > max) throw bad(`'${key}' must be between ${min} and ${max}, got ${v}.`, key);
  return v;
}

function optBool(obj: Record<string, unknown>, key: string, param: string): boolean | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== "boolean") throw bad(`'${param}' must be a boolean.`, param);
  return v;
}

function contentText(content: unknown, i: number): string {
  if (typeof content === "string") return content;
  if (content === null || content === undefined) return "";
  if (!Array.isArray(content)) {
    throw bad(
      `'messages[${i}].content' must be a string or an array of text parts.`,
      `messages[${i}].content`,
    );
  }
  let text = "";
  for (let j = 0; j < content.length; j++) {
    const part = content[j];
    const param = `messages[${i}].content[${j}]`;
    if (!isObject(part) || part.type !== "text" || typeof part.text !== "string") {
      throw bad(`'${param}' must be {"type":"text","text":string}.`, param);
    }
    text = text === "" ? part.text : text + " " + part.text;
  }
  return text;
}

/**
 * Check a parsed request body and extract what the server needs.
 *
 * @param body the parsed JSON.
 * @param maxTokensLimit largest accepted `max_tokens`.
 * @returns the checked request.
 * @throws {HttpError} 400 naming the parameter at fault.
 */
export function validateChat(body: unknown, maxTokensLimit: number): ChatRequest {
  if (!isObject(body)) {
    throw new HttpError(
      400,
      "The request body must be a JSON object.",
      null,
      "invalid_request_error",
      "invalid_body",
    );
  }
  const model = body.model;
  if (typeof model !== "string" || model.length === 0 || model.length > 256) {
    throw bad(
      "'model' is required and must be a non-empty string of at most 256 characters.",
      "model",
    );
  }
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw bad("'messages' is required and must be a non-empty array.", "messages");
  }
  const first: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (!isObject(m)) throw bad(`'messages[${i}]' must be an object.`, `messages[${i}]`);
    const role = m.role;
    if (typeof role !== "string" || !ROLES.has(role)) {
      throw bad(
        `'messages[${i}].role' must be one of system, developer, user, assistant, tool, function.`,
        `messages[${i}].role`,
      );
    }
    const text = contentText(m.content, i);
    if (role === "system" || role === "developer") first.push(text);
    else rest.push(text);
  }
  const promptText = first.length === 0
    ? rest.join(" ")
    : rest.length === 0
    ? first.join(" ")
    : first.join(" ") + " " + rest.join(" ");
  const maxTokens = optInt(body, "max_completion_tokens", 1, maxTokensLimit) ??
    optInt(body, "max_tokens", 1, maxTokensLimit) ?? Math.min(DEFAULT_MAX_TOKENS, maxTokensLimit);
  if (body.max_completion_tokens !== undefined && body.max_completion_tokens !== null) {
    optInt(body, "max_tokens", 1, maxTokensLimit);
  }
  const stream = optBool(body, "stream", "stream") ?? false;
  let includeUsage = false;
  const so = body.stream_options;
  if (so !== undefined && so !== null) {
    if (!isObject(so)) throw bad("'stream_options' must be an object.", "stream_options");
    includeUsage = optBool(so, "include_usage", "stream_options.include_usage") ?? false;
  }
  const n = optInt(body, "n", 1, MAX_N) ?? 1;
  if (stream && n > 1) throw bad("Streaming supports only n = 1.", "n");
  const seed = optInt(body, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  optBool(body, "ignore_eos", "ignore_eos");
  const minTokens = optInt(body, "min_tokens", 0, maxTokensLimit);
  if (minTokens !== null && minTokens > maxTokens) {
    throw bad(
      `'min_tokens' (${minTokens}) must not exceed max_tokens (${maxTokens}).`,
      "min_tokens",
    );
  }
  return { model, promptText, maxTokens, stream, includeUsage, n, seed };
}
