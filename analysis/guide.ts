/**
 * The original guide's promises, held against a run: each "Expected Results" line and each
 * "Performance Targets" row, compared with what the tests the guide describes measured, and
 * "not comparable" (with the reason) where this run did not run those tests as the guide did:
 * quick mode, a workload or scenario in their place, a server that reports no cache, no memory
 * readings. The guide's figures describe FakeAI at its default settings; against another server
 * they are a yardstick, not a prediction.
 *
 * Each suite states its own promises and answers them (`suites/<name>/analysis.ts`); this
 * module holds what they share.
 *
 * @module
 */

import type { RunResult, SuiteResult, TestExtra, TestResult } from "../measure/result.ts";
import { type Mark, markOf } from "./bands.ts";

/** How a measured figure stands against the guide. */
export type GuideVerdict =
  | "meets"
  | "exceeds"
  | "misses"
  | "target"
  | "acceptable"
  | "poor"
  | "not comparable";

/** The guide's section a promise comes from. */
export type GuideSource = "Expected Results" | "Performance Targets";

/** One promise: the section, its wording, and a short name. */
export type GuidePromise = readonly [GuideSource, string, string];

/** One promise of the guide and this run's answer. */
export interface GuideCheck {
  /** The suite it is about. */
  suite: string;
  /** The guide's section. */
  source: GuideSource;
  /** The promise, as the guide words it. */
  expectation: string;
  /** The promise's short name (`P99 target`). */
  short: string;
  /** What the guide's tests measured here (null when not comparable). */
  measured: string | null;
  /** The verdict. */
  verdict: GuideVerdict;
  /** Why it is not comparable, or which test decided the verdict. */
  note: string | null;
}

/** Answers the promises of one suite: `check(i, …)` answers promise `i`. */
export class GuideJudge {
  /** The suite. */
  readonly suite: string;
  /** Its promises, in the order they are answered. */
  readonly promises: readonly GuidePromise[];

  /** A judge of `suite`'s promises. */
  constructor(suite: string, promises: readonly GuidePromise[]) {
    this.suite = suite;
    this.promises = promises;
  }

  /** The check of promise `i`. */
  check(
    i: number,
    verdict: GuideVerdict,
    measured: string | null,
    note: string | null = null,
  ): GuideCheck {
    const [source, expectation, short] = this.promises[i];
    return { suite: this.suite, source, expectation, short, measured, verdict, note };
  }

  /** Every promise, not comparable for the same reason. */
  none(note: string): GuideCheck[] {
    return this.promises.map((_, i) => this.check(i, "not comparable", null, note));
  }
}

/** What a suite tells the guide: its promises, and how its results answer them. */
export interface GuideSection<E extends TestExtra = TestExtra> {
  /** The guide's promises about the suite, in the order `checks` answers them. */
  promises: readonly GuidePromise[];
  /** Every promise answered (`judge.none` when none can be). */
  checks(suite: SuiteResult<E>, run: RunResult, judge: GuideJudge): GuideCheck[];
}

/** The tests of a suite that came from the suite itself (not a scenario) and sent requests. */
export function builtInTests<E extends TestExtra>(suite: SuiteResult<E>): TestResult<E>[] {
  return suite.tests.filter((t) => t.extra.scenario === undefined && t.metrics.total_requests > 0);
}

/** True when `t` is one of `specs` (a closed loop of that name, requests and concurrency). */
export function closedAs(
  t: TestResult,
  specs: readonly { name: string; requests: number; concurrency: number }[],
): boolean {
  return specs.some((g) =>
    g.name === t.name && t.load.kind === "closed" && t.load.requests === g.requests &&
    t.load.concurrency === g.concurrency
  );
}

/** Why no test of the guide's shape ran in a suite. */
export function whyNot(suite: SuiteResult, run: RunResult): string {
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
export function targetLevel(
  value: number,
  better: "higher" | "lower",
  target: number,
  poor: number,
): GuideVerdict {
  return TARGET_LEVEL[markOf({ better, good: target, poor }, value) ?? "poor"];
}

/** Every promise of the guide about the suites this run ran, in suite order. */
export function guideChecks(
  run: RunResult,
  sectionOf: (suite: string) => GuideSection | undefined,
): GuideCheck[] {
  const out: GuideCheck[] = [];
  for (const s of run.suites) {
    if (s.skipped !== null) continue;
    const section = sectionOf(s.suite);
    if (section) out.push(...section.checks(s, run, new GuideJudge(s.suite, section.promises)));
  }
  return out;
}
