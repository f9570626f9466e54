/**
 * Writes a run's report set into its output folder: per-suite Markdown and JSON with the
 * original file names, `BENCHMARK_SUMMARY.md`, `charts/*.svg`, `report.html` and `run.json`.
 * Every file is written atomically. What the reports say comes from the run's analysis
 * (`analysis/run.ts`), computed once; each suite's own sections from its reporter.
 *
 * @module
 */

import { join } from "node:path";
import type { RunResult } from "../measure/result.ts";
import type { RunAnalysis } from "../analysis/run.ts";
import type { SuiteReporter } from "./reporter.ts";
import { summaryMarkdown } from "./summary.ts";
import { SCHEMA_VERSION } from "./json.ts";
import { writeFileAtomic, writeJsonAtomic } from "./write.ts";
import { type Chart, chartLinksOf, suiteCharts } from "./charts.ts";
import { reportHtml } from "./html.ts";
import { toMarkdown } from "./doc.ts";

export type { SuiteReporter };

/** Finds the reporter of a suite by name (undefined for a suite this build lacks). */
export type ReporterOf = (suite: string) => SuiteReporter | undefined;

/** The Markdown report of a suite that an interrupt kept from starting. */
export function notStartedMarkdown(title: string, reason: string): string {
  return `# ${title} Benchmark Results\n\n> **Interrupted:** ${reason}; no test of this ` +
    `suite ran.\n`;
}

/**
 * `run.json`: everything about the run, with the schema version (and, for suites with repeated
 * tests, their `repeat` statistics).
 */
export function runJson(run: RunResult, analysis: RunAnalysis): Record<string, unknown> {
  // A suite with repeated tests carries its catalogue metrics over the repeats.
  const suites = run.suites.map((s) => {
    const repeat = analysis.suites.get(s.suite)?.repeat ?? null;
    return repeat ? { ...s, repeat } : s;
  });
  return { schema_version: SCHEMA_VERSION, ...run, suites };
}

/** Write every report of a run; returns the paths written. */
export async function writeReports(
  run: RunResult,
  analysis: RunAnalysis,
  reporterOf: ReporterOf,
  dir: string,
  now: Date = new Date(),
): Promise<string[]> {
  const written: string[] = [];
  const put = async (name: string, data: string) => {
    const path = join(dir, name);
    await writeFileAtomic(path, data);
    written.push(path);
  };
  const charts = new Map<string, Chart[]>();
  for (const suite of run.suites) {
    const rep = reporterOf(suite.suite);
    if (rep && suite.skipped !== null && suite.interrupted) {
      // An interrupt kept this suite from starting: its files still exist, marked so.
      await put(`${rep.file}.md`, notStartedMarkdown(rep.title, suite.skipped));
      await put(`${rep.file}.json`, "[]\n");
      continue;
    }
    const a = analysis.suites.get(suite.suite);
    if (suite.skipped !== null || !a) continue;
    const drawn = suiteCharts(suite, a, rep);
    charts.set(suite.suite, drawn);
    for (const c of drawn) await put(join("charts", c.file), c.svg + "\n");
    if (!rep) continue;
    // Every suite's Markdown ends with links to its charts, so they show on GitHub too.
    const links = chartLinksOf(drawn);
    await put(
      `${rep.file}.md`,
      toMarkdown(rep.doc(suite, run, a, now)) + (links ? `\n${links}` : ""),
    );
    await put(`${rep.file}.json`, JSON.stringify(rep.json(suite, run, a), null, 2) + "\n");
  }
  await put("BENCHMARK_SUMMARY.md", summaryMarkdown(run, analysis, reporterOf, now));
  await put("report.html", reportHtml(run, analysis, reporterOf, now, charts));
  const runPath = join(dir, "run.json");
  await writeJsonAtomic(runPath, runJson(run, analysis));
  written.push(runPath);
  return written;
}
