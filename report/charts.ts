/**
 * Chart builders: latency CDFs, TTFT/ITL histograms, latency and throughput against
 * concurrency, cache TTFT cold vs warm, the memory timeline with its fitted line, and the
 * router's worker distribution. Each chart is drawn only when its data exists.
 *
 * Distributions are drawn from the samples results carry: the sorted `latencies` (every
 * successful request) and the bounded `ttft_samples` / `itl_samples` (every sample, or
 * evenly spaced order statistics of them), so the shape is the measured one, not one
 * interpolated from a few percentiles.
 *
 * @module
 */

// @ts-types="@types/d3-scale"
import { scaleBand, scaleLinear } from "d3-scale";
// @ts-types="@types/d3-shape"
import { curveStepAfter, line } from "d3-shape";
import type { SuiteResult, TestResult } from "../suites/mod.ts";
import { percentileSorted } from "../measure/summary.ts";
import { quantileSample } from "../measure/aggregate.ts";
import { jainIndex } from "../measure/fit.ts";
import { memoryGrowth, numberArray, snapshotsOf, suiteKey, workerCounts } from "./metrics.ts";
import { sweepsOf, unit } from "./sweep.ts";
import {
  axisBottom,
  axisLeft,
  color,
  el,
  emptyNote,
  frame,
  type LegendItem,
  plotArea,
  svgDoc,
  text,
} from "./svg.ts";

/** One chart: its file name under `charts/`, its title and its SVG text. */
export interface Chart {
  /** File name, e.g. `latency-cdf-throughput-small-payload-streaming.svg`. */
  file: string;
  /** Title (plain text). */
  title: string;
  /** What the chart shows: used to group charts in the HTML report. */
  kind:
    | "latency-cdf"
    | "ttft"
    | "itl"
    | "concurrency"
    | "cache"
    | "memory"
    | "workers"
    | "server"
    | "sweep";
  /** The SVG document. */
  svg: string;
}

/** A file-name-safe slug: lower case, ASCII letters and digits joined by `-`. */
export function slugify(s: string): string {
  const slug = s.normalize("NFKD").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(
    /^-+|-+$/g,
    "",
  );
  return slug.slice(0, 80) || "test";
}

/** A series of ascending samples in seconds. */
export interface SampleSeries {
  /** Legend label. */
  label: string;
  /** Ascending samples, seconds. */
  sorted: readonly number[];
}

const ms = (s: number) => s * 1000;

/** Empirical CDF of one or more sample series (x in ms), with p50 and p99 guides. */
export function cdfChart(
  title: string,
  subtitle: string,
  series: readonly SampleSeries[],
  xLabel = "latency (ms)",
): string {
  const f = frame();
  const { x0, x1, y0, y1 } = plotArea(f);
  const used = series.filter((s) => s.sorted.length > 0);
  if (used.length === 0) return svgDoc(f, title, emptyNote(f, "no samples"), subtitle);
  const max = Math.max(...used.map((s) => s.sorted[s.sorted.length - 1]));
  const min = Math.min(...used.map((s) => s.sorted[0]));
  // Start at 0 unless the samples sit far from it (then zoom in on where they are).
  const lo = min > 0.3 * max ? ms(min - (max - min) * 0.05) : 0;
  const x = scaleLinear().domain([lo, ms(max) > lo ? ms(max) : lo + 1]).nice().range([x0, x1]);
  const y = scaleLinear().domain([0, 1]).range([y0, y1]);
  const body: string[] = [
    axisBottom(f, x, xLabel),
    axisLeft(f, y, "fraction of requests ≤ x", 5, (v) => `${Math.round(v * 100)}%`),
  ];
  for (const p of [0.5, 0.99]) {
    body.push(
      el("line", {
        x1: x0,
        x2: x1,
        y1: y(p),
        y2: y(p),
        stroke: "#999",
        "stroke-dasharray": "2 3",
      }),
      text(x0 + 4, y(p) - 3, `p${p * 100}`, { fill: "#777", "font-size": 10 }),
    );
  }
  const path = line<[number, number]>().x((d) => x(d[0])).y((d) => y(d[1])).curve(curveStepAfter);
  const items: LegendItem[] = [];
  used.forEach((s, i) => {
    const pts = quantileSample(s.sorted as number[], 600);
    const n = pts.length;
    const data: [number, number][] = [[ms(pts[0]), 0]];
    pts.forEach((v, k) => data.push([ms(v), (k + 1) / n]));
    body.push(
      el("path", {
        d: path(data) ?? "",
        fill: "none",
        stroke: color(i),
        "stroke-width": 2,
        class: "series",
      }),
    );
    const p50 = percentileSorted(s.sorted, 0.5), p99 = percentileSorted(s.sorted, 0.99);
    items.push({
      label: `${s.label}: p50 ${ms(p50).toFixed(1)} · p99 ${ms(p99).toFixed(1)} ms`,
      color: color(i),
    });
  });
  return svgDoc(f, title, body.join(""), subtitle, items);
}

/** Histogram of samples (x in ms) with p50 and p99 marked. */
export function histogramChart(
  title: string,
  subtitle: string,
  sorted: readonly number[],
  xLabel: string,
  bins = 30,
): string {
  const f = frame();
  const { x0, x1, y0, y1 } = plotArea(f);
  if (sorted.length === 0) return svgDoc(f, title, emptyNote(f, "no samples"), subtitle);
  const lo = ms(sorted[0]), hi = ms(sorted[sorted.length - 1]);
  const x = scaleLinear().domain([lo, hi > lo ? hi : lo + 1]).nice(bins).range([x0, x1]);
  const [d0, d1] = x.domain();
  const width = (d1 - d0) / bins;
  const counts = new Array(bins).fill(0);
  for (const v of sorted) counts[Math.min(bins - 1, Math.floor((ms(v) - d0) / width))]++;
  const frac = counts.map((c) => c / sorted.length);
  const y = scaleLinear().domain([0, Math.max(...frac) || 1]).nice().range([y0, y1]);
  const body: string[] = [
    axisBottom(f, x, xLabel),
    axisLeft(f, y, "share of samples", 5, (v) => `${Math.round(v * 1000) / 10}%`),
  ];
  frac.forEach((v, i) => {
    if (v === 0) return;
    const bx = x(d0 + i * width);
    body.push(
      el("rect", {
        x: bx + 0.5,
        y: y(v),
        width: Math.max(0.5, x(d0 + (i + 1) * width) - bx - 1),
        height: y0 - y(v),
        fill: color(0),
        "fill-opacity": 0.75,
        class: "bar",
      }),
    );
  });
  const marks: [string, number, string][] = [
    ["p50", percentileSorted(sorted, 0.5), color(2)],
    ["p99", percentileSorted(sorted, 0.99), color(1)],
  ];
  for (const [, v, c] of marks) {
    const px = x(ms(v));
    body.push(el("line", { x1: px, x2: px, y1: y1, y2: y0, stroke: c, "stroke-width": 2 }));
  }
  const items = marks.map(([label, v, c]) => ({
    label: `${label} ${ms(v).toFixed(2)} ms`,
    color: c,
  }));
  return svgDoc(f, title, body.join(""), subtitle, items);
}

/** A series of points for a line chart. */
export interface PointSeries {
  /** Legend label. */
  label: string;
  /** Points, ascending x. */
  points: readonly [number, number][];
  /** Dashed line. */
  dashed?: boolean;
  /** Palette index (default: the series' position). */
  colorIndex?: number;
}

/** Lines with dots. */
export function lineChart(
  title: string,
  subtitle: string,
  xLabel: string,
  yLabel: string,
  series: readonly PointSeries[],
): string {
  const f = frame();
  const { x0, x1, y0, y1 } = plotArea(f);
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return svgDoc(f, title, emptyNote(f, "no data"), subtitle);
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const x = scaleLinear().domain([Math.min(0, ...xs), Math.max(...xs) || 1]).nice().range([
    x0,
    x1,
  ]);
  const top = Math.max(...ys) * 1.08 || 1; // headroom above the highest point
  const y = scaleLinear().domain([Math.min(0, ...ys), top]).nice().range([y0, y1]);
  const path = line<readonly [number, number]>().x((d) => x(d[0])).y((d) => y(d[1]));
  const body: string[] = [axisBottom(f, x, xLabel), axisLeft(f, y, yLabel)];
  series.forEach((s, i) => {
    body.push(el("path", {
      d: path(s.points) ?? "",
      fill: "none",
      stroke: color(s.colorIndex ?? i),
      "stroke-width": 2,
      "stroke-dasharray": s.dashed ? "6 4" : null,
      class: "series",
    }));
    for (const [px, py] of s.points) {
      body.push(el("circle", { cx: x(px), cy: y(py), r: 3.5, fill: color(s.colorIndex ?? i) }));
    }
  });
  const items = series.map((s, i) => ({
    label: s.label,
    color: color(s.colorIndex ?? i),
    dashed: s.dashed,
  }));
  return svgDoc(f, title, body.join(""), subtitle, items);
}

/** Vertical bars with their values on top. */
export function barChart(
  title: string,
  subtitle: string,
  bars: readonly { label: string; value: number }[],
  yLabel: string,
): string {
  const f = frame();
  const { x0, x1, y0, y1 } = plotArea(f);
  if (bars.length === 0) return svgDoc(f, title, emptyNote(f, "no data"), subtitle);
  const x = scaleBand<string>().domain(bars.map((b) => b.label)).range([x0, x1]).padding(0.25);
  const y = scaleLinear().domain([0, Math.max(...bars.map((b) => b.value)) || 1]).nice().range([
    y0,
    y1,
  ]);
  const body: string[] = [axisLeft(f, y, yLabel)];
  body.push(el("line", { x1: x0, x2: x1, y1: y0, y2: y0, stroke: "#333" }));
  bars.forEach((b, i) => {
    const bx = x(b.label) ?? x0;
    body.push(
      el("rect", {
        x: bx,
        y: y(b.value),
        width: x.bandwidth(),
        height: y0 - y(b.value),
        fill: color(i),
        "fill-opacity": 0.8,
        class: "bar",
      }),
      text(bx + x.bandwidth() / 2, y(b.value) - 4, String(b.value), {
        "text-anchor": "middle",
        fill: "#111",
      }),
      text(bx + x.bandwidth() / 2, y0 + 16, b.label, { "text-anchor": "middle", fill: "#333" }),
    );
  });
  return svgDoc(f, title, body.join(""), subtitle);
}

const PHASE_FILL: Record<string, string> = {
  baseline: "#e8f1fa",
  load: "#fdf0e6",
  drain: "#e9f6f1",
};

/** Memory over time, idle phases shaded, with the fitted line value = a + b·requests. */
export function memoryChart(t: TestResult): string {
  const f = frame();
  const { x0, x1, y0, y1 } = plotArea(f);
  const snaps = snapshotsOf(t);
  const title = `Memory: ${t.name}`;
  const slope = typeof t.extra.slope_kb_per_request === "number"
    ? t.extra.slope_kb_per_request
    : null;
  const intercept = typeof t.extra.intercept_mb === "number" ? t.extra.intercept_mb : null;
  const lo = t.extra.ci_low_kb_per_request, hi = t.extra.ci_high_kb_per_request;
  const ci = typeof lo === "number" && typeof hi === "number"
    ? ` (95% CI ${lo.toFixed(2)} … ${hi.toFixed(2)})`
    : "";
  const verdict = typeof t.extra.verdict === "string" ? ` · verdict: ${t.extra.verdict}` : "";
  const growth = memoryGrowth(t);
  const subtitle = (slope !== null ? `slope ${slope.toFixed(2)} kB/request${ci}` : "no fit") +
    verdict + (growth ? ` · growth ${growth.mb.toFixed(2)} MB` : "");
  if (snaps.length === 0) return svgDoc(f, title, emptyNote(f, "no snapshots"), subtitle);
  const ts = snaps.map((s) => s.t_s);
  const fitted = slope !== null && intercept !== null
    ? snaps.map((s) => [s.t_s, intercept + (slope / 1024) * s.requests] as [number, number])
    : [];
  const vs = [...snaps.map((s) => s.value_mb), ...fitted.map((p) => p[1])];
  const x = scaleLinear().domain([Math.min(...ts), Math.max(...ts) || 1]).nice().range([x0, x1]);
  const vmin = Math.min(...vs), vmax = Math.max(...vs);
  const pad = Math.max(1, (vmax - vmin) * 0.1);
  const y = scaleLinear().domain([vmin - pad, vmax + pad]).nice().range([y0, y1]);
  const body: string[] = [];
  // Phase bands.
  const phases: string[] = [];
  for (const ph of ["baseline", "load", "drain"]) {
    const inPhase = snaps.filter((s) => s.phase === ph);
    if (inPhase.length === 0) continue;
    phases.push(ph);
    const a = x(inPhase[0].t_s), b = x(inPhase[inPhase.length - 1].t_s);
    body.push(el("rect", {
      x: a,
      y: y1,
      width: Math.max(2, b - a),
      height: y0 - y1,
      fill: PHASE_FILL[ph],
    }));
  }
  body.push(axisBottom(f, x, "time since start (s)"), axisLeft(f, y, "memory (MB)"));
  const path = line<[number, number]>().x((d) => x(d[0])).y((d) => y(d[1]));
  body.push(el("path", {
    d: path(snaps.map((s) => [s.t_s, s.value_mb])) ?? "",
    fill: "none",
    stroke: color(0),
    "stroke-width": 2,
    class: "series",
  }));
  for (const s of snaps) {
    body.push(el("circle", { cx: x(s.t_s), cy: y(s.value_mb), r: 2.2, fill: color(0) }));
  }
  const items: LegendItem[] = [{ label: "measured (value_mb)", color: color(0) }];
  if (fitted.length) {
    body.push(el("path", {
      d: path(fitted) ?? "",
      fill: "none",
      stroke: color(1),
      "stroke-width": 2,
      "stroke-dasharray": "6 4",
      class: "fit",
    }));
    items.push({ label: "fitted: intercept + slope × requests", color: color(1), dashed: true });
  }
  for (const ph of phases) items.push({ label: ph, color: PHASE_FILL[ph], box: true });
  const legendItems = items.map((i) => i.box ? { ...i, color: darker(i.color) } : i);
  return svgDoc(f, title, body.join(""), subtitle, legendItems);
}

function darker(fill: string): string {
  return ({ "#e8f1fa": "#0072B2", "#fdf0e6": "#D55E00", "#e9f6f1": "#009E73" })[fill] ?? fill;
}

function concurrencyOf(t: TestResult): number | null {
  if (typeof t.extra.concurrent_connections === "number") return t.extra.concurrent_connections;
  return t.load.kind === "closed" ? t.load.concurrency : null;
}

/** Closed-loop tests grouped by payload and streaming, each group with ≥ 2 concurrency levels. */
function concurrencyGroups(tests: readonly TestResult[]): [string, TestResult[]][] {
  const groups = new Map<string, TestResult[]>();
  for (const t of tests) {
    if (concurrencyOf(t) === null || t.metrics.successful_requests === 0) continue;
    const key = `${t.payload}${t.streaming ? " streaming" : ""}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  return [...groups].map(([k, ts]): [string, TestResult[]] => [
    k,
    ts.sort((a, b) => concurrencyOf(a)! - concurrencyOf(b)!),
  ]).filter(([, ts]) => new Set(ts.map(concurrencyOf)).size >= 2);
}

/** The charts of a suite's sweeps: latency against throughput, and the Pareto frontier. */
function sweepCharts(suite: SuiteResult, file: (base: string) => string): Chart[] {
  return sweepsOf(suite).flatMap((s) => {
    const knee = s.knee === null ? "" : ` · knee at ${s.points[s.knee].level} ${unit(s.kind)}`;
    const latTitle = `Latency against throughput (${s.kind} sweep)`;
    const paretoTitle = `Pareto frontier (${s.kind} sweep)`;
    const withUser = s.points.filter((p) => p.per_user_tps !== null);
    return [
      {
        file: file("sweep-latency"),
        title: latTitle,
        kind: "sweep" as const,
        svg: lineChart(latTitle, `one point per level${knee}`, "output tokens/s", "latency (ms)", [
          { label: "p50", points: s.points.map((p) => [p.output_tps, p.latency_p50 * 1000]) },
          { label: "p99", points: s.points.map((p) => [p.output_tps, p.latency_p99 * 1000]) },
        ]),
      },
      {
        file: file("sweep-pareto"),
        title: paretoTitle,
        kind: "sweep" as const,
        svg: lineChart(
          paretoTitle,
          "output tokens/s per user against total; the frontier dashed",
          "total output tokens/s",
          "output tokens/s per user",
          [
            { label: "levels", points: withUser.map((p) => [p.output_tps, p.per_user_tps!]) },
            {
              label: "Pareto frontier",
              dashed: true,
              points: s.frontier.map((i) => [s.points[i].output_tps, s.points[i].per_user_tps!]),
            },
          ],
        ),
      },
    ];
  });
}

/** Every chart a suite's results support, in report order. */
export function suiteCharts(suite: SuiteResult): Chart[] {
  const key = suiteKey(suite.suite).replace(/_/g, "-");
  const charts: Chart[] = [];
  const seen = new Set<string>();
  const file = (base: string) => {
    let name = `${base}.svg`;
    for (let i = 2; seen.has(name); i++) name = `${base}-${i}.svg`;
    seen.add(name);
    return name;
  };
  for (const t of suite.tests) {
    const slug = slugify(`${key} ${t.name}`);
    if (t.metrics.latencies.length > 0) {
      const title = `Latency CDF: ${t.name}`;
      charts.push({
        file: file(`latency-cdf-${slug}`),
        title,
        kind: "latency-cdf",
        svg: cdfChart(
          title,
          `${t.metrics.latencies.length} successful requests · end-to-end latency from send`,
          [{ label: "latency", sorted: t.metrics.latencies }],
        ),
      });
    }
    if (t.streaming && (t.metrics.ttft_samples?.length ?? 0) > 0) {
      const title = `TTFT distribution: ${t.name}`;
      charts.push({
        file: file(`ttft-${slug}`),
        title,
        kind: "ttft",
        svg: histogramChart(
          title,
          sampleNote(t.metrics.ttft.count, t.metrics.ttft_samples!.length, "requests"),
          t.metrics.ttft_samples!,
          "time to first token (ms)",
        ),
      });
    }
    if (t.streaming && (t.metrics.itl_samples?.length ?? 0) > 0) {
      const title = `ITL distribution: ${t.name}`;
      charts.push({
        file: file(`itl-${slug}`),
        title,
        kind: "itl",
        svg: histogramChart(
          title,
          sampleNote(t.metrics.itl.count, t.metrics.itl_samples!.length, "gaps"),
          t.metrics.itl_samples!,
          "inter-token latency (ms)",
        ),
      });
    }
    const cold = numberArray(t.extra.cold_ttft_s).sort((a, b) => a - b);
    const warm = numberArray(t.extra.warm_ttft_s).sort((a, b) => a - b);
    if (cold.length && warm.length) {
      const title = `Cache TTFT, cold vs warm: ${t.name}`;
      const saved = percentileSorted(cold, 0.5) > 0
        ? (1 - percentileSorted(warm, 0.5) / percentileSorted(cold, 0.5)) * 100
        : 0;
      charts.push({
        file: file(`cache-ttft-${slug}`),
        title,
        kind: "cache",
        svg: cdfChart(
          title,
          `${cold.length} cold, ${warm.length} warm requests · median TTFT ${
            saved >= 0 ? "saved" : "added"
          } ${Math.abs(saved).toFixed(1)}%`,
          [{ label: "cold", sorted: cold }, { label: "warm", sorted: warm }],
          "time to first token (ms)",
        ),
      });
    }
    if (snapshotsOf(t).length > 0) {
      charts.push({
        file: file(`memory-${slug}`),
        title: `Memory: ${t.name}`,
        kind: "memory",
        svg: memoryChart(t),
      });
    }
    const server = t.extra.server_metrics;
    if (server && server.t_s.length > 1 && server.running.some((v) => v !== null)) {
      const pts = (vs: readonly (number | null)[]) =>
        server.t_s.flatMap((x, i) => (vs[i] === null ? [] : [[x, vs[i]!] as [number, number]]));
      const kvMax = Math.max(0, ...server.kv_usage.filter((v): v is number => v !== null));
      charts.push({
        file: file(`server-${slug}`),
        title: `Server queue: ${t.name}`,
        kind: "server",
        svg: lineChart(
          `Server queue: ${t.name}`,
          `the server's own gauges, sampled every second · KV-cache usage peaked at ${
            (kvMax * 100).toFixed(1)
          }%`,
          "seconds since the test started",
          "requests",
          [
            { label: "running", points: pts(server.running) },
            { label: "waiting", points: pts(server.waiting), dashed: true },
          ],
        ),
      });
    }
    const workers = workerCounts(t);
    if (workers.length > 0) {
      const title = `Worker distribution: ${t.name}`;
      const total = workers.reduce((s, [, c]) => s + c, 0);
      const jain = jainIndex(workers.map(([, c]) => c));
      charts.push({
        file: file(`workers-${slug}`),
        title,
        kind: "workers",
        svg: barChart(
          title,
          `${total} requests over ${workers.length} workers · Jain's fairness index ${
            jain.toFixed(3)
          }`,
          workers.map(([label, value]) => ({ label, value })),
          "requests",
        ),
      });
    }
  }
  const groups = concurrencyGroups(suite.tests);
  if (groups.length) {
    const lat: PointSeries[] = [];
    groups.forEach(([g, ts], i) => {
      lat.push(
        {
          label: `${g} p50`,
          points: ts.map((t) => [concurrencyOf(t)!, ms(t.metrics.latency.p50)]),
          colorIndex: i,
        },
        {
          label: `${g} p99`,
          points: ts.map((t) => [concurrencyOf(t)!, ms(t.metrics.latency.p99)]),
          dashed: true,
          colorIndex: i,
        },
      );
    });
    charts.push({
      file: file(`latency-vs-concurrency-${key}`),
      title: `Latency against concurrency (${suite.suite})`,
      kind: "concurrency",
      svg: lineChart(
        `Latency against concurrency (${suite.suite})`,
        "p50 solid, p99 dashed; successful requests only",
        "concurrent requests",
        "latency (ms)",
        lat,
      ),
    });
    charts.push({
      file: file(`throughput-vs-concurrency-${key}`),
      title: `Throughput against concurrency (${suite.suite})`,
      kind: "concurrency",
      svg: lineChart(
        `Throughput against concurrency (${suite.suite})`,
        "successful requests per second",
        "concurrent requests",
        "requests / s",
        groups.map(([g, ts]) => ({
          label: g,
          points: ts.map((t) => [concurrencyOf(t)!, t.metrics.requests_per_second]),
        })),
      ),
    });
  }
  charts.push(...sweepCharts(suite, file));
  return charts;
}

function sampleNote(count: number, kept: number, what: string): string {
  return count > kept
    ? `${count} ${what}, drawn from ${kept} evenly spaced order statistics`
    : `${count} ${what}`;
}

/** Markdown image links to already drawn charts, as a `## Charts` section (empty for none). */
export function chartLinksOf(charts: readonly Chart[]): string {
  if (charts.length === 0) return "";
  return ["## Charts", "", ...charts.map((c) => `![${mdAlt(c.title)}](charts/${c.file})\n`)]
    .join("\n");
}

function mdAlt(s: string): string {
  return s.replace(/[[\]\\\r\n<]/g, " ");
}
