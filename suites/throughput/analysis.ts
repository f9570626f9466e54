/**
 * What the throughput suite's results mean: its bands (the guide's "Interpreting Metrics") and
 * its answers to the guide's promises. It has no catalogue metric beyond the common ones.
 *
 * @module
 */

import type { RunResult, SuiteResult, TestResult } from "../../measure/result.ts";
import type { MetricDef } from "../../analysis/catalogue.ts";
import { type Band, closedTests, notRated, rated, type Rating } from "../../analysis/bands.ts";
import {
  builtInTests,
  closedAs,
  type GuideCheck,
  type GuideJudge,
  type GuideSection,
  targetLevel,
  whyNot,
} from "../../analysis/guide.ts";
import { fixed } from "../../util/format.ts";
import { FULL_TESTS } from "./tests.ts";

/** The suite's own catalogue metrics: none beyond the common ones. */
export const THROUGHPUT_METRICS: readonly MetricDef[] = [];

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

/** The suite's bands. */
export const THROUGHPUT_BANDS: readonly Band[] = [
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
];

/**
 * The non-streaming and streaming tests of one payload at the same concurrency, as pairs
 * (non-streaming first), in the order of the non-streaming tests.
 */
export function streamingPairs(tests: readonly TestResult[]): [TestResult, TestResult][] {
  const pairs: [TestResult, TestResult][] = [];
  const conc = (t: TestResult) => (t.load.kind === "closed" ? t.load.concurrency : -1);
  for (const a of tests) {
    if (a.streaming) continue;
    const b = tests.find((x) => x.streaming && x.payload === a.payload && conc(x) === conc(a));
    if (b) pairs.push([a, b]);
  }
  return pairs;
}

const ms = (s: number) => `${fixed(s * 1000, 1)} ms`;
const rate = (t: TestResult) => `${t.name} ${fixed(t.metrics.requests_per_second)} req/s`;

function throughputChecks(suite: SuiteResult, run: RunResult, j: GuideJudge): GuideCheck[] {
  const payloads = builtInTests(suite).filter((t) =>
    closedAs(t, FULL_TESTS) && !t.name.startsWith("High Concurrency")
  );
  if (payloads.length === 0) return j.none(whyNot(suite, run));
  const small = payloads.filter((t) => t.payload === "small");
  const rps = payloads.map((t) => t.metrics.requests_per_second);
  const lowest = payloads[rps.indexOf(Math.min(...rps))];
  const out = [
    j.check(
      0,
      Math.min(...rps) < 50 ? "misses" : Math.max(...rps) > 200 ? "exceeds" : "meets",
      payloads.map(rate).join("; "),
      Math.min(...rps) < 50 ? `lowest: ${rate(lowest)}` : null,
    ),
  ];
  const smallP99 = small.length ? Math.max(...small.map((t) => t.metrics.latency.p99)) : null;
  const p99Text = smallP99 === null ? null : `${ms(smallP99)} (worst small-payload test)`;
  out.push(
    smallP99 === null
      ? j.check(1, "not comparable", null, "no small-payload test completed")
      : j.check(1, smallP99 < 0.5 ? "meets" : "misses", p99Text),
  );
  const pairs = streamingPairs(payloads);
  if (pairs.length === 0) {
    out.push(j.check(2, "not comparable", null, "no payload ran both with and without streaming"));
  } else {
    // Similar RPS: within 10% of the non-streaming test's.
    const worst = Math.max(
      ...pairs.map(([a, b]) =>
        Math.abs(b.metrics.requests_per_second - a.metrics.requests_per_second) /
        Math.max(a.metrics.requests_per_second, 1e-9)
      ),
    );
    out.push(j.check(
      2,
      worst <= 0.1 ? "meets" : "misses",
      pairs.map(([a, b]) =>
        `${a.payload}: ${fixed(b.metrics.requests_per_second)} vs ${
          fixed(a.metrics.requests_per_second)
        } req/s, mean latency ${ms(b.metrics.latency.mean)} vs ${ms(a.metrics.latency.mean)}`
      ).join("; "),
      `streaming RPS within ${fixed(worst * 100, 1)}% of non-streaming (similar: within 10%)`,
    ));
  }
  if (small.length === 0) {
    out.push(
      j.check(3, "not comparable", null, "no small-payload test completed"),
      j.check(4, "not comparable", null, "no small-payload test completed"),
    );
  } else {
    const slowest = small.reduce((a, b) =>
      b.metrics.requests_per_second < a.metrics.requests_per_second ? b : a
    );
    out.push(
      j.check(
        3,
        targetLevel(slowest.metrics.requests_per_second, "higher", 100, 50),
        `${rate(slowest)} (the slower small-payload test)`,
      ),
      j.check(4, targetLevel(smallP99! * 1000, "lower", 300, 500), p99Text),
    );
  }
  return out;
}

/** The guide's promises about throughput, and this suite's answers. */
export const THROUGHPUT_GUIDE: GuideSection = {
  promises: [
    ["Expected Results", "RPS: 50–200 depending on payload size", "RPS"],
    ["Expected Results", "P99 latency < 500 ms for small payloads", "P99"],
    ["Expected Results", "Streaming: slightly higher latency, similar RPS", "streaming"],
    ["Performance Targets", "RPS (small): > 100 · acceptable 50–100 · poor < 50", "RPS target"],
    [
      "Performance Targets",
      "P99 latency: < 300 ms · acceptable 300–500 ms · poor > 500 ms",
      "P99 target",
    ],
  ],
  checks: throughputChecks,
};
