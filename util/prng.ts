/**
 * Seeded pseudo-random numbers and small stable hashes.
 *
 * @module
 */

/** Mix a 32-bit integer into a well-spread 32-bit integer (murmur3 finaliser). */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Combine two 32-bit values into one well-spread 32-bit value. */
export function combine32(a: number, b: number): number {
  return mix32((Math.imul(a >>> 0, 0x9e3779b1) ^ (b >>> 0)) >>> 0);
}

/** FNV-1a hash of a string's UTF-16 code units, as an unsigned 32-bit integer. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** FNV-1a hash of bytes, as an unsigned 32-bit integer. */
export function fnv1aBytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A small, fast, seeded PRNG (mulberry32). Same seed, same sequence. */
export class Prng {
  #state: number;

  /** Create a generator from a 32-bit seed. */
  constructor(seed: number) {
    this.#state = mix32(seed >>> 0) || 0x6d2b79f5;
  }

  /** Next unsigned 32-bit integer. */
  nextU32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform float in [-1, 1). */
  signed(): number {
    return this.next() * 2 - 1;
  }

  /** A standard normal draw (Box–Muller; two uniform draws). */
  gaussian(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** `count` random hex digits. */
  hex(count: number): string {
    let out = "";
    while (out.length < count) out += this.nextU32().toString(16).padStart(8, "0");
    return out.slice(0, count);
  }
}
