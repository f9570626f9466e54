/**
 * The mutable state of one embedded server instance.
 *
 * @module
 */

import { KvCacheRouter } from "./kv_cache.ts";
import { ServerMetrics } from "./metrics.ts";
import type { ServerOptions } from "./options.ts";
import { Prng } from "../util/prng.ts";
import { Clock } from "./timing.ts";

/** Everything one server instance owns; nothing is shared between instances. */
export interface ServerState {
  /** The options it was started with. */
  readonly opts: Readonly<ServerOptions>;
  /** `performance.now()` at start. */
  readonly origin: number;
  /** Deadline scheduler and pause window. */
  readonly clock: Clock;
  /** Prefix caches, router and cache counters. */
  readonly kv: KvCacheRouter;
  /** Prometheus counters. */
  readonly metrics: ServerMetrics;
  /** Fault draws, one fixed set per chat request in arrival order. */
  readonly faultRng: Prng;
  /** `system_fingerprint` of every response. */
  readonly fingerprint: string;
  /** Accepted API keys. */
  readonly apiKeys: ReadonlySet<string>;
  /** Memory retained on purpose by the leak mode. */
  readonly leak: Uint8Array[];
  /** Chat requests accepted so far (sequence number of the next one). */
  seq: number;
}

/**
 * Create the state of a new server.
 *
 * @param opts server options.
 * @returns fresh state.
 */
export function createState(opts: ServerOptions): ServerState {
  const origin = performance.now();
  return {
    opts: { ...opts, apiKeys: [...opts.apiKeys] },
    origin,
    clock: new Clock(origin, opts.pauseAtS, opts.pauseMs),
    kv: new KvCacheRouter({
      enabled: opts.kvCache,
      blockSize: opts.kvBlockSize,
      capacityBlocks: opts.kvCapacityBlocks,
      workers: opts.workers,
      overlapWeight: opts.overlapWeight,
      loadWeight: opts.loadWeight,
    }),
    metrics: new ServerMetrics(),
    faultRng: new Prng(opts.seed ^ 0x0fa17),
    fingerprint: "fp_" + new Prng(opts.seed ^ 0xf1a6e5).hex(16),
    apiKeys: new Set(opts.apiKeys),
    leak: [],
    seq: 0,
  };
}
