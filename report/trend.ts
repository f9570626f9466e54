/**
 * A trend over many runs (`analysis/trend.ts` builds it) as `trend.md` and `trend.html` (inline
 * SVG charts).
 *
 * @module
 */

import { latestRegressions, type Trend } from "../analysis/trend.ts";
import { lineChart } from "./charts.ts";
import { esc } from "./svg.ts";
import { fixed, mdCell, mdTable } from "./format.ts";

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
