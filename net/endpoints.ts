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
import { RERANK, SCORE } from "./endpoints/rerank.ts";
import { RESPONSES } from "./endpoints/responses.ts";

/** The endpoints' names, as `--endpoint` takes them. */
export const ENDPOINTS = [
  "chat",
  "completions",
  "embeddings",
  "responses",
  "messages",
  "rerank",
  "score",
] as const;

/** An endpoint's name. */
export type Endpoint = typeof ENDPOINTS[number];

/** Every endpoint by name. */
export const ENDPOINT_DEFS: Readonly<Record<Endpoint, EndpointDef>> = {
  chat: CHAT,
  completions: COMPLETIONS,
  embeddings: EMBEDDINGS,
  responses: RESPONSES,
  messages: MESSAGES,
  rerank: RERANK,
  score: SCORE,
};

/** True for endpoints that generate no token (embeddings, rerank, score): never streamed. */
export function isTokenless(e: Endpoint): boolean {
  return ENDPOINT_DEFS[e].tokenless === true;
}

/** True for endpoints that score a query against documents (rerank, score). */
export function isRanking(e: Endpoint): boolean {
  return e === "rerank" || e === "score";
}

/** The path of an endpoint under the base URL. */
export function endpointPath(e: Endpoint): string {
  return ENDPOINT_DEFS[e].path;
}
