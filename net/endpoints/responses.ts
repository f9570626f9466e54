/**
 * `/v1/responses`: the Responses API. Its stream is typed events: text and reasoning deltas
 * carry tokens, `response.completed` (or `incomplete`) ends it with usage, `response.failed`
 * and `error` end it with the server's failure.
 *
 * @module
 */

import { type EndpointDef, RAW_ERROR_CHARS, readUsage, str, type UsageJson } from "../endpoint.ts";

/** The Responses API. */
export const RESPONSES: EndpointDef = {
  name: "responses",
  path: "/v1/responses",
  streams: true,
  prepare: (body) => body,
  readAnswer(b, rec) {
    readUsage(b.usage as UsageJson | undefined, rec);
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
  },
  streamEvent(chunk, rec, end) {
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
      end.done();
    } else if (type === "response.failed" || type === "error") {
      const err = (chunk.response as { error?: { message?: unknown } } | null)?.error ??
        (chunk as { message?: unknown });
      end.fail(
        `server reported ${type}` +
          (typeof err?.message === "string" ? `: ${err.message.slice(0, RAW_ERROR_CHARS)}` : ""),
      );
    }
    return null;
  },
};
