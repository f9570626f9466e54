/**
 * Repeats and confidence (`--repeat N`): each headline metric of the catalogue computed for
 * every repeat separately (suite by suite, the suite as repeat k ran it), then its mean, 95%
 * interval (Student's t), CV, and whether it is unstable (CV above `--max-cv`). `compare` and
 * `trend` use these intervals; the reports show them (`report/repeat.ts`).
 *
 * @module
 */

import type { SuiteResult, TestResult } from "../measure/result.ts";
import { type RepeatStat, repeatStat } from "../capacity/confidence.ts";
import { DEFAULT_MAX_CV_PCT } from "../capacity/repeat.ts";
import { type Better, type Catalogue, testMetricValues } from "./catalogue.ts";
import { fixed } from "../util/format.ts";

/** One metric over the repeats. */
export interface RepeatMetric extends RepeatStat {
  /** Metric name (qualified `suite.metric` at suite level, bare per test). */
  name: string;
  /** Its unit. */
  unit: string;
  /** Which way is better. */
  better: Better;
  /** True when its CV is above the threshold. */
  unstable: boolean;
}

/** The repeat statistics of a suite or a test. */
export interface RepeatSummary {
  /** Repeats the statistics cover. */
  repeats: number;
  /** CV (%) above which a metric is unstable. */
  max_cv_pct: number;
  /** Every metric measured in at least one repeat, catalogue order. */
  metrics: RepeatMetric[];
}

/** The threshold a suite's repeated tests carry (the default when none do). */
function maxCvOf(tests: readonly TestResult[]): number {
  return tests.find((t) => t.repeat)?.repeat?.max_cv_pct ?? DEFAULT_MAX_CV_PCT;
}

/**
 * The suite as each repeat ran it: suite k holds repeat k of every repeated test (and every
 * test that ran once as it is). Null when no test of the suite was repeated. With repeats cut
 * short by an interrupt, as many suites as every repeated test has runs.
 */
export function repeatSuites(suite: SuiteResult): SuiteResult[] | null {
  const repeated = suite.tests.filter((t) => (t.repeat?.runs.length ?? 0) > 0);
  if (repeated.length === 0) return null;
  const n = Math.min(...repeated.map((t) => t.repeat!.runs.length));
  return [...Array(n).keys()].map((k) => ({
    ...suite,
    tests: suite.tests.map((t) => t.repeat?.runs[k] ?? t),
  }));
}

/**
 * The statistics of metric values gathered repeat by repeat: `perRepeat` gives, for each
 * repeat, its metrics (name, unit, direction, value or null).
 */
function summarise(
  perRepeat: readonly { name: string; unit: string; better: Better; value: number | null }[][],
  maxCv: number,
): RepeatSummary {
  const values = new Map<string, { better: Better; unit: string; values: number[] }>();
  for (const metrics of perRepeat) {
    for (const { name, unit, better, value } of metrics) {
      const v = values.get(name) ?? { better, unit, values: [] };
      if (value !== null) v.values.push(value);
      values.set(name, v);
    }
  }
  const metrics: RepeatMetric[] = [];
  for (const [name, v] of values) {
    const s = repeatStat(v.values);
    if (!s) continue;
    metrics.push({
      name,
      unit: v.unit,
      better: v.better,
      ...s,
      unstable: s.n > 1 && s.cv_pct !== null && s.cv_pct > maxCv,
    });
  }
  return { repeats: perRepeat.length, max_cv_pct: maxCv, metrics };
}

/** Mean, interval and CV of every catalogue metric of a suite over its repeats, or null. */
export function suiteRepeatSummary(
  suite: SuiteResult,
  catalogue: Catalogue,
): RepeatSummary | null {
  const per = repeatSuites(suite);
  if (!per) return null;
  return summarise(
    per.map((s) =>
      [...catalogue.runValues([s])].map(([name, { ref, value }]) => ({
        name,
        unit: ref.def.unit,
        better: ref.def.better,
        value,
      }))
    ),
    maxCvOf(suite.tests),
  );
}

/** Mean, interval and CV of a test's common metrics over its repeats, or null. */
export function testRepeatSummary(t: TestResult): RepeatSummary | null {
  const runs = t.repeat?.runs;
  if (!runs || runs.length === 0) return null;
  return summarise(
    runs.map((r) =>
      testMetricValues(r).map(({ def, value }) => ({
        name: def.name,
        unit: def.unit,
        better: def.better,
        value,
      }))
    ),
    t.repeat!.max_cv_pct,
  );
}

/** Every suite-level metric's repeat statistics of a run, by qualified name. */
export function runRepeatStats(
  suites: readonly SuiteResult[],
  catalogue: Catalogue,
): Map<string, RepeatMetric> {
  const out = new Map<string, RepeatMetric>();
  for (const s of suites) {
    if (s.skipped !== null) continue;
    for (const m of suiteRepeatSummary(s, catalogue)?.metrics ?? []) out.set(m.name, m);
  }
  return out;
}

/** The unstable metrics of a run, as `suite.metric (CV 14.2%)` (for the summary). */
export function unstableMetrics(
  suites: readonly SuiteResult[],
  catalogue: Catalogue,
): string[] {
  return [...runRepeatStats(suites, catalogue).values()].filter((m) => m.unstable)
    .map((m) => `${m.name} (CV ${fixed(m.cv_pct ?? 0, 1)}%)`);
}
