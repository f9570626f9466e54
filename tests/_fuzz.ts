/**
 * Deterministic random inputs for the bounded fuzz tests: a seeded generator, SSE-flavoured
 * byte streams, and random ways to cut a byte stream into reads.
 *
 * @module
 */

/** A small seeded generator (mulberry32): the same seed gives the same inputs. */
export class Rng {
  #s: number;
  /** Create a generator from a seed. */
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** One element of `xs`. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

const enc = new TextEncoder();

/** Pieces SSE parsers trip on: field names, separators, line ends of every kind, odd bytes. */
const PIECES: readonly Uint8Array[] = [
  "data",
  "data:",
  "data: ",
  "event: ",
  "id: ",
  "id: a\0b",
  "retry: 10",
  ":",
  ": comment",
  " ",
  "\n",
  "\n",
  "\n\n",
  "\r",
  "\r\n",
  "x",
  "data: ev\n\n",
  "data: ev2\r\n\r\n",
  "[DONE]",
  '{"choices":[{"delta":{"content":"hi"}}]}',
  "é",
  "😀",
  "\uFEFF",
].map((s) => enc.encode(s)).concat([
  new Uint8Array([0xff]),
  new Uint8Array([0xc3]),
  new Uint8Array([0xe2, 0x82]),
  new Uint8Array([0xef, 0xbb, 0xbf]),
  new Uint8Array([0]),
]);

/** A random byte stream: SSE-flavoured pieces, or (one time in four) raw random bytes. */
export function randomStream(rng: Rng, maxPieces = 60): Uint8Array {
  const parts: Uint8Array[] = [];
  if (rng.int(4) === 0) {
    const n = rng.int(maxPieces * 4);
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = rng.next() < 0.2 ? rng.pick([10, 13, 58, 32]) : rng.int(256);
    return b;
  }
  for (let i = rng.int(maxPieces); i > 0; i--) parts.push(rng.pick(PIECES));
  return concat(parts);
}

/** Join byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Cut `bytes` into reads of random sizes, empty reads included. */
export function randomChunks(rng: Rng, bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const r = rng.next();
    const size = r < 0.1 ? 0 : r < 0.5 ? 1 + rng.int(3) : 1 + rng.int(40);
    out.push(bytes.slice(at, at + size));
    at += size;
  }
  if (rng.next() < 0.3) out.push(new Uint8Array(0));
  return out;
}
