/**
 * Load models. A closed loop keeps a fixed number of requests in flight until a count is
 * reached; every model runs an uncounted warm-up first.
 *
 * @module
 */

import type { RequestRecord } from "./record.ts";

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
  return { sent: next, interrupted: stopped() && next < opts.requests };
}
