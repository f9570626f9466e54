/**
 * What the kv-cache suite's results mean: its catalogue metrics (hit rate, token reuse, the
 * warm cache's TTFT saving, the router's fairness), its bands, and its answers to the guide's
 * promises.
 *
 * @module
 */

import type { RunResult, SuiteResult, TestResult } from "../../measure/result.ts";
import { percentileSorted, summarize } from "../../measure/summary.ts";
import { jainIndex } from "../../measure/fit.ts";
import { median, type MetricDef, weightedExtra } from "../../analysis/catalogue.ts";
import type { Band } from "../../analysis/bands.ts";
import {
  builtInTests,
  type GuideCheck,
  type GuideJudge,
  type GuideSection,
  type GuideVerdict,
  targetLevel,
  whyNot,
} from "../../analysis/guide.ts";
import { fixed } from "../../util/format.ts";
import type { KvCacheExtra } from "./result.ts";

type KvSuite = SuiteResult<KvCacheExtra>;
type KvTest = TestResult<KvCacheExtra>;

/** The numbers of a per-request list that has nulls for failed requests. */
export function numberArray(xs: readonly (number | null)[] | null | undefined): number[] {
  return (xs ?? []).filter((x): x is number => x !== null);
}

/** A test's worker distribution as sorted `[worker, count]` pairs (empty when absent). */
export function workerCounts(t: KvTest): [string, number][] {
  const d = t.extra.worker_distribution;
  if (!d) return [];
  return Object.entries(d)
    .sort((a, b) => a[0].localeCompare(b[0], "en", { numeric: true }));
}

/** Jain's fairness index of a test's worker distribution (null without one). */
export function workerFairness(t: KvTest): number | null {
  const counts = workerCounts(t);
  return counts.length ? jainIndex(counts.map(([, c]) => c)) : null;
}

/**
 * A Cold vs Warm test's TTFTs (sorted) and the share of the median TTFT the warm cache saved,
 * in %, or null when the test has no cold or no warm request.
 */
export function coldWarmTtft(
  t: KvTest,
): { cold: number[]; warm: number[]; savedPct: number } | null {
  const cold = numberArray(t.extra.cold_ttft_s).sort((a, b) => a - b);
  const warm = numberArray(t.extra.warm_ttft_s).sort((a, b) => a - b);
  if (!cold.length || !warm.length) return null;
  const savedPct = percentileSorted(cold, 0.5) > 0
    ? (1 - percentileSorted(warm, 0.5) / percentileSorted(cold, 0.5)) * 100
    : 0;
  return { cold, warm, savedPct };
}

/** Mean (null for none) and median (as \`summarize\` gives it) of some times, in seconds. */
export function meanAndMedian(xs: readonly number[]): { mean: number | null; p50: number } {
  return {
    mean: xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null,
    p50: summarize([...xs]).p50,
  };
}

/** The suite's own catalogue metrics. */
export const KV_CACHE_METRICS: readonly MetricDef<KvCacheExtra>[] = [
  {
    name: "hit_rate",
    unit: "%",
    better: "higher",
    description: "cache hit rate reported by the server (request-weighted over tests)",
    threshold: { kind: "points", value: 5, floor: 0 },
    value: (s) => weightedExtra(s.tests, "hit_rate"),
  },
  {
    name: "token_reuse_rate",
    unit: "%",
    better: "higher",
    description: "prompt tokens served from cache (request-weighted over tests)",
    threshold: { kind: "points", value: 5, floor: 0 },
    value: (s) => weightedExtra(s.tests, "token_reuse_rate"),
  },
  {
    name: "ttft_improvement_pct",
    unit: "%",
    better: "higher",
    description: "median TTFT saved by a warm cache: (cold − warm) ÷ cold × 100",
    threshold: { kind: "points", value: 10, floor: 0 },
    value: (s) => {
      for (const t of s.tests) {
        const cold = numberArray(t.extra.cold_ttft_s), warm = numberArray(t.extra.warm_ttft_s);
        if (cold.length && warm.length && median(cold) > 0) {
          return ((median(cold) - median(warm)) / median(cold)) * 100;
        }
      }
      return null;
    },
  },
  {
    name: "router_fairness",
    unit: "index",
    better: "higher",
    description: "Jain's fairness index of the router's worker distribution (1 = even)",
    threshold: { kind: "relative", value: 10, floor: 0.02 },
    value: (s) => {
      for (const t of s.tests) {
        const counts = workerCounts(t);
        if (counts.length) {
          // All-idle workers have no distribution to rate.
          return counts.some(([, c]) => c > 0) ? jainIndex(counts.map(([, c]) => c)) : null;
        }
      }
      return null;
    },
  },
];

/** The suite's bands. */
export const KV_CACHE_BANDS: readonly Band<KvCacheExtra>[] = [
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
];

function kvChecks(suite: KvSuite, run: RunResult, j: GuideJudge): GuideCheck[] {
  const t = builtInTests(suite).filter((t) => t.name === "Cache Hit Rate Test")[0];
  if (!t) return j.none(whyNot(suite, run));
  if (t.extra.cache_reported === false) return j.none("the server reports no cached tokens");
  const judges: [number | null | undefined, (v: number) => GuideVerdict][] = [
    [t.extra.hit_rate, (v) => v > 60 ? "meets" : "misses"],
    [t.extra.latency_improvement, (v) => v > 50 ? "exceeds" : v >= 30 ? "meets" : "misses"],
    [t.extra.token_reuse_rate, (v) => v > 40 ? "meets" : "misses"],
    [t.extra.hit_rate, (v) => targetLevel(v, "higher", 70, 50)],
  ];
  return judges.map(([v, judge], i) =>
    v === null || v === undefined
      ? j.check(i, "not comparable", null, "not measured (no hit, or no miss, to compare)")
      : j.check(i, judge(v), `${fixed(v, 1)}% (${t.name})`)
  );
}

/** The guide's promises about the KV cache, and this suite's answers. */
export const KV_CACHE_GUIDE: GuideSection<KvCacheExtra> = {
  promises: [
    ["Expected Results", "Hit rate > 60% after warm-up", "hit rate"],
    ["Expected Results", "Latency improvement 30–50%", "latency improvement"],
    ["Expected Results", "Token reuse > 40%", "token reuse"],
    [
      "Performance Targets",
      "Cache hit rate: > 70% · acceptable 50–70% · poor < 50%",
      "hit rate target",
    ],
  ],
  checks: kvChecks,
};

/** The share (0–1) of a suite's requests that hit the cache, and over how many, or null. */
export function suiteHitShare(suite: KvSuite): { share: number; known: number } | null {
  let hits = 0, known = 0;
  for (const t of suite.tests) {
    if (typeof t.extra.cache_hits === "number" && typeof t.extra.cache_misses === "number") {
      hits += t.extra.cache_hits;
      known += t.extra.cache_hits + t.extra.cache_misses;
    }
  }
  return known > 0 ? { share: hits / known, known } : null;
}
