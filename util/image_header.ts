/**
 * What an image file is, from its first bytes: format, MIME type, width and height, read from
 * the header without decoding a pixel. PNG (IHDR), JPEG (the first SOFn frame), GIF (the
 * logical screen) and WebP (`VP8 `, `VP8L` and `VP8X` chunks) are known.
 *
 * Facts: the PNG specification §11.2.2 (IHDR), ITU T.81 Annex B (JPEG markers), GIF89a §18,
 * and Google's WebP container specification (RIFF, VP8/VP8L/VP8X headers).
 *
 * @module
 */

import { decodeBase64, encodeBase64 } from "./bytes.ts";

/** Image formats whose header is read. */
export type ImageKind = "png" | "jpeg" | "gif" | "webp";

/** An image's format and size, from its header. */
export interface ImageHeader {
  /** The format. */
  format: ImageKind;
  /** Its MIME type (`image/png`…). */
  mime: string;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

const MIME: Record<ImageKind, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
};

function ascii(bytes: Uint8Array, at: number, text: string): boolean {
  if (bytes.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

function sized(format: ImageKind, width: number, height: number): ImageHeader | null {
  return width >= 1 && height >= 1 ? { format, mime: MIME[format], width, height } : null;
}

function jpegSize(bytes: Uint8Array): ImageHeader | null {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1];
    // Fill bytes before a marker.
    if (marker === 0xff) {
      i++;
      continue;
    }
    const len = (bytes[i + 2] << 8) | bytes[i + 3];
    // SOF0…SOF15 but DHT (C4), JPG (C8) and DAC (CC) carry the frame's size.
    if (
      marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc
    ) {
      return sized(
        "jpeg",
        (bytes[i + 7] << 8) | bytes[i + 8],
        (bytes[i + 5] << 8) | bytes[i + 6],
      );
    }
    if (len < 2) return null;
    i += 2 + len;
  }
  return null;
}

function webpSize(bytes: Uint8Array): ImageHeader | null {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (ascii(bytes, 12, "VP8 ") && bytes.length >= 30) {
    return sized("webp", v.getUint16(26, true) & 0x3fff, v.getUint16(28, true) & 0x3fff);
  }
  if (ascii(bytes, 12, "VP8L") && bytes.length >= 25 && bytes[20] === 0x2f) {
    const b = v.getUint32(21, true);
    return sized("webp", (b & 0x3fff) + 1, ((b >>> 14) & 0x3fff) + 1);
  }
  if (ascii(bytes, 12, "VP8X") && bytes.length >= 30) {
    const w = bytes[24] | (bytes[25] << 8) | (bytes[26] << 16);
    const h = bytes[27] | (bytes[28] << 8) | (bytes[29] << 16);
    return sized("webp", w + 1, h + 1);
  }
  return null;
}

/** The format and size of an image from its header; null when unknown or malformed. */
export function readImageHeader(bytes: Uint8Array): ImageHeader | null {
  if (bytes.length >= 24 && ascii(bytes, 0, "\x89PNG\r\n\x1a\n") && ascii(bytes, 12, "IHDR")) {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return sized("png", v.getUint32(16), v.getUint32(20));
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return jpegSize(bytes);
  if (bytes.length >= 10 && (ascii(bytes, 0, "GIF87a") || ascii(bytes, 0, "GIF89a"))) {
    return sized("gif", bytes[6] | (bytes[7] << 8), bytes[8] | (bytes[9] << 8));
  }
  if (ascii(bytes, 0, "RIFF") && ascii(bytes, 8, "WEBP")) return webpSize(bytes);
  return null;
}

/** An image as a `data:` URL of its MIME type. */
export function imageDataUrl(mime: string, bytes: Uint8Array): string {
  return `data:${mime};base64,${encodeBase64(bytes)}`;
}

/**
 * The bytes of a `data:image/…;base64,…` URL; `"not-image-data-url"` for any other URL,
 * `"bad-base64"` when its payload is not base64.
 */
export function decodeImageDataUrl(
  url: string,
): Uint8Array | "not-image-data-url" | "bad-base64" {
  const m = /^data:image\/[a-z0-9.+-]+;base64,/i.exec(url);
  if (!m) return "not-image-data-url";
  try {
    return decodeBase64(url.slice(m[0].length));
  } catch {
    return "bad-base64";
  }
}
