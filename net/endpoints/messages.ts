/**
 * `/v1/messages`: Anthropic's Messages API, as vLLM, LiteLLM and Anthropic-compatible gateways
 * serve it. The key goes in `x-api-key` (and, for servers that check only the OpenAI header, in
 * `Authorization` too) with `anthropic-version`. Its stream is typed events: `message_start`
 * carries the input usage, `content_block_delta` the tokens (`text_delta`, `thinking_delta`,
 * `input_json_delta` of a tool call), `message_delta` the stop reason and output usage, and
 * `message_stop` ends it. Usage counts cached prompt tokens apart from `input_tokens`.
 *
 * Facts: the Messages API reference and its streaming guide (docs.anthropic.com, "Messages",
 * "Streaming Messages"), API version 2023-06-01.
 *
 * @module
 */

import type { RequestRecord } from "../../measure/record.ts";
import { type EndpointDef, readUsage, str, type UsageJson } from "../endpoint.ts";

/** The API version sent in `anthropic-version`. */
export const ANTHROPIC_VERSION = "2023-06-01";

/** Anthropic's usage object. */
interface MessagesUsage {
  input_tokens?: unknown;
  output_tokens?: unknown;
  cache_read_input_tokens?: unknown;
  cache_creation_input_tokens?: unknown;
}

/** OpenAI's finish reason for an Anthropic stop reason. */
function finishOf(stop: unknown): string | null {
  if (typeof stop !== "string") return null;
  if (stop === "max_tokens") return "length";
  if (stop === "tool_use") return "tool_calls";
  if (stop === "end_turn" || stop === "stop_sequence") return "stop";
  return stop;
}

const count = (v: unknown) => (typeof v === "number" ? v : 0);

/**
 * Read Anthropic usage into the record: the prompt is input + cache-read + cache-creation
 * tokens, the cached part the cache reads. `output` false reads the input side only
 * (`message_start`'s output count is a placeholder).
 */
function readMessagesUsage(
  u: MessagesUsage | null | undefined,
  rec: RequestRecord,
  output: boolean,
) {
  if (!u || typeof u !== "object") return;
  const usage: UsageJson = {};
  if (typeof u.input_tokens === "number") {
    const cached = count(u.cache_read_input_tokens);
    usage.input_tokens = u.input_tokens + cached + count(u.cache_creation_input_tokens);
    usage.input_tokens_details = { cached_tokens: cached };
  }
  if (output) usage.output_tokens = u.output_tokens;
  readUsage(usage, rec);
}

/** Anthropic's Messages API. */
export const MESSAGES: EndpointDef = {
  name: "messages",
  path: "/v1/messages",
  streams: true,
  headers: (apiKey) => ({
    "anthropic-version": ANTHROPIC_VERSION,
    ...(apiKey ? { "x-api-key": apiKey } : {}),
  }),
  prepare: (body) => body,
  readAnswer(b, rec) {
    readMessagesUsage(b.usage as MessagesUsage, rec, true);
    if (!Array.isArray(b.content)) return "response has no content array";
    rec.finishReason = finishOf(b.stop_reason);
    let content = "", reasoning = "", hasTools = false;
    for (const block of b.content as Record<string, unknown>[]) {
      if (block?.type === "text") content += str(block.text);
      else if (block?.type === "thinking") reasoning += str(block.thinking);
      else if (block?.type === "tool_use") hasTools = true;
    }
    return { content, reasoning, hasTools };
  },
  streamEvent(chunk, rec, end) {
    const c = chunk as Record<string, unknown>;
    switch (c.type) {
      case "message_start":
        readMessagesUsage(
          (c.message as { usage?: MessagesUsage } | undefined)?.usage,
          rec,
          false,
        );
        return null;
      case "content_block_delta": {
        const d = c.delta as Record<string, unknown> | undefined;
        if (d?.type === "text_delta") {
          const text = str(d.text);
          return text ? { reasoning: false, text } : null;
        }
        if (d?.type === "thinking_delta") {
          const text = str(d.thinking);
          return text ? { reasoning: true, text } : null;
        }
        if (d?.type === "input_json_delta") return { reasoning: false, text: "" };
        return null;
      }
      case "message_delta": {
        const d = c.delta as Record<string, unknown> | undefined;
        const finish = finishOf(d?.stop_reason);
        if (finish !== null) rec.finishReason = finish;
        const u = c.usage as MessagesUsage | undefined;
        if (u) readMessagesUsage(u, rec, true);
        return null;
      }
      case "message_stop":
        end.done();
        return null;
    }
    return null;
  },
};
