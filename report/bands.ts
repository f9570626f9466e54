/**
 * Interpretation bands: when a headline number is good, a warning or poor. One table, taken
 * from the original guide's "Interpreting Metrics" (the per-suite bands, used for the marks)
 * with its "Performance Targets" shown beside them as the target.
 *
 * @module
 */

import type { Better } from "./metrics.ts";
import type { SuiteResult, TestResult } from "../suites/mod.ts";

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
  /**
   * What the band rates, when not the catalogue's suite value: the value on the tests the
   * guide's band is about, or why the run cannot be rated against it ("not rated"); null
   * rates the catalogue's value.
   */
  rate?(suite: SuiteResult): Rating | null;
}

/** A band's value for a suite, or why there is none to rate. */
export type Rating = { value: number | null; notRated: null } | { value: null; notRated: string };

const rated = (value: number | null): Rating => ({ value, notRated: null });
const notRated = (why: string): Rating => ({ value: null, notRated: why });

function closedTests(suite: SuiteResult): TestResult[] {
  return suite.tests.filter((t) => t.load.kind === "closed" && t.metrics.successful_requests > 0);
}

/**
 * Throughput RPS: rated on the test with the most concurrency, and only when it could reach the
 * band at all: at concurrency c with a median answer of L seconds, a closed loop cannot pass
 * c / L requests per second.
 */
function rateRps(suite: SuiteResult, good: number): Rating {
  const tests = closedTests(suite);
  if (tests.length === 0) return notRated("no closed-loop test completed");
  const t = tests.reduce((a, b) =>
    (b.load.kind === "closed" ? b.load.concurrency : 0) >
        (a.load.kind === "closed" ? a.load.concurrency : 0)
      ? b
      : a
  );
  const c = t.load.kind === "closed" ? t.load.concurrency : 1;
  const reachable = c / t.metrics.latency.p50;
  if (!(reachable > good)) {
    return notRated(
      `at concurrency ${c} with a ${(t.metrics.latency.p50 * 1000).toFixed(0)} ms median ` +
        `answer, at most ${reachable.toFixed(1)} req/s is reachable: the band starts at ${good}`,
    );
  }
  return rated(t.metrics.requests_per_second);
}

/** Throughput P99: the small payload's tests only (pooled payload sizes are not comparable). */
function rateSmallP99(suite: SuiteResult): Rating {
  const small = suite.tests.filter((t) => t.payload === "small" && t.metrics.latency.count > 0);
  if (small.length === 0) {
    return notRated("no small-payload test (the band is about short answers)");
  }
  return rated(Math.max(...small.map((t) => t.metrics.latency.p99 * 1000)));
}

/** The highest concurrency with ≥ 95% success: not rated when the run never tested 50. */
function rateMaxOk(suite: SuiteResult, poor: number): Rating | null {
  const levels = closedTests(suite).map((t) => t.load.kind === "closed" ? t.load.concurrency : 0);
  const top = levels.length ? Math.max(...levels) : 0;
  if (top < poor) {
    return notRated(`the highest level tested is ${top}, below the band's ${poor} (quick mode)`);
  }
  return null;
}

/** Memory growth per minute is about leaks: not rated when every test found none. */
function rateGrowthRate(suite: SuiteResult): Rating | null {
  const verdicts = suite.tests.map((t) => (t.extra as { verdict?: string }).verdict);
  if (verdicts.length > 0 && verdicts.every((v) => v === "no leak")) {
    return notRated("every test found no leak: the growth is memory held, not leaked");
  }
  return null;
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
    rate: (s) => rateRps(s, 50),
  },
  {
    metric: "throughput.latency_p99_ms",
    label: "Throughput P99 latency",
    better: "lower",
    good: 500,
    poor: 1000,
    rule: "good < 500 ms · acceptable < 1000 ms · poor > 1000 ms (small payload)",
    target: "< 300 ms",
    rate: rateSmallP99,
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
    rate: (s) => rateMaxOk(s, 50),
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
    rate: rateGrowthRate,
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

/**
 * A suite with failed requests is never "good": its mark is at best a warning, whatever its
 * headline numbers.
 */
export function suiteMark(suite: SuiteResult, marks: readonly (Mark | null)[]): Mark | null {
  let mark: Mark | null = null;
  for (const m of marks) mark = worstMark(mark, m);
  const failed = suite.tests.reduce((n, t) => n + t.metrics.failed_requests, 0);
  if (failed > 0) mark = worstMark(mark ?? "warning", "warning");
  return mark;
}

/** The mark of a value under a band (or any good/poor pair); null when there is no value. */
export function markOf(
  band: Pick<Band, "better" | "good" | "poor">,
  value: number | null,
): Mark | null {
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
