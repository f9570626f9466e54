/**
 * The sweeps of a suite's results: their points in level order, the knee, the Pareto frontier
 * and why each stopped (`capacity/sweep.ts` defines them; `report/sweep.ts` shows them).
 *
 * @module
 */

import { kneeOf, paretoFrontier, type SweepPoint, sweepPoint } from "../capacity/sweep.ts";
import type { SuiteResult, TestResult } from "../measure/result.ts";

export type { SweepPoint };

/** The sweeps of a suite: their tests in level order, with the analysis. */
export interface SweepView {
  /** The sweep's id. */
  id: string;
  /** What varies. */
  kind: "rate" | "concurrency";
  /** Its tests, ascending level. */
  tests: TestResult[];
  /** Their points. */
  points: SweepPoint[];
  /** Index of the knee, or null. */
  knee: number | null;
  /** Indices on the Pareto frontier. */
  frontier: number[];
  /** Why it stopped early, or null. */
  stoppedBecause: string | null;
}

/** The sweeps found among a suite's tests. */
export function sweepsOf(suite: SuiteResult): SweepView[] {
  const byId = new Map<string, TestResult[]>();
  for (const t of suite.tests) {
    const s = t.extra.sweep;
    if (s) byId.set(s.id, [...(byId.get(s.id) ?? []), t]);
  }
  return [...byId.entries()].map(([id, tests]) => {
    tests.sort((a, b) => a.extra.sweep!.level - b.extra.sweep!.level);
    const points = tests.map((t) => sweepPoint(t.extra.sweep!.level, t));
    return {
      id,
      kind: tests[0].extra.sweep!.kind,
      tests,
      points,
      knee: kneeOf(points),
      frontier: paretoFrontier(points),
      stoppedBecause: tests.find((t) => t.extra.saturated_because)?.extra.saturated_because ?? null,
    };
  });
}
