/**
 * Distribution summaries: count, mean, min, max, stdev and percentiles by linear
 * interpolation between closest ranks (numpy's default).
 *
 * @module
 */

/** Summary of one distribution. Values are in the unit of the samples (seconds for times). */
export interface Summary {
  /** Number of samples. */
  count: number;
  /** Arithmetic mean; 0 when empty. */
  mean: number;
  /** Smallest sample; 0 when empty. */
  min: number;
  /** Largest sample; 0 when empty. */
  max: number;
  /** Population standard deviation (ddof 0, as numpy and vLLM); 0 when empty. */
  stdev: number;
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 95th percentile. */
  p95: number;
  /** 99th percentile. */
  p99: number;
  /** 99.9th percentile. */
  p999: number;
  /** `exact` when computed from every raw sample, `histogram` when from a bounded histogram. */
  source: "exact" | "histogram";
  /** Relative error bound of the percentiles (0 when exact). */
  relative_error: number;
}

/**
 * Percentile of an ascending-sorted array by linear interpolation between closest ranks
 * (numpy `method="linear"`, Excel PERCENTILE.INC). `p` is a fraction in [0, 1].
 * An empty array gives 0.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  if (p <= 0) return sorted[0];
  if (p >= 1) return sorted[n - 1];
  const k = (n - 1) * p;
  const f = Math.floor(k);
  const c = k - f;
  if (f + 1 < n) return sorted[f] + (sorted[f + 1] - sorted[f]) * c;
  return sorted[f];
}

/** Percentile of an unsorted array (copies and sorts it). */
export function percentile(values: ArrayLike<number>, p: number): number {
  return percentileSorted(Float64Array.from(values).sort(), p);
}

/** Summary of the given samples, computed exactly. */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  return summarizeSorted(sorted);
}

/** Summary of ascending-sorted samples, computed exactly. */
export function summarizeSorted(sorted: ArrayLike<number>): Summary {
  const n = sorted.length;
  if (n === 0) return emptySummary();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (sorted[i] - mean) ** 2;
  return {
    count: n,
    mean,
    min: sorted[0],
    max: sorted[n - 1],
    stdev: Math.sqrt(sq / n),
    p50: percentileSorted(sorted, 0.5),
    p90: percentileSorted(sorted, 0.9),
    p95: percentileSorted(sorted, 0.95),
    p99: percentileSorted(sorted, 0.99),
    p999: percentileSorted(sorted, 0.999),
    source: "exact",
    relative_error: 0,
  };
}

/**
 * The summary of no samples: count 0 and every value NaN, "no number". Text shows it as "—"
 * (`report/format.ts`) and JSON as `null` (`JSON.stringify` writes NaN so), never as 0.
 */
export function emptySummary(): Summary {
  return {
    count: 0,
    mean: NaN,
    min: NaN,
    max: NaN,
    stdev: NaN,
    p50: NaN,
    p90: NaN,
    p95: NaN,
    p99: NaN,
    p999: NaN,
    source: "exact",
    relative_error: 0,
  };
}
