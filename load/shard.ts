/**
 * Shards: one test's load split over `n` processes, workers or machines (`--shard i/n`,
 * 0-based), a common start time (`--start-at`), and the arithmetic of the split.
 *
 * Closed loop: requests and concurrency are split as evenly as possible, remainders going to
 * the lower indices. Open loop: the arrival rate is divided by `n`; a count-bounded schedule
 * splits its count the same way, a time-bounded one keeps its duration.
 *
 * @module
 */

import { MAX_TIMER_MS } from "../util/clock.ts";
import { UsageError } from "../util/errors.ts";

/** One shard of `count`: index in [0, count). */
export interface Shard {
  /** 0-based shard number. */
  index: number;
  /** Number of shards. */
  count: number;
}

/** Parse `i/n` (0 ≤ i < n). Throws {@linkcode UsageError}. */
export function parseShard(raw: string): Shard {
  const m = raw.trim().match(/^(\d+)\s*\/\s*(\d+)$/);
  if (!m) throw new UsageError(`--shard expects i/n (e.g. 0/3), got '${raw}'`);
  const index = Number(m[1]), count = Number(m[2]);
  if (count < 1) throw new UsageError(`--shard: the number of shards must be at least 1`);
  if (index >= count) {
    throw new UsageError(`--shard: index ${index} is out of range for ${count} shards (0-based)`);
  }
  return { index, count };
}

/** `i/n` as written on the command line. */
export function formatShard(s: Shard): string {
  return `${s.index}/${s.count}`;
}

/** Shard `index` of `count` of a whole number `total`: even split, remainder to low indices. */
export function splitEven(total: number, index: number, count: number): number {
  const base = Math.floor(total / count);
  return base + (index < total % count ? 1 : 0);
}

/** Sum of the shares of the shards before `index` (where shard `index`'s share starts). */
export function shareOffset(total: number, index: number, count: number): number {
  const base = Math.floor(total / count);
  return base * index + Math.min(index, total % count);
}

/** A closed-loop load for one shard. */
export interface ClosedShare {
  /** Counted requests of this shard. */
  requests: number;
  /** Concurrency of this shard (at least 1 when it has requests, never above them). */
  concurrency: number;
  /** Index of this shard's first request in the whole test. */
  offset: number;
}

/**
 * This shard's part of `requests` at `concurrency`. When there are more shards than
 * concurrency, each shard with requests still needs one connection, so the sum of the
 * shards' concurrency can exceed the original.
 */
export function closedShare(requests: number, concurrency: number, s: Shard): ClosedShare {
  const r = splitEven(requests, s.index, s.count);
  const c = Math.min(r, Math.max(1, splitEven(concurrency, s.index, s.count)));
  return { requests: r, concurrency: c, offset: shareOffset(requests, s.index, s.count) };
}

/** An open-loop load for one shard. */
export interface OpenShare {
  /** Arrival rate of this shard (per second). */
  rate: number;
  /** Arrivals of this shard when count-bounded (else null). */
  requests: number | null;
  /** Index of this shard's first request in the whole test. */
  offset: number;
}

/** This shard's part of an open-loop schedule: rate / n, and the count split evenly. */
export function openShare(rate: number, requests: number | null, s: Shard): OpenShare {
  return {
    rate: rate / s.count,
    requests: requests === null ? null : splitEven(requests, s.index, s.count),
    offset: requests === null ? 0 : shareOffset(requests, s.index, s.count),
  };
}

/**
 * Parse `--start-at`: epoch seconds (`1767225600`, fractions allowed) or an ISO-8601 date
 * with a time zone (`2026-01-01T00:00:00Z`). Returns epoch milliseconds.
 */
export function parseStartAt(raw: string): number {
  const t = raw.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    const s = Number(t);
    if (s >= 1e11) {
      throw new UsageError(
        `--start-at ${raw} is in the year ${
          new Date(Math.min(s, 8.64e12) * 1000).getUTCFullYear() || "—"
        }` +
          ` read as seconds: give epoch seconds (${Math.floor(s / 1000)} if that was milliseconds)`,
      );
    }
    return s * 1000;
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(t) && /(Z|[+-]\d{2}:?\d{2})$/i.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  throw new UsageError(
    `--start-at expects epoch seconds or an ISO-8601 time with a zone (e.g. 2026-01-01T12:00:00Z), got '${raw}'`,
  );
}

/**
 * Wait until epoch time `atMs` (resolves at once if it has passed). Resolves early, with
 * false, when `signal` aborts; true when the time came.
 */
export function waitUntil(atMs: number, signal?: AbortSignal): Promise<boolean> {
  if (atMs - Date.now() <= 0) return Promise.resolve(true);
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout>;
    // Re-armed in steps a timer can take, reading the wall clock each time.
    const arm = () => {
      const delay = atMs - Date.now();
      if (delay <= 0) {
        signal?.removeEventListener("abort", onAbort);
        resolve(true);
        return;
      }
      timer = setTimeout(arm, Math.min(delay, MAX_TIMER_MS));
    };
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    arm();
  });
}
