/**
 * A run's analysis, computed once after its tests and read by every report: each suite's
 * catalogue metrics, its headline tiles with their marks, its repeat statistics, its sweeps,
 * and the guide's verdicts. Reports render this; they compute no statistic of their own.
 *
 * @module
 */

import type { RunResult, SuiteResult, TestExtra, TestResult } from "../measure/result.ts";
import { type Catalogue, type MetricDef, suiteKey } from "./catalogue.ts";
import { type Band, type Mark, markOf, type Rating, suiteMark } from "./bands.ts";
import { type GuideCheck, guideChecks, type GuideSection } from "./guide.ts";
import {
  type RepeatSummary,
  suiteRepeatSummary,
  testRepeatSummary,
  unstableMetrics,
} from "./repeat.ts";
import { sweepsOf, type SweepView } from "./sweep.ts";

/** What the analysis needs of a suite: its own catalogue metrics, its bands, its guide. */
export interface SuiteAnalyst<E extends TestExtra = TestExtra> {
  /** Suite name. */
  name: string;
  /** Its own catalogue metrics (the common ones come by themselves). */
  metrics: readonly MetricDef<E>[];
  /** Its bands (marks on headline numbers). */
  bands: readonly Band<E>[];
  /** The guide's promises about it and its answers. */
  guide: GuideSection<E>;
}

/** One headline number: a catalogue metric's value and, when a band rates it, its mark. */
export interface Tile {
  /** The metric. */
  def: MetricDef;
  /** Its qualified name. */
  qualified: string;
  /** Its value over the suite. */
  value: number;
  /** The band that rates it, or null. */
  band: Band | null;
  /** What the band rated (a value, or why not), or null when it rates the suite's value. */
  rating: Rating | null;
  /** The value the band rated. */
  ratedValue: number | null;
  /** The mark, or null (no band, or not rated). */
  mark: Mark | null;
}

/** One suite's analysis. */
export interface SuiteAnalysis {
  /** Suite name. */
  suite: string;
  /** Headline tiles, banded metrics first, then the rest in catalogue order. */
  tiles: Tile[];
  /** The suite's mark: the worst of its tiles' (never "good" with failed requests). */
  mark: Mark | null;
  /** Its catalogue metrics over its repeats, or null when no test was repeated. */
  repeat: RepeatSummary | null;
  /** Each repeated test's common metrics over its repeats. */
  testRepeats: ReadonlyMap<TestResult, RepeatSummary>;
  /** Its sweeps. */
  sweeps: SweepView[];
}

/** A run's analysis. */
export interface RunAnalysis {
  /** Each suite that ran, by name. */
  suites: ReadonlyMap<string, SuiteAnalysis>;
  /** The guide's promises held against the run. */
  guide: GuideCheck[];
  /** Metrics unstable over the repeats, as `suite.metric (CV 14.2%)`. */
  unstable: string[];
}

/** The repeat statistics of a test, when it was repeated (null otherwise). */
export function testRepeatOf(
  a: SuiteAnalysis | undefined,
  t: TestResult,
): RepeatSummary | null {
  return a?.testRepeats.get(t) ?? null;
}

/** Headline tiles of one suite, and the suite's mark. */
export function headlineTiles(
  suite: SuiteResult,
  catalogue: Catalogue,
  bands: readonly Band[],
): { tiles: Tile[]; mark: Mark | null } {
  const key = suiteKey(suite.suite);
  const band = (def: MetricDef) => bands.find((b) => b.metric === `${key}.${def.name}`) ?? null;
  const values = catalogue.suiteMetrics(suite.suite)
    .map((def) => ({ def, value: def.value(suite) }))
    .filter((m): m is { def: MetricDef; value: number } =>
      m.value !== null && Number.isFinite(m.value)
    );
  values.sort((a, b) => Number(!band(a.def)) - Number(!band(b.def)));
  const tiles = values.map(({ def, value }): Tile => {
    const b = band(def);
    const rating = b?.rate?.(suite) ?? null;
    const ratedValue = rating ? rating.value : value;
    const mark = b && !rating?.notRated ? markOf(b, ratedValue) : null;
    return { def, qualified: `${key}.${def.name}`, value, band: b, rating, ratedValue, mark };
  });
  return { tiles, mark: suiteMark(suite, tiles.map((t) => t.mark)) };
}

/** Analyse one suite's results. */
export function analyzeSuite(
  suite: SuiteResult,
  catalogue: Catalogue,
  analyst: SuiteAnalyst | undefined,
): SuiteAnalysis {
  const { tiles, mark } = headlineTiles(suite, catalogue, analyst?.bands ?? []);
  const testRepeats = new Map<TestResult, RepeatSummary>();
  for (const t of suite.tests) {
    const r = testRepeatSummary(t);
    if (r) testRepeats.set(t, r);
  }
  return {
    suite: suite.suite,
    tiles,
    mark,
    repeat: suiteRepeatSummary(suite, catalogue),
    testRepeats,
    sweeps: sweepsOf(suite),
  };
}

/** Analyse a run: every suite that ran, the guide, the unstable metrics. */
export function analyzeRun(
  run: RunResult,
  catalogue: Catalogue,
  analystOf: (suite: string) => SuiteAnalyst | undefined,
): RunAnalysis {
  const suites = new Map<string, SuiteAnalysis>();
  for (const s of run.suites) {
    if (s.skipped !== null) continue;
    suites.set(s.suite, analyzeSuite(s, catalogue, analystOf(s.suite)));
  }
  return {
    suites,
    guide: guideChecks(run, (name) => analystOf(name)?.guide),
    unstable: unstableMetrics(run.suites, catalogue),
  };
}
