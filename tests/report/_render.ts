/**
 * Reports of synthetic results as a run writes them: analysed once with the registry's
 * catalogue and suites, then rendered.
 *
 * @module
 */

import type { RunResult, SuiteResult } from "../../measure/result.ts";
import { analyzeReports, reporterOf } from "../../engine/run.ts";
import { analyzeSuite, type SuiteAnalysis } from "../../analysis/run.ts";
import { CATALOGUE, suiteNamed } from "../../suites/registry.ts";
import { headlineTiles, reportHtml } from "../../report/html.ts";
import { summaryMarkdown } from "../../report/summary.ts";
import { toMarkdown } from "../../report/doc.ts";
import { type Chart, suiteCharts } from "../../report/charts.ts";
import { writeReports } from "../../report/mod.ts";

/** Write a run's report set into `dir`, as a run does. */
export function writeRunReports(run: RunResult, dir: string, now?: Date): Promise<string[]> {
  return writeReports(run, analyzeReports(run), reporterOf, dir, now);
}

/** A suite's analysis, as a run computes it. */
export function analysisOf(suite: SuiteResult): SuiteAnalysis {
  return analyzeSuite(suite, CATALOGUE, suiteNamed(suite.suite));
}

/** `report.html` of a run. */
export function htmlOf(run: RunResult, now?: Date): string {
  const a = analyzeReports(run);
  const charts = new Map<string, Chart[]>();
  for (const s of run.suites) {
    const sa = a.suites.get(s.suite);
    if (sa) charts.set(s.suite, suiteCharts(s, sa, reporterOf(s.suite)));
  }
  return reportHtml(run, a, reporterOf, now, charts);
}

/** `BENCHMARK_SUMMARY.md` of a run. */
export function summaryOf(run: RunResult, now?: Date): string {
  return summaryMarkdown(run, analyzeReports(run), reporterOf, now);
}

/** A suite's headline tiles (HTML) and its mark. */
export function tilesOf(suite: SuiteResult): { html: string; mark: string | null } {
  const a = analysisOf(suite);
  return { html: headlineTiles(a), mark: a.mark };
}

/** A suite's Markdown report, as `writeReports` writes it (without the chart links). */
export function suiteMarkdown(suite: SuiteResult, run?: RunResult, now?: Date): string {
  const rep = reporterOf(suite.suite)!;
  return toMarkdown(rep.doc(suite, run ?? runOf(suite), analysisOf(suite), now ?? new Date()));
}

/** A suite's JSON document, as `writeReports` writes it. */
export function suiteJson(suite: SuiteResult, run?: RunResult): Record<string, unknown>[] {
  return reporterOf(suite.suite)!.json(suite, run ?? runOf(suite), analysisOf(suite)) as Record<
    string,
    unknown
  >[];
}

/** A suite's charts, as `writeReports` draws them. */
export function chartsOf(suite: SuiteResult): Chart[] {
  return suiteCharts(suite, analysisOf(suite), reporterOf(suite.suite));
}

function runOf(suite: SuiteResult): RunResult {
  return {
    tool_version: "test",
    run_id: "test",
    started_at: "",
    finished_at: "",
    mode: "full",
    plan: {},
    server: {
      base_url: "http://127.0.0.1:1",
      embedded: true,
      pid: null,
      models: [],
      server_header: null,
      health_status: 200,
    },
    host: { hostname: "", os: "", arch: "", cpus: 1, deno: "" },
    suites: [suite],
    interrupted: false,
  };
}
