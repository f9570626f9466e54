/**
 * KV-cache blocks with automatic prefix caching, as vLLM keeps them: a pool of fixed-size
 * blocks; a full block of prompt tokens is registered under the hash of its tokens (chained
 * with its predecessors'), so a later prompt with the same prefix reuses it; a block no request
 * holds goes to the free queue still registered, and is evicted (its hash forgotten) only when
 * the pool hands it out again, least recently freed first.
 *
 * @module
 */

import { combine32, mix32 } from "../util/prng.ts";

/** A pool of KV-cache blocks with a prefix cache over its free ones. */
export class BlockPool {
  /** Blocks in the pool. */
  readonly size: number;
  /** References to each block (requests holding it). */
  readonly #ref: Int32Array;
  /** The hash each block is registered under, or NaN. */
  readonly #hash: Float64Array;
  /** Free queue: a doubly linked list over block ids, evicted from the head. */
  readonly #prev: Int32Array;
  readonly #next: Int32Array;
  #head = -1;
  #tail = -1;
  #free = 0;
  readonly #byHash = new Map<number, number>();
  /** Blocks evicted from the cache so far (a registered block handed out again). */
  evictions = 0;

  /** A pool of `size` free, unregistered blocks. */
  constructor(size: number) {
    this.size = size;
    this.#ref = new Int32Array(size);
    this.#hash = new Float64Array(size).fill(NaN);
    this.#prev = new Int32Array(size).fill(-1);
    this.#next = new Int32Array(size).fill(-1);
    for (let b = 0; b < size; b++) this.#pushTail(b);
  }

  /** Blocks no request holds (registered ones included: they can be evicted). */
  get free(): number {
    return this.#free;
  }

  /** Blocks some request holds. */
  get used(): number {
    return this.size - this.#free;
  }

  /** The block registered under `hash`, or -1. */
  lookup(hash: number): number {
    return this.#byHash.get(hash) ?? -1;
  }

  /** True when `block` is free (in the queue). */
  isFree(block: number): boolean {
    return this.#ref[block] === 0;
  }

  /** Take a free block: the least recently freed one, its registration evicted. */
  allocate(): number {
    const b = this.#head;
    if (b < 0) throw new RangeError("no free KV block");
    this.#unlink(b);
    const h = this.#hash[b];
    if (!Number.isNaN(h)) {
      this.#byHash.delete(h);
      this.#hash[b] = NaN;
      this.evictions++;
    }
    this.#ref[b] = 1;
    return b;
  }

  /** Hold a registered block (a prefix hit): out of the free queue if it was free. */
  hold(block: number): void {
    if (this.#ref[block] === 0) this.#unlink(block);
    this.#ref[block]++;
  }

  /** Let go of a block; the last holder's release puts it at the free queue's tail. */
  release(block: number): void {
    if (--this.#ref[block] === 0) this.#pushTail(block);
  }

  /** Register a full block under the hash of its tokens (unless one already is). */
  register(block: number, hash: number): void {
    if (!Number.isNaN(this.#hash[block]) || this.#byHash.has(hash)) return;
    this.#hash[block] = hash;
    this.#byHash.set(hash, block);
  }

  /** Forget every registration (`/kv-cache/reset`); blocks in use stay in use. */
  reset(): void {
    this.#byHash.clear();
    this.#hash.fill(NaN);
  }

  #pushTail(b: number): void {
    this.#prev[b] = this.#tail;
    this.#next[b] = -1;
    if (this.#tail >= 0) this.#next[this.#tail] = b;
    else this.#head = b;
    this.#tail = b;
    this.#free++;
  }

  #unlink(b: number): void {
    const p = this.#prev[b], n = this.#next[b];
    if (p >= 0) this.#next[p] = n;
    else this.#head = n;
    if (n >= 0) this.#prev[n] = p;
    else this.#tail = p;
    this.#prev[b] = -1;
    this.#next[b] = -1;
    this.#free--;
  }
}

/**
 * Chained hashes of the full blocks of a token id sequence.
 *
 * @param ids prompt token ids.
 * @param blockSize tokens per block.
 * @returns one 53-bit key per full block, each depending on all tokens up to its end.
 */
export function blockKeys(ids: readonly number[], blockSize: number): number[] {
  const full = Math.floor(ids.length / blockSize);
  const keys = new Array<number>(full);
  let hi = 0x12345678;
  let lo = 0x9abcdef0;
  for (let b = 0; b < full; b++) {
    const base = b * blockSize;
    for (let i = 0; i < blockSize; i++) {
      const id = ids[base + i];
      hi = combine32(hi, id);
      lo = combine32(lo ^ 0x5bd1e995, id + 1);
    }
    hi = mix32(hi ^ b);
    keys[b] = (hi & 0x1fffff) * 4294967296 + (lo >>> 0);
  }
  return keys;
}
