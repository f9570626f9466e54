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
import { EngineCore, EngineDriver } from "../twin/engine.ts";
import { deploymentOf, engineConfig, replicasOf } from "./options.ts";
import type { Deployment } from "../twin/timing.ts";
import { VllmMetrics } from "./vllm_metrics.ts";

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
  /** The engine model, one driver per replica (worker); null for the constant profile. */
  readonly engines: EngineDriver[] | null;
  /** The twin's deployment (model, GPU, flags, coefficients); null unless the twin profile. */
  readonly twin: Deployment | null;
  /** vLLM-named metrics of the engine profile. */
  readonly vllm: VllmMetrics;
}

/**
 * Create the state of a new server.
 *
 * @param opts server options.
 * @returns fresh state.
 */
export function createState(options: ServerOptions): ServerState {
  const opts: ServerOptions = { ...options, workers: replicasOf(options) };
  const twin = opts.profile === "twin" ? deploymentOf(opts) : null;
  const engine = opts.profile === "constant" ? null : engineConfig(opts);
  const origin = performance.now();
  const clock = new Clock(origin, opts.pauseAtS, opts.pauseMs);
  const vllm = new VllmMetrics();
  // Steps wait on the server's shared deadline timer; a step due in the pause window waits
  // for its end. A step always yields to I/O, even when it is already due.
  const sleepUntil = (deadline: number) => clock.sleepUntil(clock.adjust(deadline));
  const engines = engine
    ? Array.from(
      { length: opts.workers },
      () =>
        new EngineDriver(
          new EngineCore(engine),
          () => performance.now(),
          sleepUntil,
          undefined,
          (deadline) => clock.adjust(deadline) <= performance.now(),
        ),
    )
    : null;
  return {
    opts: { ...opts, apiKeys: [...opts.apiKeys] },
    origin,
    clock,
    kv: new KvCacheRouter({
      enabled: opts.kvCache,
      blockSize: opts.kvBlockSize,
      // The twin's router indexes what its replicas can hold.
      capacityBlocks: engine && twin ? engine.numBlocks : opts.kvCapacityBlocks,
      workers: opts.workers,
      overlapWeight: opts.overlapWeight,
      loadWeight: opts.loadWeight,
      ttlMs: opts.cacheTtlS * 1000,
      minTokens: opts.minTokensForCache,
    }),
    metrics: new ServerMetrics(),
    faultRng: new Prng(opts.seed ^ 0x0fa17),
    fingerprint: "fp_" + new Prng(opts.seed ^ 0xf1a6e5).hex(16),
    apiKeys: new Set(opts.apiKeys),
    leak: [],
    seq: 0,
    engines,
    twin,
    vllm,
  };
}
