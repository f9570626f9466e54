/**
 * What the memory suite's results mean: growth and leak verdicts as catalogue metrics, its
 * bands, and its answers to the guide's promises.
 *
 * @module
 */

import type { RunResult, SuiteResult, TestResult } from "../../measure/result.ts";
import type { MemorySnapshot } from "../../probes/memory.ts";
import { maxExtra, maxOf, type MetricDef } from "../../analysis/catalogue.ts";
import { type Band, notRated, type Rating } from "../../analysis/bands.ts";
import {
  builtInTests,
  type GuideCheck,
  type GuideJudge,
  type GuideSection,
  whyNot,
} from "../../analysis/guide.ts";
import { fixed } from "../../util/format.ts";
import type { MemoryExtra, MemoryFields } from "./result.ts";
import { FULL_TESTS } from "./tests.ts";

type MemSuite = SuiteResult<MemoryExtra>;
type MemTest = TestResult<MemoryExtra>;

/** True when a test's `extra` carries the memory fields (it sampled memory). */
export function hasMemoryFields<E extends MemoryExtra>(e: E): e is E & MemoryFields {
  return e.memory_source !== undefined && e.snapshots !== undefined && e.verdict !== undefined;
}

/** The snapshots of a memory test (empty when it has none). */
export function snapshotsOf(t: MemTest): readonly MemorySnapshot[] {
  return t.extra.snapshots ?? [];
}

/** Growth of a memory test: mean after (drain) minus mean before (baseline), MB, and per minute. */
export function memoryGrowth(t: MemTest): { mb: number; perMin: number } | null {
  const snaps = snapshotsOf(t);
  if (snaps.length < 2) return null;
  const mean = (xs: MemorySnapshot[]) => xs.reduce((s, x) => s + x.value_mb, 0) / xs.length;
  const base = snaps.filter((s) => s.phase === "baseline");
  const drain = snaps.filter((s) => s.phase === "drain");
  const load = snaps.filter((s) => s.phase === "load");
  const before = base.length ? mean(base) : snaps[0].value_mb;
  const after = drain.length ? mean(drain) : snaps[snaps.length - 1].value_mb;
  const span = load.length >= 2
    ? load[load.length - 1].t_s - load[0].t_s
    : snaps[snaps.length - 1].t_s - snaps[0].t_s;
  const mb = after - before;
  return { mb, perMin: span > 0 ? mb / (span / 60) : 0 };
}

/** True when a memory test's verdict says it leaks. */
export function isLeak(t: MemTest): boolean {
  const v = t.extra.verdict;
  if (typeof v === "string") return /^\s*leak/i.test(v);
  return t.extra.leak_detected === true;
}

/** The suite's judgement over its tests. */
export interface SuiteLeakVerdict {
  /** True when the suite finds a leak. */
  leak: boolean;
  /** Tests whose own verdict is a leak. */
  leaking: MemTest[];
  /** The evidence, in one sentence. */
  why: string;
}

/**
 * The suite's verdict: a leak when the test that served the most requests (the longest, most
 * telling one) finds a leak and at least half of the tests with a verdict agree. One short
 * test's growth that the others do not confirm is reported as such, not as a leak.
 */
export function suiteLeak(tests: readonly MemTest[]): SuiteLeakVerdict {
  const judged = tests.filter((t) => t.extra.verdict === "leak" || t.extra.verdict === "no leak");
  const leaking = tests.filter(isLeak);
  if (leaking.length === 0) {
    return { leak: false, leaking, why: `no test found a leak (${judged.length} judged)` };
  }
  const longest =
    [...judged].sort((a, b) =>
      (b.extra.completed_requests ?? b.metrics.total_requests) -
      (a.extra.completed_requests ?? a.metrics.total_requests)
    )[0];
  const agree = leaking.length * 2 >= judged.length;
  const leak = !!longest && isLeak(longest) && agree;
  const names = leaking.map((t) => t.name).join(", ");
  return {
    leak,
    leaking,
    why: leak
      ? `${leaking.length} of ${judged.length} tests found a leak (${names}), the longest among them`
      : `${names} grew, but ${
        longest && !isLeak(longest)
          ? `the longest test (${longest.name}) found no leak`
          : "most tests found none"
      }: not confirmed`,
  };
}

/** The suite's own catalogue metrics. */
export const MEMORY_METRICS: readonly MetricDef<MemoryExtra>[] = [
  {
    name: "slope_kb_per_request",
    unit: "kB/request",
    better: "lower",
    description: "fitted memory growth per request (largest over tests)",
    threshold: { kind: "relative", value: 25, floor: 1 },
    value: (s) => maxExtra(s.tests, "slope_kb_per_request"),
  },
  {
    name: "growth_mb",
    unit: "MB",
    better: "lower",
    description: "memory after the idle drain minus the idle baseline (largest over tests)",
    threshold: { kind: "relative", value: 25, floor: 2 },
    value: (s) => maxOf(s.tests.map((t) => memoryGrowth(t)?.mb ?? null)),
  },
  {
    name: "growth_mb_per_min",
    unit: "MB/min",
    better: "lower",
    description: "growth_mb per minute of load (largest over tests)",
    threshold: { kind: "relative", value: 25, floor: 0.5 },
    value: (s) => maxOf(s.tests.map((t) => memoryGrowth(t)?.perMin ?? null)),
  },
  {
    name: "leaks",
    unit: "tests",
    better: "lower",
    description: "tests whose verdict is a leak",
    threshold: { kind: "relative", value: 0, floor: 0.5 },
    value: (s) => (s.tests.length ? s.tests.filter(isLeak).length : null),
  },
];

/** Memory growth per minute is about leaks: not rated when every test found none. */
function rateGrowthRate(suite: MemSuite): Rating | null {
  const verdicts = suite.tests.map((t) => t.extra.verdict);
  if (verdicts.length > 0 && verdicts.every((v) => v === "no leak")) {
    return notRated("every test found no leak: the growth is memory held, not leaked");
  }
  return null;
}

/** The suite's bands. */
export const MEMORY_BANDS: readonly Band<MemoryExtra>[] = [
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

function memoryChecks(suite: MemSuite, run: RunResult, j: GuideJudge): GuideCheck[] {
  const ran = builtInTests(suite).filter((t) =>
    FULL_TESTS.some((g) => g.name === t.name && t.load.kind === "open" && t.load.rate === g.rate)
  );
  const tests = ran.filter((t) => memoryGrowth(t) !== null);
  if (tests.length === 0) {
    return j.none(ran.length ? "no memory readings (no memory source)" : whyNot(suite, run));
  }
  const verdict = suiteLeak(tests);
  const worst = Math.max(...tests.map((t) => memoryGrowth(t)!.mb));
  const worstKb = Math.max(...tests.map((t) => {
    const n = t.extra.completed_requests ?? t.metrics.total_requests;
    return n > 0 ? (memoryGrowth(t)!.mb * 1024) / n : 0;
  }));
  const largest = `(largest of ${tests.length} tests)`;
  return [
    j.check(
      0,
      verdict.leak ? "misses" : "meets",
      verdict.leak
        ? `leak: ${verdict.why}`
        : verdict.leaking.length
        ? verdict.why
        : `no leak in ${tests.length} tests`,
    ),
    j.check(1, worst < 10 ? "meets" : "misses", `${fixed(worst, 2)} MB ${largest}`),
    j.check(2, worstKb < 10 ? "meets" : "misses", `${fixed(worstKb, 2)} KB ${largest}`),
    j.check(
      3,
      worst <= 0 ? "target" : worst < 10 ? "acceptable" : "poor",
      `${fixed(worst, 2)} MB ${largest}`,
    ),
  ];
}

/** The guide's promises about memory, and this suite's answers. */
export const MEMORY_GUIDE: GuideSection<MemoryExtra> = {
  promises: [
    ["Expected Results", "No leaks detected", "leaks"],
    ["Expected Results", "Growth < 10 MB for the test's duration", "growth"],
    ["Expected Results", "Per request < 10 KB", "per request"],
    [
      "Performance Targets",
      "Memory growth: 0 MB · acceptable < 10 MB · poor > 10 MB",
      "growth target",
    ],
  ],
  checks: memoryChecks,
};
