/**
 * `/v1/chat/completions`: messages in, a message (or its deltas) out.
 *
 * @module
 */

import {
  choicesEndpoint,
  type EndpointDef,
  type MessageJson,
  str,
  type ToolCall,
} from "../endpoint.ts";

/** The tool calls of a chat message (OpenAI's `tool_calls` of functions). */
function toolCallsOf(msg: MessageJson | undefined): ToolCall[] {
  if (!Array.isArray(msg?.tool_calls)) return [];
  return msg.tool_calls.map((raw) => {
    const tc = (raw ?? {}) as Record<string, unknown>;
    const fn = (tc.function ?? {}) as Record<string, unknown>;
    return { id: str(tc.id), name: str(fn.name), arguments: str(fn.arguments) };
  });
}

/** Chat completions. */
export const CHAT: EndpointDef = choicesEndpoint("chat", "/v1/chat/completions", (choice) => {
  const msg = choice?.message as MessageJson | undefined;
  const toolCalls = toolCallsOf(msg);
  return {
    content: str(msg?.content),
    reasoning: str(msg?.reasoning_content) || str(msg?.reasoning),
    hasTools: toolCalls.length > 0,
    toolCalls,
  };
});
