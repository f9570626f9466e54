/**
 * Images in chat requests (`image_url` content parts): their size read from the PNG or JPEG
 * header of a `data:` URL, and the prompt tokens a vision-language model spends on them, by
 * model family:
 *
 * - Qwen2-VL / Qwen2.5-VL (and any model id not matched below): the image is resized to
 *   multiples of 28 pixels within 56×56…12,845,056 pixels (`smart_resize` of the Qwen2-VL image
 *   processor: 14-pixel patches merged 2×2), one token per 28×28 block;
 * - LLaVA-1.5: a fixed 576 tokens (a 336-pixel image in 14-pixel patches, 24×24);
 * - OpenAI GPT-4o/4.1/5 and o-series ids (high detail): the image fits in 2048×2048, then its
 *   short side in 768, and costs 85 + 170 per 512-pixel tile.
 *
 * Facts: the Qwen2-VL image processor in Hugging Face transformers (`smart_resize`, min_pixels
 * 3136, max_pixels 12845056), the LLaVA-1.5 paper (CLIP ViT-L/14 at 336 px), OpenAI's vision
 * guide ("Calculating costs").
 *
 * @module
 */

import { combine32, fnv1a, Prng } from "../util/prng.ts";

/** An image a request carried. */
export interface RequestImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** A hash of its bytes (the same image is the same prefix to the cache). */
  hash: number;
}

/** Width and height from a PNG (IHDR) or JPEG (SOFn) header; null when neither. */
export function imageSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (
    bytes.length >= 24 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e &&
    bytes[3] === 0x47
  ) {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { width: v.getUint32(16), height: v.getUint32(20) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let i = 2;
    while (i + 9 < bytes.length) {
      if (bytes[i] !== 0xff) return null;
      const marker = bytes[i + 1];
      const len = (bytes[i + 2] << 8) | bytes[i + 3];
      // SOF0…SOF15 but DHT (C4), JPG (C8) and DAC (CC) carry the frame's size.
      if (
        marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc
      ) {
        return {
          height: (bytes[i + 5] << 8) | bytes[i + 6],
          width: (bytes[i + 7] << 8) | bytes[i + 8],
        };
      }
      i += 2 + len;
    }
  }
  return null;
}

/** Decode a `data:image/…;base64,…` URL; null for anything else. */
export function dataUrlBytes(url: string): Uint8Array | null {
  const m = /^data:image\/[a-z0-9.+-]+;base64,/i.exec(url);
  if (!m) return null;
  try {
    const bin = atob(url.slice(m[0].length));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
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
export function imageTokenIds(img: RequestImage, n: number, sink: number[]): void {
  const rng = new Prng(combine32(img.hash, 0x1a6e));
  for (let i = 0; i < n; i++) sink.push((rng.next() * 0x7fffffff) | 0);
}

/** The image of an `image_url` part, or a description of why it cannot be read. */
export function readImagePart(url: string): RequestImage | string {
  const bytes = dataUrlBytes(url);
  if (bytes === null) {
    return "only data:image/…;base64 URLs are read by this server (it fetches nothing)";
  }
  const size = imageSize(bytes);
  if (size === null || size.width < 1 || size.height < 1) return "the image is not a PNG or JPEG";
  return {
    ...size,
    hash: fnv1a(url),
  };
}
