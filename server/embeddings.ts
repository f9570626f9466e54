/**
 * `POST /v1/embeddings`: one unit-length vector per input, deterministic for the input text,
 * answered when its prefill would be done (constant profile: base TTFT plus the per-token
 * prefill time; engine profile: a prefill-only request in the replica's batch).
 *
 * @module
 */

import { combine32, fnv1a, Prng } from "../util/prng.ts";
import { encodeBase64 } from "../util/bytes.ts";
import type { ServerState } from "./state.ts";
import { countTokens } from "./tokenizer.ts";
import { validateEmbeddings } from "./validate.ts";
import { readJsonBody, shuttingDown } from "./chat.ts";
import { Seq } from "../twin/engine.ts";
import { HttpError } from "./http.ts";

/** A unit vector of `dims` values for a text, the same for the same text and seed. */
export function embeddingOf(text: string, dims: number, seed: number): Float32Array {
  const rng = new Prng(combine32(seed, fnv1a(text)));
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const x = rng.signed();
    v[i] = x;
    norm += x * x;
  }
  const k = 1 / Math.sqrt(norm || 1);
  for (let i = 0; i < dims; i++) v[i] *= k;
  return v;
}

/**
 * Handle one embeddings request.
 *
 * @throws {HttpError} for bad requests.
 */
export async function handleEmbeddings(
  state: ServerState,
  req: Request,
  t0: number,
): Promise<Response> {
  const body = validateEmbeddings(await readJsonBody(state, req));
  const { opts } = state;
  let tokens = 0;
  for (const s of body.inputs) tokens += countTokens(s);
  state.metrics.promptTokens += tokens;
  await waitForPrefill(state, t0, tokens);
  const data = body.inputs.map((text, index) => {
    const v = embeddingOf(text, body.dimensions, opts.seed);
    const embedding = body.base64 ? encodeBase64(new Uint8Array(v.buffer)) : Array.from(v);
    return { object: "embedding", index, embedding };
  });
  return new Response(
    JSON.stringify({
      object: "list",
      data,
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    }),
    { status: 200, headers: { "content-type": "application/json" } },
  );
}

/**
 * Wait until a prefill-only request of `tokens` arriving at `t0` would be done: constant
 * profile, base TTFT plus the per-token prefill time; engine profile, a prefill-only sequence
 * in the first replica's batch.
 *
 * @throws {HttpError} when it cannot fit a replica's KV cache, or the server is stopping.
 */
export async function waitForPrefill(
  state: ServerState,
  t0: number,
  tokens: number,
): Promise<void> {
  const { opts, clock } = state;
  if (state.engines) {
    const driver = state.engines[0];
    if (!driver.core.fits(tokens, 1)) {
      throw new HttpError(
        400,
        `This request needs ${tokens + 1} tokens of KV cache; a replica holds ` +
          `${opts.numGpuBlocks * opts.kvBlockSize}.`,
        "input",
        "invalid_request_error",
        "context_length_exceeded",
      );
    }
    const ok = await new Promise<boolean>((resolve) => {
      driver.submit(
        new Seq(tokens, 0, 1, performance.now(), {
          token: () => {},
          done: () => resolve(true),
          fail: () => resolve(false),
        }),
      );
    });
    if (!ok) {
      throw shuttingDown();
    }
  } else {
    const due = clock.adjust(t0 + opts.latencyMs + opts.ttftMs + opts.prefillMsPerToken * tokens);
    if (due > performance.now() && !(await clock.sleepUntil(due))) {
      throw shuttingDown();
    }
  }
}
