/**
 * The prompt tokens a vision-language model spends on an image, by model family:
 *
 * - Qwen2-VL / Qwen2.5-VL (and any model id not matched below): the image is resized to
 *   multiples of 28 pixels within 56×56…12,845,056 pixels (`smart_resize` of the Qwen2-VL image
 *   processor: 14-pixel patches merged 2×2), one token per 28×28 block;
 * - LLaVA-1.5: a fixed 576 tokens (a 336-pixel image in 14-pixel patches, 24×24);
 * - OpenAI GPT-4o/4.1/5 and o-series ids (high detail): the image fits in 2048×2048, then its
 *   short side in 768, and costs 85 + 170 per 512-pixel tile.
 *
 * The embedded server and `predict` charge them to prefill alike.
 *
 * Facts: the Qwen2-VL image processor in Hugging Face transformers (`smart_resize`, min_pixels
 * 3136, max_pixels 12845056), the LLaVA-1.5 paper (CLIP ViT-L/14 at 336 px), OpenAI's vision
 * guide ("Calculating costs").
 *
 * @module
 */

import { combine32, Prng } from "../util/prng.ts";

/** An image a request carried. */
export interface RequestImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** A hash of its bytes (the same image is the same prefix to the cache). */
  hash: number;
}

const QWEN_FACTOR = 28;
const QWEN_MIN_PIXELS = 56 * 56;
const QWEN_MAX_PIXELS = 12_845_056;

/** Qwen2-VL's resize: multiples of 28 within the pixel bounds, aspect kept. */
export function qwenResize(width: number, height: number): { width: number; height: number } {
  const f = QWEN_FACTOR;
  let h = Math.max(f, Math.round(height / f) * f);
  let w = Math.max(f, Math.round(width / f) * f);
  if (h * w > QWEN_MAX_PIXELS) {
    const beta = Math.sqrt((height * width) / QWEN_MAX_PIXELS);
    h = Math.max(f, Math.floor(height / beta / f) * f);
    w = Math.max(f, Math.floor(width / beta / f) * f);
  } else if (h * w < QWEN_MIN_PIXELS) {
    const beta = Math.sqrt(QWEN_MIN_PIXELS / (height * width));
    h = Math.ceil((height * beta) / f) * f;
    w = Math.ceil((width * beta) / f) * f;
  }
  return { width: w, height: h };
}

/** Prompt tokens a model spends on a `width` × `height` image (rules in the module doc). */
export function imageTokens(model: string, width: number, height: number): number {
  if (/llava/i.test(model) && !/next|onevision|1\.6/i.test(model)) return 576;
  if (/^(gpt-4o|gpt-4\.1|gpt-5|o\d)/i.test(model) || /\/(gpt-4o|gpt-4\.1|gpt-5)/i.test(model)) {
    let w = width, h = height;
    const fit = Math.min(1, 2048 / Math.max(w, h));
    w *= fit;
    h *= fit;
    const short = Math.min(1, 768 / Math.min(w, h));
    w *= short;
    h *= short;
    return 85 + 170 * Math.ceil(w / 512) * Math.ceil(h / 512);
  }
  const r = qwenResize(width, height);
  return (r.width / QWEN_FACTOR) * (r.height / QWEN_FACTOR);
}

/**
 * Token ids standing for an image in the prompt: `n` ids drawn from its hash, so the same
 * image is the same prefix to the cache and another image is not.
 */
export function imageTokenIds(img: Pick<RequestImage, "hash">, n: number, sink: number[]): void {
  const rng = new Prng(combine32(img.hash, 0x1a6e));
  for (let i = 0; i < n; i++) sink.push((rng.next() * 0x7fffffff) | 0);
}
