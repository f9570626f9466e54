/**
 * Comparison of two runs: diff every catalogue metric, decide which changes are regressions
 * under the thresholds (and, with repeats, against their noise). `report/compare.ts` writes it
 * as `comparison.md`.
 *
 * @module
 */

import { UsageError } from "../util/errors.ts";
import type { RunResult, SuiteName } from "../measure/result.ts";
import { type RepeatStat, welch } from "../capacity/confidence.ts";
import { runRepeatStats } from "./repeat.ts";
import { type Interval, timingFloorMs } from "./noise.ts";
import {
  type Catalogue,
  closeMatches,
  formatMetric,
  type MetricDef,
  type MetricRef,
  testMetricValues,
  type Threshold,
} from "./catalogue.ts";

/** A run read from disk, with where it came from. */
export interface LoadedRun {
  /** The folder. */
  dir: string;
  /** Which files it was read from. */
  source: "run.json" | "suite JSON";
  /** The run (fields other than suites may be placeholders when read from suite JSON). */
  run: RunResult;
  /** `schema_version` found, if any. */
  schemaVersion: string | null;
}

/** Threshold overrides: by qualified name (`throughput.rps`) or bare name (`rps`). */
export type ThresholdOverrides = Map<string, number>;

/**
 * Parse `--threshold metric=percent` values. The metric is `suite.metric` or a bare metric
 * name (every suite). Unknown names are a {@linkcode UsageError} naming close matches.
 */
export function parseThresholds(
  raw: readonly string[],
  catalogue: Catalogue,
): ThresholdOverrides {
  const out: ThresholdOverrides = new Map();
  const qualified = catalogue.allMetricNames();
  const bare = catalogue.bareNames();
  for (const r of raw) {
    const m = r.match(/^\s*([A-Za-z0-9_.-]+)\s*=\s*([0-9.]+)\s*%?\s*$/);
    if (!m || !Number.isFinite(Number(m[2]))) {
      throw new UsageError(`--threshold '${r}' is not METRIC=PERCENT, e.g. ttft_p99_ms=15`);
    }
    let name = m[1];
    if (name.includes(".")) {
      const [s, metric] = [name.slice(0, name.indexOf(".")), name.slice(name.indexOf(".") + 1)];
      name = `${s.toLowerCase().replace(/-/g, "_")}.${metric}`;
    }
    if (!qualified.includes(name) && !bare.includes(name)) {
      throw new UsageError(
        `--threshold: unknown metric '${m[1]}'; did you mean ${
          closeMatches(m[1], [...bare, ...qualified]).join(", ")
        }? (all names: 'fakeai-bench help metrics')`,
      );
    }
    out.set(name, Number(m[2]));
  }
  return out;
}

/** Verdict of one metric's change. */
export type Verdict = "better" | "worse" | "same" | "n/a";

/** One compared metric. */
export interface MetricDiff {
  /** Qualified name. */
  name: string;
  /** Catalogue entry. */
  def: MetricDef;
  /** Base value. */
  base: number | null;
  /** New value. */
  next: number | null;
  /** Better, worse, same, or n/a when one side is missing. */
  verdict: Verdict;
  /** Change as shown (`+12.3% (+4.56 ms)`, `+1.20 pts`). */
  change: string;
  /** Threshold used, as shown. */
  thresholdText: string;
  /** True when worse beyond the threshold (and, with intervals, beyond the noise). */
  regression: boolean;
  /**
   * Welch's test of the two runs' repeats, when both have at least two (`--repeat`): the
   * two-sided p-value and whether the difference is significant at 95%. Null otherwise.
   */
  noise: { p: number; significant: boolean } | null;
  /** True when the change was worse beyond the threshold but within the noise. */
  withinNoise: boolean;
  /**
   * What one run's precision says (without `--repeat`): both runs' 95% intervals, the client's
   * timing floor (ms, for timed metrics), and the change the two together needed. Null when
   * the metric has no interval.
   */
  single: { base: Interval | null; next: Interval | null; floor: number; needed: number } | null;
}

function thresholdFor(ref: MetricRef, overrides: ThresholdOverrides): Threshold {
  const v = overrides.get(ref.qualified) ?? overrides.get(ref.def.name);
  return v === undefined ? ref.def.threshold : { ...ref.def.threshold, value: v };
}

/** Change in percentage points for share-like metrics (fractions ×100, % as is). */
function points(def: MetricDef, delta: number): number {
  return def.unit === "fraction" ? delta * 100 : delta;
}

/** Compare one metric. */
export function diffMetric(
  ref: MetricRef,
  base: number | null,
  next: number | null,
  th: Threshold,
): MetricDiff {
  const def = ref.def;
  const thresholdText = th.kind === "points"
    ? `${def.better === "lower" ? "+" : "−"}${th.value} pts`
    : `${def.better === "lower" ? "+" : "−"}${th.value}%`;
  if (base === null || next === null) {
    return {
      name: ref.qualified,
      def,
      base,
      next,
      verdict: "n/a",
      change: base === null && next === null ? "—" : base === null ? "new" : "not measured",
      thresholdText,
      regression: false,
      noise: null,
      withinNoise: false,
      single: null,
    };
  }
  const delta = next - base;
  const worse = def.better === "lower" ? delta > 0 : delta < 0;
  const verdict: Verdict = delta === 0 ? "same" : worse ? "worse" : "better";
  let change: string, beyond: boolean;
  const sign = (x: number) => (x >= 0 ? "+" : "−");
  if (th.kind === "points") {
    const p = points(def, delta);
    change = `${sign(p)}${Math.abs(p).toFixed(2)} pts`;
    beyond = Math.abs(p) > th.value;
  } else {
    const pct = base !== 0 ? (delta / Math.abs(base)) * 100 : delta === 0 ? 0 : Infinity;
    const abs = formatMetric(def, Math.abs(delta));
    change = Number.isFinite(pct)
      ? `${sign(pct)}${Math.abs(pct).toFixed(1)}% (${sign(delta)}${abs})`
      : `${sign(delta)}${abs}`;
    beyond = Math.abs(pct) > th.value;
  }
  const regression = worse && beyond && Math.abs(delta) > th.floor;
  return {
    name: ref.qualified,
    def,
    base,
    next,
    verdict,
    change,
    thresholdText,
    regression,
    noise: null,
    withinNoise: false,
    single: null,
  };
}

/**
 * Weigh a diff against the repeats of both runs: a regression whose difference Welch's test
 * does not find significant at 95% is within noise, and no regression.
 */
export function withIntervals(d: MetricDiff, a: RepeatStat, b: RepeatStat): MetricDiff {
  const w = welch(a, b);
  if (!w) return d;
  const noise = { p: w.p, significant: w.significant };
  const withinNoise = d.regression && !w.significant;
  return { ...d, noise, withinNoise, regression: d.regression && w.significant };
}

/**
 * Weigh a diff against what each run's own samples say (no repeats): the change must exceed
 * the two runs' 95% intervals on the side it moved to (combined in quadrature) and, for a time
 * the client measured, the client's timing floor; else it is within noise.
 */
export function withSingleRunNoise(
  d: MetricDiff,
  base: Interval | null,
  next: Interval | null,
  floor: number,
): MetricDiff {
  if (d.base === null || d.next === null || (!base && !next && floor === 0)) return d;
  const up = d.next > d.base;
  // The base could lie as far as its interval reaches toward the new value, and the new value
  // as far back toward the base.
  const hb = base ? (up ? base.hi - d.base : d.base - base.lo) : 0;
  const hn = next ? (up ? d.next - next.lo : next.hi - d.next) : 0;
  const needed = Math.max(Math.hypot(Math.max(0, hb), Math.max(0, hn)), floor);
  const single = { base, next, floor, needed };
  const significant = Math.abs(d.next - d.base) > needed;
  return {
    ...d,
    single,
    withinNoise: d.regression && !significant,
    regression: d.regression && significant,
  };
}

/** The comparison of two runs. */
export interface Comparison {
  /** Base run. */
  base: LoadedRun;
  /** New run. */
  next: LoadedRun;
  /** Suite-level metric diffs, catalogue order. */
  metrics: MetricDiff[];
  /** The regressions among them. */
  regressions: MetricDiff[];
  /** Worse beyond the threshold but within the repeats' noise (not regressions). */
  withinNoise: MetricDiff[];
  /** Per-test diffs (informational). */
  tests: { suite: SuiteName; test: string; diff: MetricDiff }[];
  /** Reasons the runs may not be comparable. */
  warnings: string[];
}

/**
 * Compare two loaded runs. When both ran their tests repeatedly (`--repeat`), each suite-level
 * change is also weighed against the repeats' noise (Welch's test), unless `intervals` is
 * false.
 */
export function compareRuns(
  base: LoadedRun,
  next: LoadedRun,
  catalogue: Catalogue,
  overrides: ThresholdOverrides = new Map(),
  intervals = true,
): Comparison {
  const a = catalogue.runValues(base.run.suites, intervals);
  const b = catalogue.runValues(next.run.suites, intervals);
  const floor = (p: number) =>
    Math.max(timingFloorMs(base.run.suites, p), timingFloorMs(next.run.suites, p));
  const repA = intervals ? runRepeatStats(base.run.suites, catalogue) : new Map();
  const repB = intervals ? runRepeatStats(next.run.suites, catalogue) : new Map();
  const names = [...new Set([...a.keys(), ...b.keys()])];
  const metrics: MetricDiff[] = [];
  for (const name of names) {
    const ref = (a.get(name) ?? b.get(name))!.ref;
    const va = a.get(name)?.value ?? null, vb = b.get(name)?.value ?? null;
    if (va === null && vb === null) continue;
    const d = diffMetric(ref, va, vb, thresholdFor(ref, overrides));
    const sa = repA.get(name), sb = repB.get(name);
    // With repeats, the spread between them is the noise (Welch); without, each run's own
    // samples and the client's timing floor.
    metrics.push(
      sa && sb ? withIntervals(d, sa, sb) : intervals
        ? withSingleRunNoise(
          d,
          a.get(name)?.interval ?? null,
          b.get(name)?.interval ?? null,
          ref.def.timed !== undefined ? floor(ref.def.timed) : 0,
        )
        : d,
    );
  }
  // A metric about the measurement itself never makes a regression: it makes a warning.
  const warnings: string[] = [];
  for (const m of metrics) {
    if (m.def.gated !== false || m.verdict !== "worse") continue;
    m.regression = false;
    m.withinNoise = false;
    warnings.push(
      `${m.name}: ${formatMetric(m.def, m.base)} → ${formatMetric(m.def, m.next)}; the new ` +
        "run's latencies include the client's own delay in those tests (not a regression of " +
        "the server)",
    );
  }
  const tests: Comparison["tests"] = [];
  for (const sb of next.run.suites) {
    const sa = base.run.suites.find((s) => s.suite === sb.suite);
    if (!sa) continue;
    for (const tb of sb.tests) {
      const ta = sa.tests.find((t) => t.name === tb.name);
      if (!ta) continue;
      const va = testMetricValues(ta), vb = testMetricValues(tb);
      for (let i = 0; i < va.length; i++) {
        if (va[i].value === null && vb[i].value === null) continue;
        const def = va[i].def;
        const ref: MetricRef = { suite: sb.suite, def, qualified: def.name };
        tests.push({
          suite: sb.suite,
          test: tb.name,
          diff: diffMetric(ref, va[i].value, vb[i].value, thresholdFor(ref, overrides)),
        });
      }
    }
  }
  const ra = base.run, rb = next.run;
  if (base.source === "run.json" && next.source === "run.json") {
    if (ra.mode !== rb.mode) warnings.push(`modes differ: ${ra.mode} vs ${rb.mode}`);
    if (ra.server.base_url !== rb.server.base_url && !(ra.server.embedded && rb.server.embedded)) {
      warnings.push(`targets differ: ${ra.server.base_url} vs ${rb.server.base_url}`);
    }
    if (ra.host.hostname !== rb.host.hostname) {
      warnings.push(`hosts differ: ${ra.host.hostname} vs ${rb.host.hostname}`);
    }
    if (ra.interrupted || rb.interrupted) warnings.push("a run was interrupted");
  }
  for (const s of rb.suites) {
    if (!ra.suites.some((x) => x.suite === s.suite)) {
      warnings.push(`suite ${s.suite} is only in the new run`);
    }
  }
  for (const s of ra.suites) {
    if (!rb.suites.some((x) => x.suite === s.suite)) {
      warnings.push(`suite ${s.suite} is only in the base run`);
    }
  }
  return {
    base,
    next,
    metrics,
    regressions: metrics.filter((m) => m.regression),
    withinNoise: metrics.filter((m) => m.withinNoise),
    tests,
    warnings,
  };
}

/**
 * What a diff was judged against, in words: the repeats' Welch test, or both runs' intervals
 * and the timing floor, and the change that would have counted. "—" when nothing but the
 * threshold applied.
 */
export function noiseText(m: MetricDiff): string {
  if (m.noise) return `repeats: Welch p = ${m.noise.p.toFixed(3)}`;
  const s = m.single;
  if (!s) return "—";
  const f = (i: Interval | null) =>
    i ? `[${formatMetric(m.def, i.lo)}, ${formatMetric(m.def, i.hi)}]` : "none";
  const parts = [`95% base ${f(s.base)}, new ${f(s.next)}`];
  if (s.floor > 0) parts.push(`client timing floor ${s.floor.toFixed(2)} ms`);
  parts.push(`a change above ${formatMetric(m.def, s.needed)} would count`);
  return parts.join("; ");
}
