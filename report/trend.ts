/**
 * Trends over many runs: one series per headline metric of the catalogue, in time order, and
 * change points against a rolling baseline, written as `trend.md`, `trend.json` and
 * `trend.html` (inline SVG charts).
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

import type { RunResult } from "../suites/mod.ts";
import { type MetricDef, runMetricValues } from "./metrics.ts";
import { lineChart } from "./charts.ts";
import { esc } from "./svg.ts";
import { fixed, mdCell, mdTable } from "./format.ts";
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
  const values = used.map((r) => runMetricValues(r.run.suites));
  const repeats = used.map((r) => runRepeatStats(r.run.suites));
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

const num = (v: number | null) => (v === null ? "—" : fixed(v, v >= 100 ? 1 : 3));

/** `trend.md`. */
export function trendMarkdown(t: Trend): string {
  const out = [
    "# Performance Trend",
    "",
    `${t.runs.length} runs, ${t.runs[0]?.started_at ?? "—"} to ${
      t.runs.at(-1)?.started_at ?? "—"
    }; a change is a shift from the median of the previous ${t.window} runs larger than ` +
    "three times their spread, beyond all of them by more than the metric's compare threshold " +
    "and their range, and, for a run made with --repeat, outside its own 95% interval.",
    "",
  ];
  const reg = latestRegressions(t);
  out.push(
    reg.length
      ? `**Regressions at the latest run:** ${reg.map((s) => `\`${s.metric}\``).join(", ")}`
      : "**No regression at the latest run.**",
    "",
  );
  if (t.excluded.length) {
    out.push(
      "## Runs left out",
      "",
      ...t.excluded.map((e) => `- ${mdCell(e.dir)}: ${mdCell(e.reason)}`),
      "",
    );
  }
  for (const s of t.series) {
    if (s.points.every((p) => p.value === null)) continue;
    out.push(`## ${s.metric} (${s.unit}, ${s.better} is better)`, "");
    out.push(
      mdTable(
        ["Run", "Started", "Value", "95% interval", "Baseline", "Change"],
        s.points.map((p) => [
          mdCell(p.dir),
          p.started_at,
          num(p.value),
          p.interval ? `${num(p.interval[0])} – ${num(p.interval[1])}` : "—",
          num(p.baseline),
          p.change ?? "",
        ]),
      ),
      "",
    );
  }
  return out.join("\n");
}

/** `trend.html`: one chart per metric, every run linked. */
export function trendHtml(t: Trend): string {
  const charts = t.series.filter((s) => s.points.some((p) => p.value !== null)).map((s) => {
    const pts = s.points.map((p, i) => [i + 1, p.value] as const).filter((
      p,
    ): p is readonly [number, number] => p[1] !== null);
    const flagged = s.points.map((p, i) => [i + 1, p.value, p.change] as const)
      .filter((p) => p[2] === "regression" && p[1] !== null)
      .map((p) => [p[0], p[1] as number] as [number, number]);
    const svg = lineChart(
      s.metric,
      `${s.better} is better · regressions marked`,
      "run (time order)",
      s.unit,
      [
        { label: s.metric, points: pts.map((p) => [p[0], p[1]] as [number, number]) },
        ...(flagged.length ? [{ label: "regression", points: flagged, colorIndex: 3 }] : []),
      ],
    );
    return `<section><h2>${esc(s.metric)}</h2>${svg}</section>`;
  });
  const runs = t.runs.map((r, i) =>
    `<li>${i + 1}. <a href="${esc(`${r.dir}/report.html`)}">${esc(r.started_at)}</a> ${
      esc(r.mode)
    }</li>`
  ).join("");
  const reg = latestRegressions(t);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" ` +
    `content="width=device-width,initial-scale=1"><title>Performance trend</title><style>` +
    `body{font-family:system-ui,sans-serif;max-width:1000px;margin:0 auto;padding:0 16px}` +
    `svg{width:100%;height:auto}.banner{background:#ffebe9;padding:8px}</style></head><body>` +
    `<h1>Performance trend</h1><p>${t.runs.length} runs</p>` +
    (reg.length
      ? `<div class="banner">Regressions at the latest run: ${
        esc(reg.map((s) => s.metric).join(", "))
      }</div>`
      : "") +
    charts.join("") + `<h2>Runs</h2><ol>${runs}</ol></body></html>\n`;
}
