/**
 * `/v1/chat/completions`: messages in, a message (or its deltas) out.
 *
 * @module
 */

import { choicesEndpoint, type EndpointDef, type MessageJson, str } from "../endpoint.ts";

/** Chat completions. */
export const CHAT: EndpointDef = choicesEndpoint("chat", "/v1/chat/completions", (choice) => {
  const msg = choice?.message as MessageJson | undefined;
  return {
    content: str(msg?.content),
    reasoning: str(msg?.reasoning_content) || str(msg?.reasoning),
    hasTools: Array.isArray(msg?.tool_calls) && msg.tool_calls.length > 0,
  };
});
