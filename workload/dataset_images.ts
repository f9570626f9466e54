/**
 * Images named by dataset records: a file path (relative to the dataset's folder), a
 * `data:image/…;base64` URL, or an `http(s):` URL. Files and data URLs are read before any
 * request, their format and size taken from the header (PNG, JPEG, GIF, WebP) and sent as the
 * workload's transport says; `http(s):` URLs are sent as they are, for the server to fetch
 * (their bytes are not counted).
 *
 * @module
 */

import { isAbsolute, join } from "node:path";
import { ConfigError } from "../util/errors.ts";
import { decodeImageDataUrl, imageDataUrl, readImageHeader } from "../util/image_header.ts";
import type { BuiltImage } from "./images.ts";

/** Largest image file read, in bytes (OpenAI's API takes images up to 20 MB). */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

/** Most image bytes a workload reads from a dataset in all. */
export const MAX_DATASET_IMAGE_BYTES = 512 * 1024 * 1024;

/** Images one dataset record may name. */
export const MAX_IMAGES_PER_RECORD = 16;

/** True for an image reference the server fetches itself. */
export function isRemoteImage(ref: string): boolean {
  return /^https?:\/\//i.test(ref);
}

function builtOf(bytes: Uint8Array, what: string): BuiltImage {
  const head = readImageHeader(bytes);
  if (head === null) throw new ConfigError(`${what}: not a PNG, JPEG, GIF or WebP image`);
  return {
    url: imageDataUrl(head.mime, bytes),
    bytes: bytes.length,
    width: head.width,
    height: head.height,
    data: bytes,
    format: head.format,
    mime: head.mime,
  };
}

/** Where a file reference points: relative paths are read from the dataset's folder. */
export function imagePath(ref: string, datasetDir: string): string {
  return isAbsolute(ref) ? ref : join(datasetDir, ref);
}

/**
 * Check a reference without reading it whole: a file exists and is not over the limit, a data
 * URL holds an image. Returns a problem to report, or null.
 */
export async function checkImageRef(ref: string, datasetDir: string): Promise<string | null> {
  if (isRemoteImage(ref)) return null;
  if (ref.startsWith("data:")) {
    try {
      await loadImageRef(ref, datasetDir);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }
  const path = imagePath(ref, datasetDir);
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) return `image ${ref}: not a file`;
    if (info.size > MAX_IMAGE_BYTES) {
      return `image ${ref}: ${info.size} bytes, over the limit of ${MAX_IMAGE_BYTES}`;
    }
    return null;
  } catch (err) {
    return `image ${ref}: ${err instanceof Deno.errors.NotFound ? "no such file" : err}`;
  }
}

/**
 * Read one reference into an image ready to send.
 *
 * @throws {ConfigError} naming the reference when it cannot be read or is not an image.
 */
export async function loadImageRef(ref: string, datasetDir: string): Promise<BuiltImage> {
  if (isRemoteImage(ref)) {
    return { url: ref, bytes: 0, width: 0, height: 0, data: null, format: "url", mime: "" };
  }
  const shown = ref.length > 60 ? `${ref.slice(0, 57)}…` : ref;
  if (ref.startsWith("data:")) {
    const bytes = decodeImageDataUrl(ref);
    if (bytes === "not-image-data-url") {
      throw new ConfigError(`image ${shown}: a data URL must be data:image/…;base64,…`);
    }
    if (bytes === "bad-base64") {
      throw new ConfigError(`image ${shown}: the data URL is not valid base64`);
    }
    return builtOf(bytes, `image ${shown}`);
  }
  const path = imagePath(ref, datasetDir);
  let bytes: Uint8Array;
  try {
    const info = await Deno.stat(path);
    if (info.size > MAX_IMAGE_BYTES) {
      throw new ConfigError(
        `image ${shown}: ${info.size} bytes, over the limit of ${MAX_IMAGE_BYTES}`,
      );
    }
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(
      `image ${shown}: ${err instanceof Deno.errors.NotFound ? "no such file" : err}`,
    );
  }
  return builtOf(bytes, `image ${shown}`);
}

/**
 * Read the distinct references of the chosen records, in order of first use; returns the
 * images and each reference's index among them.
 *
 * @throws {ConfigError} for an unreadable image or more than {@linkcode MAX_DATASET_IMAGE_BYTES}.
 */
export async function loadDatasetImages(
  refs: Iterable<string>,
  datasetDir: string,
): Promise<{ images: BuiltImage[]; index: Map<string, number> }> {
  const images: BuiltImage[] = [];
  const index = new Map<string, number>();
  let total = 0;
  for (const ref of refs) {
    if (index.has(ref)) continue;
    const img = await loadImageRef(ref, datasetDir);
    total += img.bytes;
    if (total > MAX_DATASET_IMAGE_BYTES) {
      throw new ConfigError(
        `the dataset's images for this many requests pass ${
          MAX_DATASET_IMAGE_BYTES / 1024 / 1024
        } MiB: ask for fewer requests`,
      );
    }
    index.set(ref, images.length);
    images.push(img);
  }
  return { images, index };
}
