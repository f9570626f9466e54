/**
 * `memory_results.md` / `.json`: the original layout (Summary, Detailed Results with the
 * Memory Timeline, Overall Assessment) plus the leak verdict, the slope's interval, the
 * memory kind fitted and where memory was read from (PID and command, or metrics URL).
 *
 * @module
 */

import type { SuiteResult, TestResult } from "../../measure/result.ts";
import type { SuiteAnalysis } from "../../analysis/run.ts";
import type { SuiteReporter } from "../../report/reporter.ts";
import type { MemoryExtra, MemoryFields } from "./result.ts";
import { hasMemoryFields, memoryGrowth, snapshotsOf, suiteLeak } from "./analysis.ts";
import { scaleLinear } from "d3-scale";
import { line } from "d3-shape";
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
} from "../../report/svg.ts";
import type { MemoryKind, MemorySnapshot, MemorySource } from "../../probes/memory.ts";
import { fixed, mdCell, signed } from "../../report/format.ts";
import { commonTestJson } from "../../report/json.ts";
import { clientHealthItem, clientHealthWarning } from "../../report/health.ts";
import {
  type Block,
  field,
  heading,
  list,
  note,
  para,
  reportTitle,
  type Span,
  table,
} from "../../report/doc.ts";
import { extraBlocks } from "../../report/extras.ts";
import { repeatBlocks } from "../../report/repeat.ts";

type MemSuite = SuiteResult<MemoryExtra>;
type MemTest = TestResult<MemoryExtra>;

/** The memory fields of a test, or null when it has none. */
export function memoryExtra(t: MemTest): MemoryFields | null {
  return hasMemoryFields(t.extra) ? t.extra : null;
}

/** Human name of a memory kind. */
export function kindLabel(kind: MemoryKind): string {
  return kind === "rss_anon_swap" ? "RssAnon + VmSwap (anonymous memory, swap included)" : "RSS";
}

/** `PID 123 (cmd) — how`, or `URL — how`. */
export function sourceLabel(s: MemorySource): string {
  const what = s.kind === "proc"
    ? `PID ${s.pid}${s.command ? ` (\`${s.command.replaceAll("`", "'")}\`)` : ""}`
    : `${s.url ?? "?"}`;
  return `${what} — ${s.how}`;
}

function finalMb(e: MemoryFields): number {
  if (Number.isFinite(e.drain_mb)) return e.drain_mb;
  const last = e.snapshots[e.snapshots.length - 1];
  return last ? last.value_mb : NaN;
}

function durationS(t: MemTest, e: MemoryFields): number {
  if (e.load_start_s !== undefined && e.load_end_s !== undefined) {
    return e.load_end_s - e.load_start_s;
  }
  return t.metrics.window_s;
}

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** One test as a `memory_results.json` object (original fields first). */
export function memoryTestJson(t: MemTest, a?: SuiteAnalysis): Record<string, unknown> {
  const e = memoryExtra(t);
  if (!e) return { test_name: t.name, ...commonTestJson(t, a) };
  const initial = e.baseline_mb, final = finalMb(e);
  const growth = final - initial;
  const completed = e.completed_requests ?? t.metrics.total_requests;
  return {
    test_name: t.name,
    duration: durationS(t, e),
    total_requests: t.metrics.total_requests,
    initial_memory_mb: num(initial),
    final_memory_mb: num(final),
    peak_memory_mb: num(e.peak_mb),
    memory_growth_mb: num(growth),
    memory_growth_percent: num(initial > 0 ? (growth / initial) * 100 : NaN),
    avg_memory_per_request_kb: num(completed > 0 ? (growth * 1024) / completed : NaN),
    leak_detected: e.verdict === "leak",
    leak_rate_mb_per_min: num(e.slope_mb_per_min),
    snapshots: e.snapshots.map((s) => ({ ...s, timestamp: s.t_s, request_count: s.requests })),
    successful_requests: t.metrics.successful_requests,
    failed_requests: t.metrics.failed_requests,
    ...Object.fromEntries(
      Object.entries(t.extra).filter(([k]) => k !== "snapshots").map((
        [k, v],
      ) => [k, typeof v === "number" && !Number.isFinite(v) ? null : v]),
    ),
    ...commonTestJson(t, a),
  };
}

/** The suite's JSON document: an array of per-test objects. */
export function memoryJson(suite: MemSuite, a?: SuiteAnalysis): Record<string, unknown>[] {
  return suite.tests.map((t) => memoryTestJson(t, a));
}

const mb = (x: number) => `${fixed(x)} MB`;
const kbPerReq = (x: number) => `${fixed(x)} KB/request`;

/** `YES` / `NO` / `INCONCLUSIVE`. */
function leakCell(e: MemoryFields): string {
  return e.verdict === "leak"
    ? "YES"
    : e.verdict === "no leak"
    ? "NO"
    : e.verdict === "interrupted"
    ? "NO VERDICT (interrupted)"
    : "INCONCLUSIVE";
}

function interval(e: MemoryFields): string {
  return `[${fixed(e.ci_low_kb_per_request)}, ${fixed(e.ci_high_kb_per_request)}]`;
}

/** At most `max` rows of the timeline, evenly spaced, keeping phase boundaries. */
export function thinTimeline(snaps: readonly MemorySnapshot[], max = 40): MemorySnapshot[] {
  if (snaps.length <= max) return [...snaps];
  const step = Math.ceil(snaps.length / max);
  return snaps.filter((s, i) =>
    i % step === 0 || i === snaps.length - 1 || snaps[i - 1]?.phase !== s.phase ||
    snaps[i + 1]?.phase !== s.phase
  );
}

function testSection(t: MemTest, a: SuiteAnalysis): Block[] {
  const e = memoryExtra(t);
  const out: Block[] = [heading(3, t.name)];
  if (!e) {
    out.push(para("No memory samples."));
    return out;
  }
  const m = t.metrics;
  const initial = e.baseline_mb, final = finalMb(e), growth = final - initial;
  const completed = e.completed_requests ?? m.total_requests;
  const load = t.load.kind === "open" ? t.load : null;
  out.push(
    list([
      field(
        "Duration",
        `${fixed(durationS(t, e))}s under load` +
          (load ? ` (${fixed(load.rate)} RPS offered, open loop)` : ""),
      ),
      field(
        "Total Requests",
        `${m.total_requests} (${m.successful_requests} ok, ${m.failed_requests} failed)`,
      ),
      field("Initial Memory", `${mb(initial)} (median of the idle baseline)`),
      field("Final Memory", `${mb(final)} (median of the late idle drain)`),
      field("Peak Memory", mb(e.peak_mb)),
      field(
        "Memory Growth",
        `${signed(growth)} MB (${initial > 0 ? signed((growth / initial) * 100) : "n/a"}%)`,
      ),
      field(
        "Avg per Request",
        `${completed > 0 ? fixed((growth * 1024) / completed) : "n/a"} KB ` +
          `(growth after the drain ÷ ${completed} completed requests)`,
      ),
      field("Leak Detected", leakCell(e)),
      field("Growth Rate", `${signed(e.slope_mb_per_min)} MB/min`),
      field("Verdict", `${e.verdict} — ${mdCell(t.extra.verdict_reason ?? "")}`),
      ...clientHealthItem(t),
      field(
        "Slope",
        `${kbPerReq(e.slope_kb_per_request)}, 95% interval ${interval(e)} ` +
          `(threshold ${kbPerReq(e.threshold_kb_per_request)})`,
      ),
      field(
        "Fitted Line",
        `value = ${fixed(e.intercept_mb)} MB ` +
          `${e.slope_kb_per_request < 0 ? "−" : "+"} ${fixed(Math.abs(e.slope_kb_per_request))} ` +
          "KB × requests (after warm-up)",
      ),
      field("Memory Fitted", kindLabel(e.memory_kind)),
      field("Memory Source", sourceLabel(e.memory_source)),
    ]),
    ...clientHealthWarning(t),
    ...extraBlocks(t, a),
    ...t.notes.map((n) => note(n)),
  );
  const shown = thinTimeline(e.snapshots);
  const fittedHeader = e.memory_kind === "rss_anon_swap" ? "Anon+Swap (MB)" : "RSS fitted (MB)";
  out.push(
    para({ strong: "Memory Timeline:" }),
    table(
      ["Time (s)", "Phase", "Requests", "RSS (MB)", fittedHeader, "Change (MB)"],
      shown.map((s) => [
        fixed(s.t_s, 1),
        s.phase,
        String(s.requests),
        fixed(s.rss_mb),
        fixed(s.value_mb),
        signed(s.value_mb - initial),
      ]),
    ),
  );
  if (shown.length < e.snapshots.length) {
    out.push(para(`${shown.length} of ${e.snapshots.length} samples shown; all are in the JSON.`));
  }
  out.push(para("Change = fitted value − initial memory."));
  return out;
}

/** `memory_results.md` as blocks. */
export function memoryDoc(
  suite: MemSuite,
  a: SuiteAnalysis,
  now: Date = new Date(),
): Block[] {
  const out: Block[] = reportTitle("Memory Benchmark Results", suite, now);
  const tests = suite.tests.map((t) => [t, memoryExtra(t)] as const);
  const sources = [
    ...new Set(tests.flatMap(([, e]) => (e ? [sourceLabel(e.memory_source)] : []))),
  ];
  const kinds = [...new Set(tests.flatMap(([, e]) => (e ? [kindLabel(e.memory_kind)] : [])))];
  const where: Span[] = [];
  if (sources.length) where.push(...field("Memory Source", sources.join("; ")), { br: true });
  if (kinds.length) where.push(...field("Memory Fitted", kinds.join("; ")));
  if (where.length) out.push(para(where));
  out.push(
    para(
      "Memory is sampled on a timer through an idle baseline, the open-loop load and an idle " +
        "drain. The leak fit is a Theil–Sen slope of memory against completed requests over " +
        "the load after its warm-up, with Sen's rank-based 95% interval. A leak is an interval " +
        "above the threshold with memory that stays up during the drain; an interval that " +
        "straddles the threshold is inconclusive.",
    ),
    heading(2, "Summary"),
    table(
      [
        "Test",
        "Requests",
        "Initial",
        "Final",
        "Growth",
        "Leak?",
        "Rate (MB/min)",
        "Slope (KB/request)",
        "95% Interval (KB/request)",
      ],
      tests.map(([t, e]) =>
        e
          ? [
            t.name,
            String(t.metrics.total_requests),
            mb(e.baseline_mb),
            mb(finalMb(e)),
            `${signed(finalMb(e) - e.baseline_mb)} MB`,
            leakCell(e),
            signed(e.slope_mb_per_min),
            fixed(e.slope_kb_per_request),
            interval(e),
          ]
          : [t.name, String(t.metrics.total_requests), "—", "—", "—", "—", "—", "—", "—"]
      ),
    ),
    heading(2, "Detailed Results"),
  );
  for (const [t] of tests) out.push(...testSection(t, a));
  out.push(heading(2, "Overall Assessment"));
  const withE = tests.flatMap(([t, e]) => (e ? [[t, e] as const] : []));
  const leaks = withE.filter(([, e]) => e.verdict === "leak");
  const unsure = withE.filter(([, e]) => e.verdict === "inconclusive");
  const cut = withE.filter(([, e]) => e.verdict === "interrupted");
  const judged = suiteLeak(withE.map(([t]) => t));
  if (leaks.length && !judged.leak) {
    out.push(
      heading(3, "No Memory Leak Confirmed"),
      para(`${judged.why}. Growth in single tests:`),
      list(
        leaks.map(([t, e]) => [
          { strong: t.name },
          `: ${kbPerReq(e.slope_kb_per_request)} (95% interval ${interval(e)})`,
        ]),
      ),
    );
  } else if (leaks.length) {
    out.push(
      heading(3, "Memory Leaks Detected"),
      list(
        leaks.map(([t, e]) => [
          { strong: t.name },
          `: ${signed(e.slope_mb_per_min)} MB/min, ${kbPerReq(e.slope_kb_per_request)} ` +
          `(95% interval ${interval(e)})`,
        ]),
      ),
    );
  } else if (cut.length === withE.length) {
    // Nothing was judged: saying "no leak" would be a verdict no test reached.
    out.push(
      heading(3, "No Verdict"),
      para("Every test was interrupted before it could be judged (below)."),
    );
  } else {
    out.push(
      heading(3, "No Memory Leaks Detected"),
      para(
        unsure.length
          ? "No test showed a leak, but some could not decide (below)."
          : "No test showed memory growth per request above the threshold that stayed up " +
            "while idle.",
      ),
    );
  }
  if (unsure.length) {
    out.push(
      heading(3, "Inconclusive"),
      list(unsure.map(([t]) => [{ strong: t.name }, `: ${mdCell(t.extra.verdict_reason ?? "")}`])),
    );
  }
  if (cut.length) {
    out.push(
      heading(3, "Interrupted: no verdict"),
      list(cut.map(([t]) => [{ strong: t.name }, `: ${mdCell(t.extra.verdict_reason ?? "")}`])),
    );
  }
  const perReq = withE.map(([t, e]) => {
    const c = e.completed_requests ?? t.metrics.total_requests;
    return c > 0 ? ((finalMb(e) - e.baseline_mb) * 1024) / c : NaN;
  }).filter(Number.isFinite);
  out.push(
    para(
      field(
        "Average Memory per Request",
        `${
          perReq.length ? perRequestText(perReq.reduce((a, b) => a + b, 0) / perReq.length) : "n/a"
        } (unweighted mean over tests of growth after the drain ÷ completed requests)`,
      ),
    ),
    ...repeatBlocks(a.repeat),
  );
  return out;
}

/** The Memory section of `BENCHMARK_SUMMARY.md`. */
export function memorySummary(suite: MemSuite): string {
  const withE = suite.tests.flatMap((t) => {
    const e = memoryExtra(t);
    return e ? [[t, e] as const] : [];
  });
  if (withE.length === 0) return "No test completed.";
  const leaks = withE.filter(([, e]) => e.verdict === "leak");
  const unsure = withE.filter(([, e]) => e.verdict === "inconclusive");
  const cut = withE.filter(([, e]) => e.verdict === "interrupted");
  const growth = withE.map(([, e]) => finalMb(e) - e.baseline_mb).filter(Number.isFinite);
  const perReq = withE.map(([t, e]) => {
    const c = e.completed_requests ?? t.metrics.total_requests;
    return c > 0 ? ((finalMb(e) - e.baseline_mb) * 1024) / c : NaN;
  }).filter(Number.isFinite);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const judged = suiteLeak(withE.map(([t]) => t));
  const lines = [
    `- **Memory Leaks Detected:** ${
      judged.leak ? "Yes" : cut.length === withE.length ? "No verdict (interrupted)" : "No"
    }` +
    (judged.leak ? ` (${mdCell(judged.why)})` : leaks.length ? ` (${mdCell(judged.why)})` : "") +
    (unsure.length ? `; inconclusive: ${unsure.map(([t]) => mdCell(t.name)).join(", ")}` : "") +
    (cut.length ? `; interrupted, no verdict: ${cut.map(([t]) => mdCell(t.name)).join(", ")}` : ""),
    `- **Average Memory Growth:** ${signed(mean(growth))} MB`,
    `- **Average Memory per Request:** ${perRequestText(mean(perReq))}`,
    `- **Memory Source:** ${sourceLabel(withE[0][1].memory_source)}`,
    `- **Memory Fitted:** ${kindLabel(withE[0][1].memory_kind)}`,
  ];
  for (const [t, e] of withE) {
    lines.push(
      `- ${mdCell(t.name)}: ${e.verdict}, ${kbPerReq(e.slope_kb_per_request)} (95% interval ` +
        `${interval(e)})`,
    );
  }
  return lines.join("\n");
}

const PHASE_FILL: Record<string, string> = {
  baseline: "#e8f1fa",
  load: "#fdf0e6",
  drain: "#e9f6f1",
};

/** Memory over time, idle phases shaded, with the fitted line value = a + b·requests. */
export function memoryChart(t: MemTest): string {
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

/** The memory suite's reports. */
export const MEMORY_REPORTER: SuiteReporter<MemoryExtra> = {
  file: "memory_results",
  title: "Memory Usage",
  doc: (s, _run, a, now) => memoryDoc(s, a, now),
  json: (s, _run, a) => memoryJson(s, a),
  summary: (s) => memorySummary(s),
  testRecommendations: (t) =>
    t.extra.verdict === "leak"
      ? [
        `- ❌ ${mdCell(t.name)}: memory leak detected (${fixedKb(t.extra.slope_kb_per_request)} ` +
        `KB per request); review memory management in the server.`,
      ]
      : [],
  testCharts: (t, file, slug) =>
    snapshotsOf(t).length > 0
      ? [{
        file: file(`memory-${slug}`),
        title: `Memory: ${t.name}`,
        kind: "memory",
        svg: memoryChart(t),
      }]
      : [],
};

function fixedKb(v: unknown): string {
  return typeof v === "number" ? v.toFixed(1) : "?";
}

/** Memory per request as a cost: a fall is no cost, and says so. */
function perRequestText(kbPerRequest: number): string {
  if (!Number.isFinite(kbPerRequest)) return "n/a";
  return kbPerRequest < 0
    ? `none (memory ended ${fixed(-kbPerRequest)} KB per request below where it started)`
    : `${fixed(kbPerRequest)} KB`;
}
