/**
 * What the concurrent suite's results mean: its catalogue metrics (success rate, the highest
 * concurrency with 95% success, how well open loops kept their rate, corrected p99), its bands,
 * and its answers to the guide's promises.
 *
 * @module
 */

import type { RunResult, SuiteResult, TestResult } from "../../measure/result.ts";
import { ERRORS, LATENCY, type MetricDef, sumOf } from "../../analysis/catalogue.ts";
import { type Band, closedTests, notRated, type Rating } from "../../analysis/bands.ts";
import {
  builtInTests,
  closedAs,
  type GuideCheck,
  type GuideJudge,
  type GuideSection,
  whyNot,
} from "../../analysis/guide.ts";
import { fixed } from "../../util/format.ts";
import type { ConcurrentExtra } from "./result.ts";
import { BURSTS } from "./tests.ts";

type ConcSuite = SuiteResult<ConcurrentExtra>;
type ConcTest = TestResult<ConcurrentExtra>;

/** Highest closed-loop concurrency among tests whose success rate is at least `minPct`. */
function maxConcurrency(tests: readonly ConcTest[], minPct: number): number | null {
  let best: number | null = null;
  for (const t of tests) {
    const c = typeof t.extra.concurrent_connections === "number"
      ? t.extra.concurrent_connections
      : t.load.kind === "closed"
      ? t.load.concurrency
      : null;
    if (c === null || t.metrics.total_requests === 0) continue;
    const ok = (t.metrics.successful_requests / t.metrics.total_requests) * 100;
    if (ok >= minPct && (best === null || c > best)) best = c;
  }
  return best;
}

/** The suite's own catalogue metrics. */
export const CONCURRENT_METRICS: readonly MetricDef<ConcurrentExtra>[] = [
  {
    name: "success_rate_pct",
    unit: "%",
    better: "higher",
    description: "successful requests ÷ requests sent × 100, over every test",
    threshold: ERRORS,
    value: (s) => {
      const n = sumOf(s.tests, (t) => t.metrics.total_requests);
      return n > 0 ? (sumOf(s.tests, (t) => t.metrics.successful_requests) / n) * 100 : null;
    },
  },
  {
    name: "max_ok_concurrency",
    unit: "connections",
    better: "higher",
    description: "highest concurrency tested with at least 95% success",
    threshold: { kind: "relative", value: 0, floor: 0 },
    value: (s) => maxConcurrency(s.tests, 95),
  },
  {
    name: "achieved_rate_ratio",
    unit: "ratio",
    better: "higher",
    description: "open loop: achieved ÷ offered arrival rate (lowest over tests)",
    threshold: { kind: "relative", value: 5, floor: 0.01 },
    value: (s) => {
      let worst: number | null = null;
      for (const t of s.tests) {
        const o = t.extra.offered_rate, a = t.extra.achieved_rate;
        if (typeof o === "number" && typeof a === "number" && o > 0) {
          worst = worst === null ? a / o : Math.min(worst, a / o);
        }
      }
      return worst;
    },
  },
  {
    name: "latency_corrected_p99_ms",
    unit: "ms",
    better: "lower",
    description: "open loop: p99 latency from the intended send time (count-weighted)",
    threshold: LATENCY,
    value: (s) => {
      let n = 0, sum = 0;
      for (const t of s.tests) {
        const c = t.metrics.latency_corrected;
        if (c && c.count > 0) {
          n += c.count;
          sum += c.p99 * c.count;
        }
      }
      return n ? (sum / n) * 1000 : null;
    },
  },
];

/** The highest concurrency with ≥ 95% success: not rated when the run never tested 50. */
function rateMaxOk(suite: ConcSuite, poor: number): Rating | null {
  const levels = closedTests(suite).map((t) => t.load.kind === "closed" ? t.load.concurrency : 0);
  const top = levels.length ? Math.max(...levels) : 0;
  if (top < poor) {
    return notRated(`the highest level tested is ${top}, below the band's ${poor} (quick mode)`);
  }
  return null;
}

/** The suite's bands. */
export const CONCURRENT_BANDS: readonly Band<ConcurrentExtra>[] = [
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
];

const ms = (s: number) => `${fixed(s * 1000, 1)} ms`;

function concurrentChecks(suite: ConcSuite, run: RunResult, j: GuideJudge): GuideCheck[] {
  const tests = builtInTests(suite).filter((t) => closedAs(t, BURSTS));
  if (tests.length === 0) return j.none(whyNot(suite, run));
  const success = (t: ConcTest) => (t.metrics.successful_requests / t.metrics.total_requests) * 100;
  const conc = (t: ConcTest) => (t.load.kind === "closed" ? t.load.concurrency : 0);
  const each = (ts: ConcTest[], f: (t: ConcTest) => string) => ts.map(f).join("; ");
  const reasonable = tests.filter((t) => conc(t) <= 100);
  const at100 = tests.filter((t) => conc(t) >= 100);
  const p99 = Math.max(...tests.map((t) => t.metrics.latency.p99));
  const minAll = Math.min(...tests.map(success));
  return [
    reasonable.length === 0
      ? j.check(0, "not comparable", null, "no test at 100 concurrent or fewer completed")
      : j.check(
        0,
        Math.min(...reasonable.map(success)) >= 100 ? "meets" : "misses",
        each(reasonable, (t) => `${conc(t)} concurrent: ${fixed(success(t), 2)}%`),
      ),
    j.check(1, p99 < 1 ? "meets" : "misses", `${ms(p99)} (worst of ${tests.length} tests)`),
    at100.length === 0
      ? j.check(2, "not comparable", null, "no test at 100 concurrent or more completed")
      : j.check(
        2,
        at100.every((t) => success(t) >= 95) ? "meets" : "misses",
        each(at100, (t) => `${conc(t)} concurrent: ${fixed(success(t), 2)}% succeeded`),
        "handled: at least 95% of its requests succeeded",
      ),
    j.check(
      3,
      minAll >= 100 ? "target" : minAll > 95 ? "acceptable" : "poor",
      `${fixed(minAll, 2)}% (lowest of ${tests.length} tests)`,
    ),
  ];
}

/** The guide's promises about concurrency, and this suite's answers. */
export const CONCURRENT_GUIDE: GuideSection<ConcurrentExtra> = {
  promises: [
    ["Expected Results", "Success rate 100% at reasonable concurrency (≤ 100)", "success rate"],
    ["Expected Results", "P99 latency < 1000 ms", "P99"],
    ["Expected Results", "Handles 100+ concurrent connections", "100+ connections"],
    [
      "Performance Targets",
      "Success rate: 100% · acceptable > 95% · poor < 95%",
      "success rate target",
    ],
  ],
  checks: concurrentChecks,
};
