/**
 * Trends over many runs: one series per headline metric of the catalogue, in time order, and
 * change points against a rolling baseline (`report/trend.ts` writes them as `trend.md`,
 * `trend.json` and `trend.html`).
 *
 * A point is a change when it differs from the median of the previous `window` points by more
 * than three times their spread (median absolute deviation, scaled to a standard deviation)
 * and lies beyond every one of them by more than the metric's compare threshold and than the
 * window's range (so a window whose points happen to agree closely does not make ordinary
 * noise a change); it is a regression when the change is in the worse direction. A run made
 * with `--repeat` has a 95% interval per metric: its point is a change only when that interval
 * excludes the baseline too.
 *
 * @module
 */

import type { RunResult } from "../measure/result.ts";
import type { Catalogue, MetricDef } from "./catalogue.ts";
import { median } from "../measure/fit.ts";
import { runRepeatStats } from "./repeat.ts";

/** One run as a trend reads it. */
export interface TrendRun {
  /** Folder it was read from. */
  dir: string;
  /** The run. */
  run: RunResult;
}

/** One point of a metric's series. */
export interface TrendPoint {
  /** The run's folder. */
  dir: string;
  /** When it started (ISO 8601). */
  started_at: string;
  /** The metric's value (null: the run did not measure it). */
  value: number | null;
  /** Median of the previous points in the window, or null before there are enough. */
  baseline: number | null;
  /** `regression`, `improvement`, or null. */
  change: "regression" | "improvement" | null;
  /** The 95% interval of the value over the run's repeats (`--repeat`), or null. */
  interval: [number, number] | null;
}

/** One metric over the runs. */
export interface TrendSeries {
  /** Qualified name (`throughput.rps`). */
  metric: string;
  /** Unit. */
  unit: string;
  /** Which direction is better. */
  better: MetricDef["better"];
  /** Points in time order. */
  points: TrendPoint[];
}

/** A run left out of the trend, and why. */
export interface TrendExcluded {
  /** Its folder. */
  dir: string;
  /** Why. */
  reason: string;
}

/** The whole trend. */
export interface Trend {
  /** Runs used, in time order. */
  runs: { dir: string; started_at: string; run_id: string; mode: string }[];
  /** Runs left out. */
  excluded: TrendExcluded[];
  /** One series per metric the latest run has. */
  series: TrendSeries[];
  /** Points per rolling baseline. */
  window: number;
}

/** Smallest number of earlier points a baseline needs. */
export const MIN_BASELINE = 3;

/** The target a run measured: the embedded server is one target whatever its port. */
export function targetOf(run: RunResult): string {
  return run.server.embedded ? "the embedded server" : run.server.base_url;
}

/** Build the trend of runs (any order): same-target runs of the latest run's target. */
export function buildTrend(
  all: readonly TrendRun[],
  catalogue: Catalogue,
  window = 5,
  excluded: TrendExcluded[] = [],
): Trend {
  const sorted = [...all].sort((a, b) => a.run.started_at.localeCompare(b.run.started_at));
  const latest = sorted.at(-1);
  const target = latest ? targetOf(latest.run) : null;
  const used: TrendRun[] = [];
  for (const r of sorted) {
    if (targetOf(r.run) !== target) {
      excluded.push({ dir: r.dir, reason: `another target (${targetOf(r.run)}, not ${target})` });
    } else used.push(r);
  }
  const values = used.map((r) => catalogue.runValues(r.run.suites));
  const repeats = used.map((r) => runRepeatStats(r.run.suites, catalogue));
  const names = latest ? [...values.at(-1)!.keys()] : [];
  const series: TrendSeries[] = names.map((metric) => {
    const ref = values.at(-1)!.get(metric)!.ref;
    const def = ref.def;
    const points: TrendPoint[] = [];
    used.forEach((r, i) => {
      const value = values[i].get(metric)?.value ?? null;
      const rep = repeats[i].get(metric);
      const interval: [number, number] | null =
        rep && rep.ci95_low !== null && rep.ci95_high !== null
          ? [rep.ci95_low, rep.ci95_high]
          : null;
      const prev = points.slice(-window).map((p) => p.value).filter((v): v is number => v !== null);
      let baseline: number | null = null;
      let change: TrendPoint["change"] = null;
      if (prev.length >= MIN_BASELINE && value !== null) {
        baseline = median(prev);
        const spread = 1.4826 * median(prev.map((v) => Math.abs(v - baseline!)));
        const delta = value - baseline;
        const t = def.threshold;
        const limit = t.kind === "relative"
          ? Math.max((Math.abs(baseline) * t.value) / 100, t.floor)
          : Math.max(t.value, t.floor);
        // Beyond every earlier point of the window by more than the threshold and than the
        // window's own range: the noise a window of single runs shows.
        const lo = Math.min(...prev), hi = Math.max(...prev);
        const beyond = delta > 0 ? value - hi : lo - value;
        // With repeats, the run's own interval must exclude the baseline as well.
        const clear = interval === null || baseline < interval[0] || baseline > interval[1];
        if (Math.abs(delta) > 3 * spread && beyond > Math.max(limit, hi - lo) && clear) {
          const worse = def.better === "lower" ? delta > 0 : delta < 0;
          change = worse ? "regression" : "improvement";
        }
      }
      points.push({ dir: r.dir, started_at: r.run.started_at, value, baseline, change, interval });
    });
    return { metric, unit: def.unit, better: def.better, points };
  });
  return {
    runs: used.map((r) => ({
      dir: r.dir,
      started_at: r.run.started_at,
      run_id: r.run.run_id,
      mode: r.run.mode,
    })),
    excluded,
    series,
    window,
  };
}

/** Regressions at the latest run: the metrics whose last point is one. */
export function latestRegressions(t: Trend): TrendSeries[] {
  return t.series.filter((s) => s.points.at(-1)?.change === "regression");
}
