/**
 * `POST /v1/rerank` (also `/rerank` and Cohere's `/v2/rerank`) and `POST /v1/score` (also
 * `/score`): a query scored against documents, as a cross-encoder scores each (query,
 * document) pair. Scores are deterministic for the texts (the cosine of their embeddings,
 * mapped to 0–1); the answer comes when the pairs' prefill would be done, as for embeddings.
 *
 * @module
 */

import type { ServerState } from "./state.ts";
import { countTokens } from "./tokenizer.ts";
import { validateRank } from "./validate.ts";
import { readJsonBody } from "./chat.ts";
import { embeddingOf, waitForPrefill } from "./embeddings.ts";
import { combine32, Prng } from "../util/prng.ts";

const DIMS = 64;

/** Relevance of `doc` to `query` in 0–1, the same for the same texts and seed. */
export function relevance(query: string, doc: string, seed: number): number {
  const q = embeddingOf(query, DIMS, seed), d = embeddingOf(doc, DIMS, seed);
  let dot = 0;
  for (let i = 0; i < DIMS; i++) dot += q[i] * d[i];
  return (1 + dot) / 2;
}

/**
 * Handle one rerank (`score` false) or score request.
 *
 * @throws {HttpError} for bad requests.
 */
export async function handleRank(
  state: ServerState,
  req: Request,
  t0: number,
  score: boolean,
): Promise<Response> {
  const body = validateRank(await readJsonBody(state, req), score);
  const { opts } = state;
  // A cross-encoder reads the query with each document.
  const q = countTokens(body.query);
  let tokens = 0;
  for (const d of body.documents) tokens += q + countTokens(d);
  state.metrics.promptTokens += tokens;
  await waitForPrefill(state, t0, tokens);
  const scores = body.documents.map((d, index) => ({
    index,
    s: relevance(body.query, d, opts.seed),
  }));
  const id = new Prng(combine32(opts.seed ^ 0x7e7a, state.seq++)).hex(24);
  const usage = { prompt_tokens: tokens, total_tokens: tokens };
  const out = score
    ? {
      id: `score-${id}`,
      object: "list",
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      data: scores.map((x) => ({ index: x.index, object: "score", score: x.s })),
      usage,
    }
    : {
      id: `rerank-${id}`,
      model: body.model,
      usage: { total_tokens: tokens },
      results: scores.sort((a, b) => b.s - a.s).slice(0, body.topN ?? scores.length).map((x) => ({
        index: x.index,
        document: { text: body.documents[x.index] },
        relevance_score: x.s,
      })),
    };
  return new Response(JSON.stringify(out), {
    status: 200,
    headers: { "content-type": "application/json" },
  });
}
