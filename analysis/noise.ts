/**
 * How precisely one run measured a metric: a 95% interval from the run's own samples, and the
 * timing floor of the client that measured it. `compare` counts a change as a regression only
 * when it is beyond both runs' intervals and beyond the floor; a smaller change is "within
 * noise", reported with its numbers.
 *
 * - A percentile of N requests: the distribution-free interval of an order statistic, the
 *   values at p ± 1.96·√(p(1−p)/N) of the pooled samples. Per-token figures (ITL, TPOT) count
 *   requests, not tokens: the gaps of one answer are not independent of each other.
 * - A rate over a window: n requests finishing over a window whose length follows their
 *   latencies, so its relative error is about the latencies' coefficient of variation ÷ √n.
 * - A share of requests (errors, SLO attainment): Wilson's interval.
 * - The timing floor: the client's event-loop lag p99 over the run's tests: a latency change
 *   smaller than the lag the client itself showed is not the server's.
 *
 * @module
 */

import type { SuiteResult, TestResult } from "../measure/result.ts";
import { percentileSorted } from "../measure/summary.ts";

/** A (value, weight) sample for pooled percentiles. */
export interface Weighted {
  values: readonly number[];
  count: number;
}

/**
 * Percentile `p` (fraction) of several sample groups pooled, each group standing for `count`
 * requests. Exact (numpy linear) when every group holds all of its samples; otherwise the
 * weighted step quantile.
 */
export function pooledPercentile(groups: readonly Weighted[], p: number): number | null {
  const used = groups.filter((g) => g.count > 0 && g.values.length > 0);
  if (used.length === 0) return null;
  if (used.every((g) => g.values.length === g.count)) {
    const all = used.flatMap((g) => [...g.values]).sort((a, b) => a - b);
    return percentileSorted(all, p);
  }
  const pts = used.flatMap((g) => g.values.map((v) => [v, g.count / g.values.length] as const))
    .sort((a, b) => a[0] - b[0]);
  const total = pts.reduce((s, [, w]) => s + w, 0);
  let acc = 0;
  for (const [v, w] of pts) {
    acc += w;
    if (acc >= p * total) return v;
  }
  return pts[pts.length - 1][0];
}

/** z of a two-sided 95% interval. */
const Z = 1.96;

/** A 95% interval of a metric's value in one run. */
export interface Interval {
  /** Lower bound. */
  lo: number;
  /** Upper bound. */
  hi: number;
}

type Key = "latency" | "ttft" | "tpot" | "itl";

const SAMPLES: Record<Key, (t: TestResult) => number[] | undefined> = {
  latency: (t) => t.metrics.latencies,
  ttft: (t) => t.metrics.ttft_samples,
  tpot: (t) => t.metrics.tpot_samples,
  itl: (t) => t.metrics.itl_samples,
};

/** Requests behind a test's distribution: its count, in requests for per-token figures. */
function requestsOf(t: TestResult, key: Key): number {
  if (key === "itl" || key === "tpot") return t.metrics.successful_requests;
  return t.metrics[key]?.count ?? 0;
}

/**
 * The 95% interval (ms) of the suite's pooled percentile `p` of `key`: the pooled sample's
 * quantiles at p ± z·√(p(1−p)/N), N the requests behind it. Null without samples.
 */
export function percentileInterval(
  tests: readonly TestResult[],
  key: Key,
  p: number,
): Interval | null {
  const groups = tests
    .map((t) => ({
      values: SAMPLES[key](t) ?? [],
      count: t.metrics[key]?.count ?? 0,
      n: requestsOf(t, key),
    }))
    .filter((g) => g.values.length > 0 && g.count > 0);
  const n = groups.reduce((s, g) => s + g.n, 0);
  if (groups.length === 0 || n === 0) return null;
  const h = Z * Math.sqrt((p * (1 - p)) / n);
  const lo = pooledPercentile(groups, Math.max(0, p - h));
  const hi = pooledPercentile(groups, Math.min(1, p + h));
  return lo === null || hi === null ? null : { lo: lo * 1000, hi: hi * 1000 };
}

/**
 * The 95% interval of a rate `value` measured over the suite's windows: relative half-width
 * z · CV(latency) / √n, n the successful requests.
 */
export function rateInterval(suite: SuiteResult, value: number | null): Interval | null {
  if (value === null) return null;
  let n = 0, sum = 0, sq = 0;
  for (const t of suite.tests) {
    const l = t.metrics.latency;
    if (!l || !(l.count > 0)) continue;
    n += l.count;
    sum += l.mean * l.count;
    sq += (l.stdev * l.stdev + l.mean * l.mean) * l.count;
  }
  if (n < 2) return null;
  const mean = sum / n;
  const sd = Math.sqrt(Math.max(0, sq / n - mean * mean));
  const rel = mean > 0 ? (Z * (sd / mean)) / Math.sqrt(n) : 0;
  return { lo: value * (1 - rel), hi: value * (1 + rel) };
}

/** Wilson's 95% interval of `k` of `n`, scaled by `scale` (1 for a fraction, 100 for %). */
export function shareInterval(k: number, n: number, scale: number): Interval | null {
  if (n <= 0) return null;
  const p = k / n;
  const d = 1 + (Z * Z) / n;
  const c = (p + (Z * Z) / (2 * n)) / d;
  const h = (Z * Math.sqrt((p * (1 - p)) / n + (Z * Z) / (4 * n * n))) / d;
  return { lo: Math.max(0, c - h) * scale, hi: Math.min(1, c + h) * scale };
}

/**
 * The run's timing floor (ms) for a percentile `p`: the largest event-loop lag of its tests'
 * clients at that level (the median lag for a median, the p99 lag for tail figures), since a
 * measured time can be that late on the client's side alone; 0 when no test recorded the
 * client's health. Runs of older versions recorded only the p99 lag, used for both.
 */
export function timingFloorMs(suites: readonly SuiteResult[], p = 0.99): number {
  let floor = 0;
  for (const s of suites) {
    for (const t of s.tests) {
      const h = t.extra.client_health;
      const lag = p <= 0.5
        ? h?.event_loop_lag_p50_ms ?? h?.event_loop_lag_p99_ms
        : h?.event_loop_lag_p99_ms;
      if (lag !== undefined && Number.isFinite(lag)) floor = Math.max(floor, lag);
    }
  }
  return floor;
}
