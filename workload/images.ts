/**
 * Generated images for vision-language workloads: deterministic for a seed, encoded offline as
 * PNG (`fast-png`) or JPEG (`jpeg-js`, quality 85), sent as `data:` URLs in chat content parts.
 * Each image is a soft gradient with a few shapes and a little noise, so it compresses as a
 * photo-like picture does, not as flat colour or as pure noise.
 *
 * A workload draws from a pool of at most {@linkcode IMAGE_POOL} distinct images (encoding takes
 * tens of milliseconds each, before the load starts); with more images than that, images repeat,
 * which a server's multimodal cache may notice.
 *
 * @module
 */

// The encoders load when a workload first draws images: jpeg-js is a CommonJS package, and
// loading one brings up Deno's Node compatibility layer, megabytes of resident memory that a
// run without images would otherwise carry through its load.
let codecs: Promise<[typeof import("fast-png"), typeof import("jpeg-js")]> | null = null;
import { combine32, Prng } from "../util/prng.ts";
import { imageDataUrl } from "../util/image_header.ts";
/** `--image-format` values. */
export const IMAGE_FORMATS = ["png", "jpeg"] as const;

/** An image encoding. */
export type ImageFormat = typeof IMAGE_FORMATS[number];

/** An image's size in pixels. */
export interface ImageSize {
  /** Width. */
  width: number;
  /** Height. */
  height: number;
}

/** Distinct images a workload builds at most. */
export const IMAGE_POOL = 32;

/** One image, ready to send. */
export interface BuiltImage {
  /** `data:image/…;base64,…`, or the `http(s):` URL a dataset gave (sent as it is). */
  url: string;
  /** Encoded size in bytes (0 for an image given by URL, which the client never reads). */
  bytes: number;
  /** Width in pixels (0 when given by URL). */
  width: number;
  /** Height in pixels (0 when given by URL). */
  height: number;
  /** The encoded image, or null when given by URL. */
  data: Uint8Array | null;
  /** Its format (`png`, `jpeg`, `gif`, `webp`), or `url` when given by URL. */
  format: string;
  /** MIME type (`image/png`…), empty when given by URL. */
  mime: string;
}

/** RGB pixels of image `key` of a size, deterministic for the seed. */
export function imagePixels(size: ImageSize, seed: number, key: number): Uint8Array {
  const { width: w, height: h } = size;
  const rng = new Prng(combine32(seed, key));
  const c0 = [rng.next() * 255, rng.next() * 255, rng.next() * 255];
  const c1 = [rng.next() * 255, rng.next() * 255, rng.next() * 255];
  const shapes = Array.from({ length: 4 }, () => ({
    x: rng.next() * w,
    y: rng.next() * h,
    r: (0.05 + rng.next() * 0.2) * Math.min(w, h),
    c: [rng.next() * 255, rng.next() * 255, rng.next() * 255],
  }));
  const px = new Uint8Array(w * h * 3);
  const noise = new Prng(combine32(seed, key ^ 0x5eed));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const t = (x / w + y / h) / 2;
      let c = [
        c0[0] + (c1[0] - c0[0]) * t,
        c0[1] + (c1[1] - c0[1]) * t,
        c0[2] + (c1[2] - c0[2]) * t,
      ];
      for (const s of shapes) {
        const dx = x - s.x, dy = y - s.y;
        if (dx * dx + dy * dy < s.r * s.r) c = s.c;
      }
      const n = (noise.next() - 0.5) * 8;
      const i = (y * w + x) * 3;
      px[i] = Math.max(0, Math.min(255, c[0] + n));
      px[i + 1] = Math.max(0, Math.min(255, c[1] + n));
      px[i + 2] = Math.max(0, Math.min(255, c[2] + n));
    }
  }
  return px;
}

/** Encode RGB pixels as PNG or JPEG. */
export async function encodeImage(
  px: Uint8Array,
  size: ImageSize,
  format: ImageFormat,
): Promise<Uint8Array> {
  const [png, jpeg] = await (codecs ??= Promise.all([import("fast-png"), import("jpeg-js")]));
  if (format === "png") {
    return png.encode({ width: size.width, height: size.height, data: px, channels: 3, depth: 8 });
  }
  const rgba = new Uint8Array(size.width * size.height * 4);
  for (let i = 0, j = 0; i < px.length; i += 3, j += 4) {
    rgba[j] = px[i];
    rgba[j + 1] = px[i + 1];
    rgba[j + 2] = px[i + 2];
    rgba[j + 3] = 255;
  }
  return new Uint8Array(
    jpeg.encode({ width: size.width, height: size.height, data: rgba }, 85).data,
  );
}

/**
 * The images of a workload: `needed` images (at most {@linkcode IMAGE_POOL} distinct), sizes
 * drawn from `sizes` in turn, deterministic for the seed.
 */
export async function buildImages(
  needed: number,
  sizes: readonly ImageSize[],
  format: ImageFormat,
  seed: number,
): Promise<BuiltImage[]> {
  const out: BuiltImage[] = [];
  const mime = format === "png" ? "image/png" : "image/jpeg";
  for (let k = 0; k < Math.min(needed, IMAGE_POOL); k++) {
    const size = sizes[k % sizes.length];
    const bytes = await encodeImage(imagePixels(size, seed, combine32(0x1a9e, k)), size, format);
    out.push({
      url: imageDataUrl(mime, bytes),
      bytes: bytes.length,
      width: size.width,
      height: size.height,
      data: bytes,
      format,
      mime,
    });
  }
  return out;
}
