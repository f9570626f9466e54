/**
 * What a test's requests carry: a payload (model, messages, output length, streaming), the
 * model actually requested for it, and its request and warm-up bodies.
 *
 * @module
 */

import type { ChatBody, ChatMessage } from "../net/client.ts";

/** What decides the model of a request: the served models and `--model`. */
export interface ModelChoice {
  /** Models the target serves. */
  models: readonly string[];
  /** `--model`, forcing one model for every request. */
  modelOverride: string | null;
}

/** A payload: what one request of a test sends. */
export interface Payload {
  /** Label used in reports (`small`, `medium`…). */
  label: string;
  /** Model the payload asks for. */
  model: string;
  /** Messages. */
  messages: ChatMessage[];
  /** `max_tokens`. */
  max_tokens: number;
  /** Stream or not. */
  stream: boolean;
  /** Extra body fields (`ignore_eos`, `temperature`…). */
  extra?: Record<string, unknown>;
}

/** The model to request for a payload's model: `--model`, the model itself, or the first served. */
export function resolveModel(
  ctx: ModelChoice,
  wanted: string,
): { model: string; substitutedFor: string | null } {
  if (ctx.modelOverride) {
    return {
      model: ctx.modelOverride,
      substitutedFor: ctx.modelOverride === wanted ? null : wanted,
    };
  }
  if (ctx.models.length === 0 || ctx.models.includes(wanted)) {
    return { model: wanted, substitutedFor: null };
  }
  return { model: ctx.models[0], substitutedFor: wanted };
}

/** Build the request body of a payload for a model. */
export function bodyOf(p: Payload, model: string): ChatBody {
  return {
    ...(p.extra ?? {}),
    model,
    messages: p.messages,
    max_tokens: p.max_tokens,
    stream: p.stream,
  };
}

/**
 * A warm-up body: same model, same streaming mode, short output, and a prompt that shares no
 * prefix with any test prompt, so it warms connections and code paths, never a prefix cache.
 */
export function warmupBody(p: Payload, model: string, i: number, seed: number): ChatBody {
  return {
    ...(p.extra ?? {}),
    model,
    messages: [{ role: "user", content: `warm-up ${seed}-${i}-${crypto.randomUUID()}: ping` }],
    max_tokens: Math.min(p.max_tokens, 8),
    stream: p.stream,
  };
}
