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
import type { SuiteResult, TestResult } from "../measure/result.ts";
import { percentileOf as percentileSorted, plotQuantiles } from "../analysis/distribution.ts";
import { suiteKey } from "../analysis/catalogue.ts";
import type { SuiteAnalysis } from "../analysis/run.ts";
import type { Chart, SuiteReporter } from "./reporter.ts";

export type { Chart };
import { unit } from "./sweep.ts";
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
    const pts = plotQuantiles(s.sorted, 600);
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

function concurrencyOf(t: TestResult): number | null {
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
function sweepCharts(a: SuiteAnalysis, file: (base: string) => string): Chart[] {
  return a.sweeps.flatMap((s) => {
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

/** Where a chart of each kind stands among a test's charts. */
const TEST_ORDER: readonly Chart["kind"][] = [
  "latency-cdf",
  "ttft",
  "itl",
  "cache",
  "memory",
  "server",
  "workers",
];

/**
 * Every chart a suite's results support, in report order: per test the common ones and the
 * suite's own (its reporter's `testCharts`), then the suite's concurrency and sweep charts.
 */
export function suiteCharts(
  suite: SuiteResult,
  analysis: SuiteAnalysis,
  reporter?: SuiteReporter,
): Chart[] {
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
    const testStart = charts.length;
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
    const own = reporter?.testCharts?.(t, file, slug) ?? [];
    if (own.length) {
      const mine = [...charts.splice(testStart), ...own];
      mine.sort((a, b) => TEST_ORDER.indexOf(a.kind) - TEST_ORDER.indexOf(b.kind));
      charts.push(...mine);
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
  charts.push(...sweepCharts(analysis, file));
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
