/**
 * Load models. A closed loop keeps a fixed number of requests in flight until a count is
 * reached; every model runs an uncounted warm-up first.
 *
 * @module
 */

import type { RequestRecord } from "../measure/record.ts";
import { type Clock, realClock } from "../util/clock.ts";

/** Sends request number `index`; `warm` is true during warm-up. Must never throw. */
export type SendFn = (index: number, warm: boolean, signal: AbortSignal) => Promise<RequestRecord>;

/** Signals a load model obeys. */
export interface LoadSignals {
  /** When aborted, no new request is sent; in-flight ones go on. */
  stop?: AbortSignal;
  /** When aborted, in-flight requests are cancelled (they end as `aborted`). */
  abort?: AbortSignal;
}

/** Options of {@linkcode runClosedLoop}. */
export interface ClosedLoopOptions extends LoadSignals {
  /** Requests to count. */
  requests: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Uncounted warm-up requests sent first (at the same concurrency, capped by it). */
  warmup: number;
  /** Awaited once the warm-up is over, before the first counted request. */
  afterWarmup?: () => Promise<void>;
  /** Sends one request. */
  send: SendFn;
  /** Receives every counted record as it completes. */
  onRecord: (record: RequestRecord, index: number) => void;
  /** Called after every counted completion. */
  onProgress?: (done: number, total: number) => void;
}

/** What a load model did. */
export interface LoadOutcome {
  /** Counted requests sent. */
  sent: number;
  /** True when the stop signal cut the load short. */
  interrupted: boolean;
}

const NEVER = new AbortController().signal;

/** Run `warmup` uncounted requests, then `requests` counted ones, `concurrency` at a time. */
export async function runClosedLoop(opts: ClosedLoopOptions): Promise<LoadOutcome> {
  const abort = opts.abort ?? NEVER;
  const stopped = () => opts.stop?.aborted === true;
  if (opts.warmup > 0) {
    let w = 0;
    const lanes = Math.max(1, Math.min(opts.concurrency, opts.warmup));
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        while (!stopped() && w < opts.warmup) {
          const i = w++;
          await opts.send(i, true, abort);
        }
      }),
    );
  }
  if (opts.afterWarmup && !stopped()) await opts.afterWarmup();
  let next = 0;
  let done = 0;
  const lanes = Math.max(1, Math.min(opts.concurrency, opts.requests));
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (!stopped() && next < opts.requests) {
        const i = next++;
        const rec = await opts.send(i, false, abort);
        opts.onRecord(rec, i);
        done++;
        opts.onProgress?.(done, opts.requests);
      }
    }),
  );
  // A test the stop signal reached is interrupted even when every request had been sent:
  // its in-flight requests were given a grace period and may have ended `aborted`.
  return { sent: next, interrupted: stopped() };
}

/** Options of {@linkcode runOpenLoop}. */
export interface OpenLoopOptions extends LoadSignals {
  /** Offered arrivals per second. */
  rate: number;
  /** Stop scheduling after this many seconds (at least one of durationS/requests). */
  durationS?: number | null;
  /** Stop scheduling after this many arrivals. */
  requests?: number | null;
  /** Constant spacing, or exponential gaps (Poisson process). */
  arrival: "constant" | "poisson";
  /** Cap on requests in flight; arrivals beyond it wait (their queue delay shows it). */
  maxInFlight?: number | null;
  /** Uncounted warm-up requests, sent before the schedule starts (closed loop). */
  warmup: number;
  /** Awaited once the warm-up is over, before the schedule starts. */
  afterWarmup?: () => Promise<void>;
  /** Random source for Poisson gaps, in [0, 1). */
  random?: () => number;
  /**
   * A schedule of its own (trace replay): arrival i at `offsetsMs[i]` after the start,
   * ascending; `rate` and `arrival` are then only descriptive.
   */
  offsetsMs?: readonly number[];
  /** The clock the schedule runs on (default: the real one). */
  clock?: Clock;
  /** Sends one request; `tIntendedMs` is its scheduled time on the loop's clock. */
  send: (
    index: number,
    warm: boolean,
    signal: AbortSignal,
    tIntendedMs: number,
  ) => Promise<RequestRecord>;
  /** Receives every counted record as it completes. */
  onRecord: (record: RequestRecord, index: number) => void;
  /** Called after every counted completion. */
  onProgress?: (done: number, total: number) => void;
}

/** What an open loop did. */
export interface OpenLoopOutcome extends LoadOutcome {
  /** Arrivals the schedule offered (sent or not). */
  scheduled: number;
  /** When the schedule started (ms, the loop's clock). */
  startMs: number;
  /** Offered duration in seconds (time of the last scheduled arrival after start). */
  offeredS: number;
}

/**
 * Open loop: arrivals on an absolute schedule, independent of responses, so a slow server
 * cannot lower the offered load. Each request carries its intended send time; with a cap on
 * requests in flight, arrivals over the cap wait and their queue delay records it.
 */
export async function runOpenLoop(opts: OpenLoopOptions): Promise<OpenLoopOutcome> {
  if (!(opts.rate > 0) && !opts.offsetsMs) throw new RangeError("rate must be positive");
  const offsets = opts.offsetsMs;
  const limit = offsets
    ? Math.min(offsets.length, opts.requests ?? Infinity)
    : opts.requests ?? Infinity;
  const durationMs = opts.durationS === null || opts.durationS === undefined
    ? Infinity
    : opts.durationS * 1000;
  if (!Number.isFinite(limit) && !Number.isFinite(durationMs)) {
    throw new RangeError("an open loop needs a duration or a request count");
  }
  const abort = opts.abort ?? NEVER;
  const clock = opts.clock ?? realClock;
  const stopped = () => opts.stop?.aborted === true;
  for (let i = 0; i < opts.warmup && !stopped(); i++) {
    await opts.send(i, true, abort, clock.now());
  }
  if (opts.afterWarmup && !stopped()) await opts.afterWarmup();
  const random = opts.random ?? Math.random;
  // Offset of arrival i after the start: constant arrivals are computed as i/rate, so no
  // rounding error accumulates; Poisson ones add exponential gaps.
  let poissonAt = 0;
  const offsetMs = (i: number) => {
    if (offsets) return i < offsets.length ? offsets[i] : Infinity;
    if (opts.arrival !== "poisson") return (i * 1000) / opts.rate;
    if (i > 0) poissonAt += (-Math.log(1 - random()) / opts.rate) * 1000;
    return poissonAt;
  };
  const cap = opts.maxInFlight ?? Infinity;
  const total = Number.isFinite(limit) ? limit : Math.round((durationMs / 1000) * opts.rate);
  const inFlight = new Set<Promise<void>>();
  const waiters: (() => void)[] = [];
  let done = 0;
  let scheduled = 0;
  const startMs = clock.now();
  let at = offsetMs(0);
  let lastAt = 0;
  while (!stopped() && scheduled < limit && at < durationMs) {
    const intended = startMs + at;
    await clock.sleepUntil(intended, opts.stop);
    if (stopped()) break;
    while (inFlight.size >= cap && !stopped()) {
      await new Promise<void>((r) => waiters.push(r));
    }
    if (stopped()) break;
    const i = scheduled++;
    lastAt = at;
    const p = opts.send(i, false, abort, intended).then((rec) => {
      opts.onRecord(rec, i);
      done++;
      opts.onProgress?.(done, total);
    }).finally(() => {
      inFlight.delete(p);
      waiters.shift()?.();
    });
    inFlight.add(p);
    at = offsetMs(scheduled);
  }
  const interrupted = stopped();
  await Promise.all(inFlight);
  return { sent: scheduled, interrupted, scheduled, startMs, offeredS: lastAt / 1000 };
}
