/**
 * `/v1/rerank` and `/v1/score`: a query scored against documents, never streamed, no generated
 * token. Rerank takes `{query, documents, top_n}` (vLLM's, Jina's and Cohere's shape) and
 * answers `results[]` of `{index, relevance_score}`; vLLM's score API takes
 * `{text_1, text_2}` and answers `data[]` of `{index, score}`. Usage, when given, is
 * `usage.prompt_tokens` or `usage.total_tokens` (vLLM, Jina) or Cohere's
 * `meta.billed_units.input_tokens`.
 *
 * Facts: vLLM's "Re-rank API" and "Score API" (docs.vllm.ai, OpenAI-compatible server), Cohere's
 * Rerank API reference (`/v2/rerank`).
 *
 * @module
 */

import type { RequestRecord } from "../../measure/record.ts";
import { type EndpointDef, readUsage } from "../endpoint.ts";

/** Input tokens of a rerank or score answer, from whichever usage shape it carries. */
function readRerankUsage(b: Record<string, unknown>, rec: RequestRecord): void {
  const u = b.usage as Record<string, unknown> | undefined;
  const billed = (b.meta as { billed_units?: Record<string, unknown> } | undefined)?.billed_units;
  const tokens = u?.prompt_tokens ?? u?.total_tokens ?? billed?.input_tokens;
  if (tokens !== undefined) readUsage({ prompt_tokens: tokens }, rec);
}

/** Every entry of `list` has a finite number under `key`; else the index of the first without. */
function firstBad(list: unknown[], key: string): number {
  return list.findIndex((r) =>
    !r || typeof r !== "object" ||
    !Number.isFinite((r as Record<string, unknown>)[key] as number)
  );
}

/** Rerank: a query against documents. */
export const RERANK: EndpointDef = {
  name: "rerank",
  path: "/v1/rerank",
  streams: false,
  tokenless: true,
  prepare: (body) => body,
  readAnswer(b, rec) {
    readRerankUsage(b, rec);
    if (!Array.isArray(b.results)) return "response has no results array";
    const bad = firstBad(b.results, "relevance_score");
    if (bad >= 0) return `results[${bad}] has no relevance_score`;
    return { content: "", reasoning: "", hasTools: false };
  },
  streamEvent: () => null,
};

/** vLLM's score API: `text_1` against each of `text_2`. */
export const SCORE: EndpointDef = {
  name: "score",
  path: "/v1/score",
  streams: false,
  tokenless: true,
  prepare: (body) => body,
  readAnswer(b, rec) {
    readRerankUsage(b, rec);
    if (!Array.isArray(b.data)) return "response has no data array";
    const bad = firstBad(b.data, "score");
    if (bad >= 0) return `data[${bad}] has no score`;
    return { content: "", reasoning: "", hasTools: false };
  },
  streamEvent: () => null,
};
