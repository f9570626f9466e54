/**
 * Images in chat requests (`image_url` content parts): their size read from the header of a
 * `data:` URL or of an image fetched from an `http:` URL on loopback. The prompt tokens they
 * cost are the engine twin's rule (`twin/images.ts`).
 *
 * @module
 */

import { decodeImageDataUrl, readImageHeader } from "../util/image_header.ts";
import { fnv1aBytes } from "../util/prng.ts";
import type { RequestImage } from "../twin/images.ts";

export type { RequestImage };
import { readBody, TOO_LARGE } from "./http.ts";

/** Decode a `data:image/…;base64,…` URL; null for anything else. */
export function dataUrlBytes(url: string): Uint8Array | null {
  const bytes = decodeImageDataUrl(url);
  return typeof bytes === "string" ? null : bytes;
}

/** An image part to fetch from a URL before the request is served. */
export interface PendingImage {
  /** The `http:` URL on loopback. */
  url: string;
}

/** How the server fetches images given by URL. */
export interface ImageFetchOptions {
  /** Largest image fetched, in bytes. */
  maxBytes: number;
  /** The whole fetch ends after this many ms. */
  timeoutMs: number;
}

/** Default wait for one image fetch (vLLM's `VLLM_IMAGE_FETCH_TIMEOUT` default is 5 s). */
export const IMAGE_FETCH_TIMEOUT_MS = 5000;

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

function imageOf(bytes: Uint8Array): RequestImage | string {
  const head = readImageHeader(bytes);
  if (head === null) return "the image is not a PNG, JPEG, GIF or WebP";
  return { width: head.width, height: head.height, hash: fnv1aBytes(bytes) };
}

/**
 * The image of an `image_url` part: read at once from a `data:` URL, or to be fetched from an
 * `http:` URL on loopback (this server fetches nothing else); a string says why it cannot be.
 */
export function readImagePart(url: string): RequestImage | PendingImage | string {
  if (/^https?:/i.test(url)) {
    let host: string;
    try {
      host = new URL(url).hostname;
    } catch {
      return "the image URL is not a valid URL";
    }
    if (!LOOPBACK.test(host)) {
      return "this server fetches images only from loopback (127.0.0.1, localhost, [::1])";
    }
    return { url };
  }
  const bytes = dataUrlBytes(url);
  if (bytes === null) return "an image URL must be a data:image/…;base64 URL or an http URL";
  return imageOf(bytes);
}

/**
 * Fetch an image from loopback, its body read up to the limit, the whole exchange under one
 * timeout; a string says what went wrong.
 */
export async function fetchImage(
  url: string,
  opts: ImageFetchOptions,
): Promise<RequestImage | string> {
  try {
    const res = await fetch(url, {
      redirect: "manual",
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      return `fetching ${url} answered HTTP ${res.status}`;
    }
    const bytes = await readBody(res, opts.maxBytes);
    if (bytes === TOO_LARGE) return `the image at ${url} is larger than ${opts.maxBytes} bytes`;
    return imageOf(bytes);
  } catch (err) {
    const why = err instanceof DOMException && err.name === "TimeoutError"
      ? `no answer in ${opts.timeoutMs} ms`
      : err instanceof Error
      ? err.message.split("\n")[0].slice(0, 200)
      : String(err);
    return `could not fetch ${url}: ${why}`;
  }
}
