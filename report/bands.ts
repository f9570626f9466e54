/**
 * Interpretation bands: when a headline number is good, a warning or poor. One table, taken
 * from the original guide's "Interpreting Metrics" (the per-suite bands, used for the marks)
 * with its "Performance Targets" shown beside them as the target.
 *
 * @module
 */

import type { Better } from "./metrics.ts";

/** A headline number's mark. */
export type Mark = "good" | "warning" | "poor";

/** One band: thresholds on one catalogue metric. */
export interface Band {
  /** Qualified metric name (`throughput.rps`). */
  metric: string;
  /** Headline label. */
  label: string;
  /** Which direction is better (as in the catalogue). */
  better: Better;
  /** Good when strictly better than this. */
  good: number;
  /** Poor when strictly worse than this; between the two is a warning. */
  poor: number;
  /** The guide's band, in words, as shown in the report. */
  rule: string;
  /** The guide's "Performance Targets" entry, when it has one. */
  target: string | null;
}

/**
 * The bands. Where the guide's two sections disagree (throughput RPS and P99, cache hit
 * rate), the marks follow "Interpreting Metrics" and the target column shows the stricter
 * "Performance Targets" value.
 */
export const BANDS: readonly Band[] = [
  {
    metric: "throughput.rps",
    label: "Throughput RPS",
    better: "higher",
    good: 50,
    poor: 20,
    rule: "good > 50 · acceptable 20–50 · poor < 20",
    target: "> 100 (small payload)",
  },
  {
    metric: "throughput.latency_p99_ms",
    label: "Throughput P99 latency",
    better: "lower",
    good: 500,
    poor: 1000,
    rule: "good < 500 ms · acceptable < 1000 ms · poor > 1000 ms",
    target: "< 300 ms",
  },
  {
    metric: "kv_cache.hit_rate",
    label: "Cache hit rate",
    better: "higher",
    good: 60,
    poor: 40,
    rule: "good > 60% · acceptable 40–60% · poor < 40%",
    target: "> 70%",
  },
  {
    metric: "kv_cache.ttft_improvement_pct",
    label: "Warm-cache TTFT improvement",
    better: "higher",
    good: 30,
    poor: 20,
    rule: "good > 30% · acceptable 20–30% · poor < 20%",
    target: null,
  },
  {
    metric: "concurrent.success_rate_pct",
    label: "Concurrent success rate",
    better: "higher",
    good: 99.999,
    poor: 95,
    rule: "good 100% · acceptable ≥ 95% · poor < 95%",
    target: "100%",
  },
  {
    metric: "concurrent.max_ok_concurrency",
    label: "Highest concurrency with ≥ 95% success",
    better: "higher",
    good: 99.5,
    poor: 50,
    rule: "good ≥ 100 · acceptable ≥ 50 · poor < 50",
    target: null,
  },
  {
    metric: "memory.growth_mb",
    label: "Memory growth after drain",
    better: "lower",
    good: 10,
    poor: Infinity,
    rule: "good < 10 MB (with no leak)",
    target: "0 MB (acceptable < 10 MB)",
  },
  {
    metric: "memory.growth_mb_per_min",
    label: "Memory growth rate",
    better: "lower",
    good: 1,
    poor: 1,
    rule: "acceptable < 1 MB/min · poor > 1 MB/min",
    target: null,
  },
  {
    metric: "memory.leaks",
    label: "Tests with a leak verdict",
    better: "lower",
    good: 0.5,
    poor: 0.5,
    rule: "good: no leak detected · poor: a leak detected",
    target: null,
  },
];

/** The mark of a value under a band; null when there is no value. */
export function markOf(band: Band, value: number | null): Mark | null {
  if (value === null || !Number.isFinite(value)) return null;
  if (band.better === "higher") {
    if (value > band.good) return "good";
    if (value < band.poor) return "poor";
    return "warning";
  }
  if (value < band.good) return "good";
  if (value > band.poor) return "poor";
  return "warning";
}

/** The worse of two marks (null counts as no information). */
export function worstMark(a: Mark | null, b: Mark | null): Mark | null {
  const order: Mark[] = ["good", "warning", "poor"];
  if (a === null) return b;
  if (b === null) return a;
  return order.indexOf(a) >= order.indexOf(b) ? a : b;
}
