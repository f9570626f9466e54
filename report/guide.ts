/**
 * The original guide's promises, held against a run: each "Expected Results" line and each
 * "Performance Targets" row, compared with what the tests the guide describes measured, and
 * "not comparable" (with the reason) where this run did not run those tests as the guide did:
 * quick mode, a workload or scenario in their place, a server that reports no cache, no memory
 * readings. The guide's figures describe FakeAI at its default settings; against another server
 * they are a yardstick, not a prediction.
 *
 * @module
 */

import type { SuiteName } from "../measure/result.ts";
import type { RunResult, SuiteResult, TestResult } from "../suites/mod.ts";
import { BURSTS } from "../suites/concurrent.ts";
import { FULL_TESTS as THROUGHPUT_TESTS } from "../suites/throughput.ts";
import { FULL_TESTS as MEMORY_TESTS } from "../suites/memory.ts";
import { type Mark, markOf } from "./bands.ts";
import { streamingPairs } from "./throughput.ts";
import { isLeak, memoryGrowth } from "./metrics.ts";
import { type Block, heading, para, table, type Text } from "./doc.ts";
import { fixed, mdCell } from "./format.ts";

/** How a measured figure stands against the guide. */
export type GuideVerdict =
  | "meets"
  | "exceeds"
  | "misses"
  | "target"
  | "acceptable"
  | "poor"
  | "not comparable";

/** One promise of the guide and this run's answer. */
export interface GuideCheck {
  /** The suite it is about. */
  suite: SuiteName;
  /** The guide's section. */
  source: "Expected Results" | "Performance Targets";
  /** The promise, as the guide words it. */
  expectation: string;
  /** What the guide's tests measured here (null when not comparable). */
  measured: string | null;
  /** The verdict. */
  verdict: GuideVerdict;
  /** Why it is not comparable, or which test decided the verdict. */
  note: string | null;
}

const ms = (s: number) => `${fixed(s * 1000, 1)} ms`;

type Source = GuideCheck["source"];

/**
 * The guide's promises per suite: section, wording, and a short name; in the order the checks
 * answer them.
 */
export const GUIDE: Readonly<Record<SuiteName, readonly (readonly [Source, string, string])[]>> = {
  throughput: [
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
  "kv-cache": [
    ["Expected Results", "Hit rate > 60% after warm-up", "hit rate"],
    ["Expected Results", "Latency improvement 30–50%", "latency improvement"],
    ["Expected Results", "Token reuse > 40%", "token reuse"],
    [
      "Performance Targets",
      "Cache hit rate: > 70% · acceptable 50–70% · poor < 50%",
      "hit rate target",
    ],
  ],
  concurrent: [
    ["Expected Results", "Success rate 100% at reasonable concurrency (≤ 100)", "success rate"],
    ["Expected Results", "P99 latency < 1000 ms", "P99"],
    ["Expected Results", "Handles 100+ concurrent connections", "100+ connections"],
    [
      "Performance Targets",
      "Success rate: 100% · acceptable > 95% · poor < 95%",
      "success rate target",
    ],
  ],
  memory: [
    ["Expected Results", "No leaks detected", "leaks"],
    ["Expected Results", "Growth < 10 MB for the test's duration", "growth"],
    ["Expected Results", "Per request < 10 KB", "per request"],
    [
      "Performance Targets",
      "Memory growth: 0 MB · acceptable < 10 MB · poor > 10 MB",
      "growth target",
    ],
  ],
};

/** The check of promise `i` of a suite. */
function check(
  suite: SuiteName,
  i: number,
  verdict: GuideVerdict,
  measured: string | null,
  note: string | null = null,
): GuideCheck {
  const [source, expectation] = GUIDE[suite][i];
  return { suite, source, expectation, measured, verdict, note };
}

/** Every promise of a suite, not comparable for the same reason. */
function noneComparable(suite: SuiteName, note: string): GuideCheck[] {
  return GUIDE[suite].map((_, i) => check(suite, i, "not comparable", null, note));
}

/** True when `t` is one of `specs` (a closed loop of that name, requests and concurrency). */
function closedAs(
  t: TestResult,
  specs: readonly { name: string; requests: number; concurrency: number }[],
): boolean {
  return specs.some((g) =>
    g.name === t.name && t.load.kind === "closed" && t.load.requests === g.requests &&
    t.load.concurrency === g.concurrency
  );
}

/** The tests the guide describes, run as the guide ran them (not a scenario's, same load). */
function guideTests(suite: SuiteResult): TestResult[] {
  const mine = suite.tests.filter((t) =>
    t.extra.scenario === undefined && t.metrics.total_requests > 0
  );
  switch (suite.suite) {
    case "throughput":
      return mine.filter((t) => closedAs(t, THROUGHPUT_TESTS));
    case "concurrent":
      return mine.filter((t) => closedAs(t, BURSTS));
    case "kv-cache":
      return mine.filter((t) => t.name === "Cache Hit Rate Test");
    case "memory":
      return mine.filter((t) =>
        MEMORY_TESTS.some((g) =>
          g.name === t.name && t.load.kind === "open" && t.load.rate === g.rate
        )
      );
  }
}

/** Why no test of the guide's shape ran in a suite. */
function whyNot(suite: SuiteResult, run: RunResult): string {
  if (run.mode === "quick") {
    return "quick mode runs shorter tests than the guide's (run without --quick to compare)";
  }
  if (suite.tests.some((t) => t.extra.scenario !== undefined)) {
    return "this run's tests came from a workload or scenario, not the guide's tests";
  }
  return "none of the guide's tests of this suite completed";
}

const TARGET_LEVEL: Record<Mark, GuideVerdict> = {
  good: "target",
  warning: "acceptable",
  poor: "poor",
};

/** A three-level "Performance Targets" verdict: the bands' mark under the target's limits. */
function level(
  value: number,
  better: "higher" | "lower",
  target: number,
  poor: number,
): GuideVerdict {
  return TARGET_LEVEL[markOf({ better, good: target, poor }, value) ?? "poor"];
}

function rate(t: TestResult): string {
  return `${t.name} ${fixed(t.metrics.requests_per_second)} req/s`;
}

function throughputChecks(suite: SuiteResult, run: RunResult): GuideCheck[] {
  const name = suite.suite;
  const payloads = guideTests(suite).filter((t) => !t.name.startsWith("High Concurrency"));
  if (payloads.length === 0) return noneComparable(name, whyNot(suite, run));
  const small = payloads.filter((t) => t.payload === "small");
  const rps = payloads.map((t) => t.metrics.requests_per_second);
  const lowest = payloads[rps.indexOf(Math.min(...rps))];
  const out = [
    check(
      name,
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
      ? check(name, 1, "not comparable", null, "no small-payload test completed")
      : check(name, 1, smallP99 < 0.5 ? "meets" : "misses", p99Text),
  );
  const pairs = streamingPairs(payloads);
  if (pairs.length === 0) {
    out.push(
      check(name, 2, "not comparable", null, "no payload ran both with and without streaming"),
    );
  } else {
    // Similar RPS: within 10% of the non-streaming test's.
    const worst = Math.max(
      ...pairs.map(([a, b]) =>
        Math.abs(b.metrics.requests_per_second - a.metrics.requests_per_second) /
        Math.max(a.metrics.requests_per_second, 1e-9)
      ),
    );
    out.push(check(
      name,
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
      check(name, 3, "not comparable", null, "no small-payload test completed"),
      check(name, 4, "not comparable", null, "no small-payload test completed"),
    );
  } else {
    const slowest = small.reduce((a, b) =>
      b.metrics.requests_per_second < a.metrics.requests_per_second ? b : a
    );
    out.push(
      check(
        name,
        3,
        level(slowest.metrics.requests_per_second, "higher", 100, 50),
        `${rate(slowest)} (the slower small-payload test)`,
      ),
      check(name, 4, level(smallP99! * 1000, "lower", 300, 500), p99Text),
    );
  }
  return out;
}

function kvChecks(suite: SuiteResult, run: RunResult): GuideCheck[] {
  const name = suite.suite;
  const t = guideTests(suite)[0];
  if (!t) return noneComparable(name, whyNot(suite, run));
  if (t.extra.cache_reported === false) {
    return noneComparable(name, "the server reports no cached tokens");
  }
  const judges: [number | null | undefined, (v: number) => GuideVerdict][] = [
    [t.extra.hit_rate, (v) => v > 60 ? "meets" : "misses"],
    [t.extra.latency_improvement, (v) => v > 50 ? "exceeds" : v >= 30 ? "meets" : "misses"],
    [t.extra.token_reuse_rate, (v) => v > 40 ? "meets" : "misses"],
    [t.extra.hit_rate, (v) => level(v, "higher", 70, 50)],
  ];
  return judges.map(([v, judge], i) =>
    v === null || v === undefined
      ? check(name, i, "not comparable", null, "not measured (no hit, or no miss, to compare)")
      : check(name, i, judge(v), `${fixed(v, 1)}% (${t.name})`)
  );
}

function concurrentChecks(suite: SuiteResult, run: RunResult): GuideCheck[] {
  const name = suite.suite;
  const tests = guideTests(suite);
  if (tests.length === 0) return noneComparable(name, whyNot(suite, run));
  const success = (t: TestResult) =>
    (t.metrics.successful_requests / t.metrics.total_requests) * 100;
  const conc = (t: TestResult) => (t.load.kind === "closed" ? t.load.concurrency : 0);
  const each = (ts: TestResult[], f: (t: TestResult) => string) => ts.map(f).join("; ");
  const reasonable = tests.filter((t) => conc(t) <= 100);
  const at100 = tests.filter((t) => conc(t) >= 100);
  const p99 = Math.max(...tests.map((t) => t.metrics.latency.p99));
  const minAll = Math.min(...tests.map(success));
  return [
    reasonable.length === 0
      ? check(name, 0, "not comparable", null, "no test at 100 concurrent or fewer completed")
      : check(
        name,
        0,
        Math.min(...reasonable.map(success)) >= 100 ? "meets" : "misses",
        each(reasonable, (t) => `${conc(t)} concurrent: ${fixed(success(t), 2)}%`),
      ),
    check(name, 1, p99 < 1 ? "meets" : "misses", `${ms(p99)} (worst of ${tests.length} tests)`),
    at100.length === 0
      ? check(name, 2, "not comparable", null, "no test at 100 concurrent or more completed")
      : check(
        name,
        2,
        at100.every((t) => success(t) >= 95) ? "meets" : "misses",
        each(at100, (t) => `${conc(t)} concurrent: ${fixed(success(t), 2)}% succeeded`),
        "handled: at least 95% of its requests succeeded",
      ),
    check(
      name,
      3,
      minAll >= 100 ? "target" : minAll > 95 ? "acceptable" : "poor",
      `${fixed(minAll, 2)}% (lowest of ${tests.length} tests)`,
    ),
  ];
}

function memoryChecks(suite: SuiteResult, run: RunResult): GuideCheck[] {
  const name = suite.suite;
  const ran = guideTests(suite);
  const tests = ran.filter((t) => memoryGrowth(t) !== null);
  if (tests.length === 0) {
    return noneComparable(
      name,
      ran.length ? "no memory readings (no memory source)" : whyNot(suite, run),
    );
  }
  const leaks = tests.filter(isLeak);
  const worst = Math.max(...tests.map((t) => memoryGrowth(t)!.mb));
  const worstKb = Math.max(...tests.map((t) => {
    const n = t.extra.completed_requests ?? t.metrics.total_requests;
    return n > 0 ? (memoryGrowth(t)!.mb * 1024) / n : 0;
  }));
  const largest = `(largest of ${tests.length} tests)`;
  return [
    check(
      name,
      0,
      leaks.length ? "misses" : "meets",
      leaks.length
        ? `leak: ${leaks.map((t) => t.name).join(", ")}`
        : `no leak in ${tests.length} tests`,
    ),
    check(name, 1, worst < 10 ? "meets" : "misses", `${fixed(worst, 2)} MB ${largest}`),
    check(name, 2, worstKb < 10 ? "meets" : "misses", `${fixed(worstKb, 2)} KB ${largest}`),
    check(
      name,
      3,
      worst <= 0 ? "target" : worst < 10 ? "acceptable" : "poor",
      `${fixed(worst, 2)} MB ${largest}`,
    ),
  ];
}

/** Every promise of the guide about the suites this run ran, in suite order. */
export function guideChecks(run: RunResult): GuideCheck[] {
  const out: GuideCheck[] = [];
  for (const s of run.suites) {
    if (s.skipped !== null) continue;
    if (s.suite === "throughput") out.push(...throughputChecks(s, run));
    else if (s.suite === "kv-cache") out.push(...kvChecks(s, run));
    else if (s.suite === "concurrent") out.push(...concurrentChecks(s, run));
    else if (s.suite === "memory") out.push(...memoryChecks(s, run));
  }
  return out;
}

const VERDICT: Record<GuideVerdict, Text> = {
  meets: "meets",
  exceeds: "better than expected",
  misses: { strong: "misses" },
  target: "target",
  acceptable: "acceptable",
  poor: { strong: "poor" },
  "not comparable": { em: "not comparable" },
};

/** A row of the summary's table. */
type Row = Omit<GuideCheck, "source"> & { source: string };

/** The checks, a suite none of whose promises is comparable (for one reason) as one row. */
function collapsed(checks: readonly GuideCheck[]): Row[] {
  const out: Row[] = [];
  for (const suite of new Set(checks.map((c) => c.suite))) {
    const mine = checks.filter((c) => c.suite === suite);
    const notes = new Set(mine.map((c) => c.note));
    if (mine.length > 1 && mine.every((c) => c.verdict === "not comparable") && notes.size === 1) {
      out.push({
        ...mine[0],
        source: "both",
        expectation: `all ${mine.length}: ${GUIDE[suite].map((g) => g[2]).join(", ")}`,
      });
    } else out.push(...mine);
  }
  return out;
}

/** The summary's section: every promise of the guide against this run. */
export function guideBlocks(run: RunResult): Block[] {
  const checks = guideChecks(run);
  if (checks.length === 0) return [];
  return [
    heading(2, "Against the Guide's Expectations"),
    para(
      'The original guide\'s "Expected Results" and "Performance Targets", held against the ' +
        "tests the guide describes, run as it ran them; where this run did not, the row says " +
        '"not comparable" and why. The guide\'s figures describe FakeAI at its default ' +
        "settings: against another server they are a yardstick, not a prediction.",
    ),
    table(
      ["Suite", "Guide", "Expectation", "Measured", "Verdict", "Note"],
      collapsed(checks).map((c) => [
        c.suite,
        c.source,
        c.expectation,
        c.measured ?? "—",
        VERDICT[c.verdict],
        c.note ?? "",
      ]),
    ),
  ];
}

/** Recommendation lines for the promises this run missed (misses and poor marks). */
export function guideRecommendations(run: RunResult): string[] {
  return guideChecks(run).filter((c) => c.verdict === "misses" || c.verdict === "poor").map((c) =>
    `- ⚠️ ${c.suite} ${
      c.verdict === "poor" ? "is poor against the guide's target" : "misses the guide's expectation"
    } "${c.expectation}": ${mdCell(c.note ?? c.measured ?? "")}.`
  );
}
