/**
 * Shape and type checks of request bodies: chat completions, completions, responses and
 * embeddings.
 *
 * @module
 */

import { HttpError } from "./http.ts";
import { type PendingImage, readImagePart, type RequestImage } from "./images.ts";

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
  /** Names of the functions the request offers as tools (chat), or null without tools. */
  tools?: string[] | null;
  /** Images the messages carried (chat), in order: read, or to be fetched from loopback. */
  images?: (RequestImage | PendingImage)[];
  /** `tool_choice`: `auto` (default with tools), `required`, `none`, or a function's name. */
  toolChoice?: "auto" | "required" | "none" | { name: string };
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

function contentText(
  content: unknown,
  i: number,
  images: (RequestImage | PendingImage)[],
): string {
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
    if (isObject(part) && part.type === "image_url") {
      const iu = part.image_url;
      const url = typeof iu === "string" ? iu : isObject(iu) ? iu.url : undefined;
      if (typeof url !== "string") {
        throw bad(`'${param}.image_url' must be {"url": string}.`, `${param}.image_url`);
      }
      const img = readImagePart(url);
      if (typeof img === "string") throw bad(`'${param}': ${img}.`, `${param}.image_url`);
      images.push(img);
      continue;
    }
    if (!isObject(part) || part.type !== "text" || typeof part.text !== "string") {
      throw bad(
        `'${param}' must be {"type":"text","text":string} or {"type":"image_url",...}.`,
        param,
      );
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
  const model = modelOf(body);
  const b = body as Record<string, unknown>;
  const messages = b.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw bad("'messages' is required and must be a non-empty array.", "messages");
  }
  const first: string[] = [];
  const rest: string[] = [];
  const images: (RequestImage | PendingImage)[] = [];
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
    const text = contentText(m.content, i, images);
    if (role === "system" || role === "developer") first.push(text);
    else rest.push(text);
  }
  const promptText = first.length === 0
    ? rest.join(" ")
    : rest.length === 0
    ? first.join(" ")
    : first.join(" ") + " " + rest.join(" ");
  const maxTokens = optInt(b, "max_completion_tokens", 1, maxTokensLimit) ??
    optInt(b, "max_tokens", 1, maxTokensLimit) ?? Math.min(DEFAULT_MAX_TOKENS, maxTokensLimit);
  if (b.max_completion_tokens !== undefined && b.max_completion_tokens !== null) {
    optInt(b, "max_tokens", 1, maxTokensLimit);
  }
  return {
    model,
    promptText,
    maxTokens,
    ...generationOptions(b, maxTokens, maxTokensLimit),
    ...toolOptions(b),
    images,
  };
}

/** `tools` (functions only) and `tool_choice` of a chat request. */
function toolOptions(b: Record<string, unknown>): Pick<ChatRequest, "tools" | "toolChoice"> {
  const raw = b.tools;
  if (raw === undefined || raw === null) {
    if (b.tool_choice !== undefined && b.tool_choice !== null && b.tool_choice !== "none") {
      throw bad("'tool_choice' is only allowed when 'tools' are given.", "tool_choice");
    }
    return { tools: null, toolChoice: "none" };
  }
  if (!Array.isArray(raw) || raw.length === 0) {
    throw bad("'tools' must be a non-empty list of tools.", "tools");
  }
  const names = raw.map((t, i) => {
    const fn = isObject(t) && t.type === "function" && isObject(t.function) ? t.function : null;
    if (!fn || typeof fn.name !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(fn.name)) {
      throw bad(
        `'tools[${i}]' must be {"type":"function","function":{"name":string,...}} with a name ` +
          "of letters, digits, _ or - (at most 64).",
        `tools[${i}]`,
      );
    }
    return fn.name;
  });
  const c = b.tool_choice;
  let toolChoice: ChatRequest["toolChoice"] = "auto";
  if (c === "auto" || c === "required" || c === "none") toolChoice = c;
  else if (isObject(c) && c.type === "function" && isObject(c.function)) {
    const name = c.function.name;
    if (typeof name !== "string" || !names.includes(name)) {
      throw bad("'tool_choice.function.name' must name one of the tools.", "tool_choice");
    }
    toolChoice = { name };
  } else if (c !== undefined && c !== null) {
    throw bad(
      '\'tool_choice\' must be auto, required, none or {"type":"function","function":{"name":…}}.',
      "tool_choice",
    );
  }
  return { tools: names, toolChoice };
}

/** The request body as an object with a valid `model`, or a 400. */
function modelOf(body: unknown): string {
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
  return model;
}

/** `stream`, `stream_options`, `n`, `seed`, `ignore_eos`, `min_tokens`. */
function generationOptions(
  body: Record<string, unknown>,
  maxTokens: number,
  maxTokensLimit: number,
): Pick<ChatRequest, "stream" | "includeUsage" | "n" | "seed"> {
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
  return { stream, includeUsage, n, seed };
}

/** Default `max_tokens` of `/v1/completions`, as the OpenAI API. */
export const DEFAULT_COMPLETION_TOKENS = 16;

/**
 * Check a `/v1/completions` body: `prompt` is a string, or a list of one string.
 *
 * @throws {HttpError} 400 naming the parameter at fault.
 */
export function validateCompletion(body: unknown, maxTokensLimit: number): ChatRequest {
  const model = modelOf(body);
  const b = body as Record<string, unknown>;
  let prompt = b.prompt;
  if (Array.isArray(prompt)) {
    if (prompt.length !== 1) {
      throw bad("'prompt' as a list must hold exactly one string on this server.", "prompt");
    }
    prompt = prompt[0];
  }
  if (typeof prompt !== "string") throw bad("'prompt' is required and must be a string.", "prompt");
  const maxTokens = optInt(b, "max_tokens", 1, maxTokensLimit) ??
    Math.min(DEFAULT_COMPLETION_TOKENS, maxTokensLimit);
  return {
    model,
    promptText: prompt,
    maxTokens,
    ...generationOptions(b, maxTokens, maxTokensLimit),
  };
}

/**
 * Check a `/v1/responses` body: `input` is a string or a list of messages (string content or
 * `input_text` parts), `instructions` an optional string, `max_output_tokens` the length.
 *
 * @throws {HttpError} 400 naming the parameter at fault.
 */
export function validateResponses(body: unknown, maxTokensLimit: number): ChatRequest {
  const model = modelOf(body);
  const b = body as Record<string, unknown>;
  const parts: string[] = [];
  if (b.instructions !== undefined && b.instructions !== null) {
    if (typeof b.instructions !== "string") {
      throw bad("'instructions' must be a string.", "instructions");
    }
    parts.push(b.instructions);
  }
  const input = b.input;
  if (typeof input === "string") parts.push(input);
  else if (Array.isArray(input) && input.length > 0) {
    for (let i = 0; i < input.length; i++) {
      const m = input[i];
      const param = `input[${i}]`;
      if (!isObject(m)) throw bad(`'${param}' must be an object.`, param);
      const c = m.content;
      if (typeof c === "string") parts.push(c);
      else if (Array.isArray(c)) {
        for (let j = 0; j < c.length; j++) {
          const p = c[j];
          if (!isObject(p) || typeof p.text !== "string") {
            throw bad(
              `'${param}.content[${j}]' must be {"type":"input_text","text":string}.`,
              `${param}.content[${j}]`,
            );
          }
          parts.push(p.text);
        }
      } else throw bad(`'${param}.content' must be a string or a list of parts.`, param);
    }
  } else {
    throw bad("'input' is required: a string or a non-empty list of messages.", "input");
  }
  const maxTokens = optInt(b, "max_output_tokens", 1, maxTokensLimit) ??
    Math.min(DEFAULT_MAX_TOKENS, maxTokensLimit);
  return oneAnswer(model, parts, maxTokens, optBool(b, "stream", "stream") ?? false);
}

/** A request for one answer without usage chunks or a seed (responses, messages). */
function oneAnswer(
  model: string,
  parts: string[],
  maxTokens: number,
  stream: boolean,
): ChatRequest {
  return {
    model,
    promptText: parts.join(" "),
    maxTokens,
    stream,
    includeUsage: false,
    n: 1,
    seed: null,
  };
}

/**
 * Check an Anthropic Messages API request (`/v1/messages`): `model`, `max_tokens` (required,
 * as the API requires it), `messages` of `user`/`assistant` turns whose content is a string or
 * a list of blocks (text blocks are read; other blocks, such as tool results, are counted by
 * their text), an optional `system` (a string or text blocks) and `stream`.
 */
export function validateMessages(body: unknown, maxTokensLimit: number): ChatRequest {
  const model = modelOf(body);
  const b = body as Record<string, unknown>;
  const parts: string[] = [];
  const blocks = (v: unknown, param: string) => {
    if (typeof v === "string") return parts.push(v);
    if (!Array.isArray(v)) throw bad(`'${param}' must be a string or a list of blocks.`, param);
    for (let j = 0; j < v.length; j++) {
      const p = v[j];
      if (!isObject(p) || typeof p.type !== "string") {
        throw bad(`'${param}[${j}]' must be a content block with a 'type'.`, `${param}[${j}]`);
      }
      if (typeof p.text === "string") parts.push(p.text);
      else if (typeof p.content === "string") parts.push(p.content);
    }
  };
  if (b.system !== undefined && b.system !== null) blocks(b.system, "system");
  const messages = b.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw bad("'messages' is required: a non-empty list of messages.", "messages");
  }
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const param = `messages[${i}]`;
    if (!isObject(m) || (m.role !== "user" && m.role !== "assistant")) {
      throw bad(`'${param}.role' must be "user" or "assistant".`, `${param}.role`);
    }
    blocks(m.content, `${param}.content`);
  }
  if (b.max_tokens === undefined) throw bad("'max_tokens' is required.", "max_tokens");
  const maxTokens = optInt(b, "max_tokens", 1, maxTokensLimit)!;
  return oneAnswer(model, parts, maxTokens, optBool(b, "stream", "stream") ?? false);
}

/** A checked rerank or score request. */
export interface RankRequest {
  /** Model id, echoed. */
  model: string;
  /** The query. */
  query: string;
  /** The documents to score against it. */
  documents: string[];
  /** Results to return (rerank), all when null. */
  topN: number | null;
}

/**
 * Check a rerank request (`{query, documents, top_n}`: vLLM, Jina, Cohere; documents as
 * strings or `{text}` objects) or, with `score`, vLLM's `{text_1, text_2}`.
 */
export function validateRank(body: unknown, score: boolean): RankRequest {
  const model = modelOf(body);
  const b = body as Record<string, unknown>;
  const qKey = score ? "text_1" : "query";
  const dKey = score ? "text_2" : "documents";
  const query = b[qKey];
  if (typeof query !== "string" || query === "") {
    throw bad(`'${qKey}' is required: a non-empty string.`, qKey);
  }
  const raw = typeof b[dKey] === "string" ? [b[dKey]] : b[dKey];
  if (!Array.isArray(raw) || raw.length === 0) {
    throw bad(`'${dKey}' is required: a non-empty list of texts.`, dKey);
  }
  if (raw.length > MAX_EMBEDDING_INPUTS) {
    throw bad(`'${dKey}' may hold at most ${MAX_EMBEDDING_INPUTS} items.`, dKey);
  }
  const documents = raw.map((d, i) => {
    const text = typeof d === "string" ? d : isObject(d) ? d.text : undefined;
    if (typeof text !== "string" || text === "") {
      throw bad(`'${dKey}[${i}]' must be a non-empty string or {"text": string}.`, `${dKey}[${i}]`);
    }
    return text;
  });
  const topN = score ? null : optInt(b, "top_n", 1, MAX_EMBEDDING_INPUTS);
  return { model, query, documents, topN };
}

/** A checked embeddings request. */
export interface EmbeddingsRequest {
  /** Model id, echoed. */
  model: string;
  /** The texts to embed. */
  inputs: string[];
  /** Vector length. */
  dimensions: number;
  /** `float` or `base64`. */
  base64: boolean;
}

/** Default embedding length (as `text-embedding-3-small`). */
export const DEFAULT_DIMENSIONS = 1536;

/** Most inputs one embeddings request may carry, as the OpenAI API. */
export const MAX_EMBEDDING_INPUTS = 2048;

/**
 * Check a `/v1/embeddings` body: `input` a string or a list of strings.
 *
 * @throws {HttpError} 400 naming the parameter at fault.
 */
export function validateEmbeddings(body: unknown): EmbeddingsRequest {
  const model = modelOf(body);
  const b = body as Record<string, unknown>;
  const raw = b.input;
  const inputs = typeof raw === "string" ? [raw] : raw;
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw bad("'input' is required: a string or a non-empty list of strings.", "input");
  }
  if (inputs.length > MAX_EMBEDDING_INPUTS) {
    throw bad(`'input' may hold at most ${MAX_EMBEDDING_INPUTS} items.`, "input");
  }
  for (let i = 0; i < inputs.length; i++) {
    if (typeof inputs[i] !== "string" || inputs[i] === "") {
      throw bad(`'input[${i}]' must be a non-empty string.`, `input[${i}]`);
    }
  }
  const dimensions = optInt(b, "dimensions", 1, 8192) ?? DEFAULT_DIMENSIONS;
  const fmt = b.encoding_format;
  if (fmt !== undefined && fmt !== null && fmt !== "float" && fmt !== "base64") {
    throw bad("'encoding_format' must be float or base64.", "encoding_format");
  }
  return { model, inputs: inputs as string[], dimensions, base64: fmt === "base64" };
}
