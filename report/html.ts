/**
 * `report.html`: one self-contained page (inline CSS and SVG; no scripts, no network):
 * headline numbers per suite with good / warning / poor marks, then the charts, then each
 * suite's report, rendered from the same blocks as its Markdown (`report/doc.ts`). Every string from the server, a scenario file or the command
 * line is HTML-escaped. Readable on a phone and when printed.
 *
 * @module
 */

import type { RunResult } from "../measure/result.ts";
import type { Mark } from "../analysis/bands.ts";
import type { RunAnalysis, SuiteAnalysis } from "../analysis/run.ts";
import { formatMetric } from "../analysis/catalogue.ts";
import type { Chart } from "./charts.ts";
import { toHtml } from "./doc.ts";
import type { SuiteReporter } from "./reporter.ts";
import { esc } from "./svg.ts";
import { NAMING_NOTE, serverLabel, timestamp } from "./format.ts";
import { guideBlocks } from "./guide.ts";

const MARK_TEXT: Record<Mark, string> = { good: "✓ good", warning: "! warning", poor: "✗ poor" };

const KIND_TITLES: Record<Chart["kind"], string> = {
  "latency-cdf": "Latency CDF per test",
  ttft: "TTFT distributions (streaming tests)",
  itl: "ITL distributions (streaming tests)",
  concurrency: "Latency and throughput against concurrency",
  cache: "Cache TTFT: cold vs warm",
  memory: "Memory timeline with fitted slope",
  workers: "Worker distribution",
  server: "Server queue over each test (the server's own metrics)",
  sweep: "Sweeps: latency against throughput, and the Pareto frontier",
};

const CSS = `
:root{--fg:#111;--muted:#555;--line:#ddd;--bg:#fff;--card:#f7f7f8;--good:#1a7f37;--warn:#9a6700;--poor:#cf222e}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
header,main,footer{max-width:1180px;margin:0 auto;padding:0 16px}
header{padding-top:20px}
h1{font-size:1.6rem;margin:.2em 0}
h2{font-size:1.3rem;margin:1.6em 0 .6em;border-bottom:1px solid var(--line);padding-bottom:.2em}
h3{font-size:1.1rem;margin:1.2em 0 .5em}
h4,h5,h6{font-size:1rem;margin:1em 0 .4em}
.meta{color:var(--muted);margin:.2em 0;overflow-wrap:anywhere}
.banner{border-left:4px solid var(--poor);background:#fff5f5;padding:8px 12px;margin:12px 0}
.banner.predicted{border-left-color:#0969da;background:#ddf4ff}
.pooled{color:var(--muted);font-size:.85rem}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,200px),1fr));gap:10px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px;border-top:4px solid var(--line)}
.tile.good{border-top-color:var(--good)}.tile.warning{border-top-color:var(--warn)}.tile.poor{border-top-color:var(--poor)}
.tile .label{font-size:.8rem;color:var(--muted)}
.tile .value{font-size:1.45rem;font-weight:600;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.tile .band{font-size:.75rem;color:var(--muted)}
.mark{display:inline-block;font-size:.75rem;font-weight:600;border-radius:10px;padding:0 8px;vertical-align:middle}
.mark.good{background:#dafbe1;color:var(--good)}.mark.warning{background:#fff8c5;color:var(--warn)}.mark.poor{background:#ffebe9;color:var(--poor)}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,520px),1fr));gap:14px}
figure{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:6px}
figure svg{display:block;width:100%;height:auto}
figcaption{font-size:.8rem;color:var(--muted);padding:2px 4px;overflow-wrap:anywhere}
.table-wrap{overflow-x:auto;margin:.6em 0}
table{border-collapse:collapse;font-size:.88rem;font-variant-numeric:tabular-nums}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
.suite-report th,.suite-report td{overflow-wrap:normal;word-break:normal}
th{white-space:nowrap}
th{background:var(--card)}
blockquote{margin:.6em 0;padding:4px 12px;border-left:4px solid var(--line);color:var(--muted)}
code{font-size:.9em;background:var(--card);padding:0 3px;border-radius:3px}
.suite-report{overflow-wrap:anywhere}
footer{color:var(--muted);font-size:.8rem;padding:24px 16px}
@media (max-width:600px){body{font-size:14px}h1{font-size:1.3rem}.tile .value{font-size:1.2rem}}
@media print{
 body{font-size:10pt}
 header,main,footer{max-width:none;padding:0}
 .charts{display:block}
 figure{break-inside:avoid;page-break-inside:avoid;margin:0 0 10px;border:none}
 figure svg{max-width:16cm}
 .tile,.mark,.banner{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 h2,h3{break-after:avoid;page-break-after:avoid}
 table{break-inside:auto}tr{break-inside:avoid}
 .table-wrap{overflow:visible}
}
`;

/**
 * Headline tiles of one suite, banded metrics first (as the analysis ordered them). A band
 * rates the tests its guide is about; a run that cannot reach a band says "not rated" and
 * why; a suite with failed requests is never "good".
 */
export function headlineTiles(a: SuiteAnalysis): string {
  const tiles = a.tiles.map((t) => {
    const b = t.band, m = t.mark, rating = t.rating;
    const label = b?.label ?? t.def.description;
    // A mark sits on the number it judged: when the band rated other tests than the pooled
    // figure covers, the rated value is the big number and the pooled one is labelled so.
    const rated = m && t.ratedValue !== null && t.ratedValue !== t.value ? t.ratedValue : null;
    const rule = b
      ? `<div class="band">guide: ${esc(b.rule)}${b.target ? ` · target ${esc(b.target)}` : ""}${
        rating?.notRated ? `<br><span class="mark">not rated</span> ${esc(rating.notRated)}` : ""
      }</div>`
      : "";
    const pooled = rated !== null
      ? `<div class="pooled">all the suite's tests pooled: ${
        esc(formatMetric(t.def, t.value))
      }</div>`
      : "";
    return `<div class="tile${m ? ` ${m}` : ""}"><div class="label">${esc(label)} <code>${
      esc(t.qualified)
    }</code></div><div class="value">${esc(formatMetric(t.def, rated ?? t.value))}${
      m ? ` <span class="mark ${m}">${MARK_TEXT[m]}</span>` : ""
    }</div>${pooled}${rule}</div>`;
  });
  return `<div class="tiles">${tiles.join("")}</div>`;
}

/** The whole `report.html` of a run. */
export function reportHtml(
  run: RunResult,
  analysis: RunAnalysis,
  reporterOf: (suite: string) => SuiteReporter | undefined,
  now: Date = new Date(),
  charts: ReadonlyMap<string, Chart[]> = new Map(),
): string {
  const suiteTitle = (name: string) => reporterOf(name)?.title ?? name;
  const ran = run.suites.filter((s) => s.skipped === null && analysis.suites.has(s.suite));
  const head: string[] = [];
  for (const s of run.suites) {
    const title = esc(suiteTitle(s.suite));
    const a = analysis.suites.get(s.suite);
    if (s.skipped !== null || !a) {
      head.push(`<h3>${title}</h3><p class="meta">Skipped: ${esc(s.skipped ?? "")}</p>`);
      continue;
    }
    const html = headlineTiles(a), mark = a.mark;
    head.push(
      `<h3 id="suite-${esc(s.suite)}">${title}${
        mark ? ` <span class="mark ${mark}">${MARK_TEXT[mark]}</span>` : ""
      }</h3>`,
    );
    if (s.error !== null) head.push(`<div class="banner">Suite failed: ${esc(s.error)}</div>`);
    const saturated = s.tests.filter((t) => t.extra.client_health?.saturated);
    if (saturated.length > 0) {
      head.push(
        `<div class="banner">Client saturated in ${saturated.length} test(s) (${
          esc(saturated.map((t) => t.name).join(", "))
        }): their latencies include the client's own delay.</div>`,
      );
    }
    if (s.tests.length === 0) head.push(`<p class="meta">No test completed.</p>`);
    else head.push(html);
  }
  const chartHtml: string[] = [];
  for (const s of ran) {
    const list = charts.get(s.suite) ?? [];
    if (list.length === 0) continue;
    chartHtml.push(`<h3>${esc(suiteTitle(s.suite))}</h3>`);
    for (const kind of Object.keys(KIND_TITLES) as Chart["kind"][]) {
      const of = list.filter((c) => c.kind === kind);
      if (of.length === 0) continue;
      chartHtml.push(
        `<h4>${esc(KIND_TITLES[kind])}</h4><div class="charts">${
          of.map((c) =>
            `<figure>${c.svg}<figcaption>${esc(c.title)} · <code>charts/${
              esc(c.file)
            }</code></figcaption></figure>`
          ).join("")
        }</div>`,
      );
    }
  }
  const tables: string[] = [];
  for (const s of ran) {
    const src = reporterOf(s.suite);
    if (!src) continue;
    tables.push(
      `<section class="suite-report">${
        toHtml(src.doc(s, run, analysis.suites.get(s.suite)!, now), 2)
      }</section>`,
    );
  }
  const guide = guideBlocks(analysis.guide);
  const guideHtml = guide.length ? `<section id="guide">${toHtml(guide, 2)}</section>` : "";
  const server = run.server;
  const meta = [
    `Server: <code>${esc(server.base_url)}</code>${
      server.embedded ? ` ${esc(serverLabel(run).slice(server.base_url.length + 1))}` : ""
    }`,
    `Models: ${esc(server.models.slice(0, 8).join(", "))}${
      server.models.length > 8 ? ` … (${server.models.length})` : ""
    }`,
    `Mode: ${run.mode === "quick" ? "Quick" : "Full"}`,
    `Started: ${esc(run.started_at)} · finished: ${esc(run.finished_at)}`,
    `Run ID: <code>${esc(run.run_id)}</code> · fakeai-bench ${esc(run.tool_version)} · ${
      esc(`${run.host.os}/${run.host.arch}, ${run.host.cpus} CPUs, Deno ${run.host.deno}`)
    }`,
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="fakeai-bench ${esc(run.tool_version)}">
<title>fakeai-bench ${run.predicted ? "prediction" : "report"} · ${esc(timestamp(now))}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>FakeAI Performance Benchmark Report</h1>
${meta.map((m) => `<p class="meta">${m}</p>`).join("\n")}
${
    run.predicted
      ? `<div class="banner predicted">Predicted by the engine twin: ${
        esc(run.predicted.model)
      } on ${run.predicted.tp} × ${
        esc(run.predicted.gpu)
      } under vLLM. No request was sent; nothing here was measured.</div>`
      : ""
  }${
    run.interrupted
      ? `<div class="banner">Interrupted: this run was stopped early; results cover what completed.</div>`
      : ""
  }
</header>
<main>
<section id="headline">
<h2>Headline numbers</h2>
<p class="meta">Marks use the original guide's interpretation bands ("Interpreting Metrics"; targets from "Performance Targets"). Suite-level latencies pool every request of the suite.</p>
${head.join("\n")}
</section>
${guideHtml}
<section id="charts">
<h2>Charts</h2>
${chartHtml.length ? chartHtml.join("\n") : `<p class="meta">No chart: no test produced data.</p>`}
</section>
<section id="tables">
<h2>Reports</h2>
<p class="meta">${esc(NAMING_NOTE)}</p>
${tables.join("\n")}
</section>
</main>
<footer>Generated by fakeai-bench ${esc(run.tool_version)} on ${esc(timestamp(now))}.</footer>
</body>
</html>
`;
}
