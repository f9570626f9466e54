/**
 * The endpoints a client can measure, by name. Adding one is a module in `net/endpoints/`
 * and one line here (and in {@linkcode ENDPOINTS}).
 *
 * @module
 */

import type { EndpointDef } from "./endpoint.ts";
import { CHAT } from "./endpoints/chat.ts";
import { COMPLETIONS } from "./endpoints/completions.ts";
import { EMBEDDINGS } from "./endpoints/embeddings.ts";
import { MESSAGES } from "./endpoints/messages.ts";
import { RESPONSES } from "./endpoints/responses.ts";

/** The endpoints' names, as `--endpoint` takes them. */
export const ENDPOINTS = ["chat", "completions", "embeddings", "responses", "messages"] as const;

/** An endpoint's name. */
export type Endpoint = typeof ENDPOINTS[number];

/** Every endpoint by name. */
export const ENDPOINT_DEFS: Readonly<Record<Endpoint, EndpointDef>> = {
  chat: CHAT,
  completions: COMPLETIONS,
  embeddings: EMBEDDINGS,
  responses: RESPONSES,
  messages: MESSAGES,
};

/** The path of an endpoint under the base URL. */
export function endpointPath(e: Endpoint): string {
  return ENDPOINT_DEFS[e].path;
}
