/**
 * A minimal PNG decoder for screenshots in tests: 8-bit greyscale, RGB or RGBA, not
 * interlaced (what Chromium writes).
 *
 * @module
 */

import { inflateSync } from "node:zlib";

/** Decoded pixels, row-major, `channels` bytes per pixel. */
export interface Image {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Bytes per pixel (1, 3 or 4). */
  channels: number;
  /** Pixel bytes. */
  data: Uint8Array;
}

/** Decode a PNG file. Throws on anything this decoder does not handle. */
export function decodePng(bytes: Uint8Array): Image {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!sig.every((b, i) => bytes[i] === b)) throw new Error("not a PNG");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8, width = 0, height = 0, channels = 0;
  const idat: Uint8Array[] = [];
  while (pos < bytes.length) {
    const len = view.getUint32(pos);
    const type = new TextDecoder().decode(bytes.subarray(pos + 4, pos + 8));
    const body = bytes.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      const depth = body[8], colorType = body[9], interlace = body[12];
      if (depth !== 8 || interlace !== 0) throw new Error("unsupported PNG format");
      channels = ({ 0: 1, 2: 3, 6: 4 } as Record<number, number>)[colorType] ?? 0;
      if (!channels) throw new Error(`unsupported PNG colour type ${colorType}`);
    } else if (type === "IDAT") idat.push(body);
    else if (type === "IEND") break;
    pos += 12 + len;
  }
  const raw = new Uint8Array(inflateSync(concat(idat)));
  const stride = width * channels;
  const data = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = data.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? data.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? row[x - channels] : 0;
      const b = prev[x];
      const c = x >= channels ? prev[x - channels] : 0;
      let v = src[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      row[x] = v & 0xff;
    }
  }
  return { width, height, channels, data };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Share of pixels that are not (near) white, and the number of distinct coarse colours. */
export function inkStats(img: Image): { ink: number; colours: number } {
  let ink = 0;
  const colours = new Set<number>();
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    const o = i * img.channels;
    const r = img.data[o], g = img.data[o + (img.channels > 1 ? 1 : 0)];
    const b = img.data[o + (img.channels > 1 ? 2 : 0)];
    if (r < 240 || g < 240 || b < 240) ink++;
    colours.add(((r >> 5) << 6) | ((g >> 5) << 3) | (b >> 5));
  }
  return { ink: ink / n, colours: colours.size };
}
