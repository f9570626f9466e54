/**
 * Writes a run's report set into its output folder: per-suite Markdown and JSON with the
 * original file names, `BENCHMARK_SUMMARY.md`, `charts/*.svg`, `report.html` and `run.json`.
 * Every file is written atomically.
 *
 * @module
 */

import { join } from "node:path";
import type { SuiteName } from "../measure/result.ts";
import type { RunResult } from "../suites/mod.ts";
import {
  throughputDoc,
  throughputJson,
  throughputMarkdown,
  throughputSummary,
} from "./throughput.ts";
import { kvCacheDoc, kvCacheJson, kvCacheMarkdown, kvCacheSummary } from "./kv_cache.ts";
import { type SuiteReporter, summaryMarkdown } from "./summary.ts";

export type { SuiteReporter };
import {
  concurrentDoc,
  concurrentJson,
  concurrentMarkdown,
  concurrentSummary,
} from "./concurrent.ts";
import { memoryDoc, memoryJson, memoryMarkdown, memorySummary } from "./memory.ts";
import { SCHEMA_VERSION } from "./json.ts";
import { writeFileAtomic, writeJsonAtomic } from "./write.ts";
import { type Chart, chartLinksOf, suiteCharts } from "./charts.ts";
import { reportHtml } from "./html.ts";
import { suiteRepeatSummary } from "./repeat.ts";

/** Reporters by suite. */
export const REPORTERS: Partial<Record<SuiteName, SuiteReporter>> = {
  throughput: {
    file: "throughput_results",
    title: "Throughput",
    markdown: (s) => throughputMarkdown(s),
    doc: (s) => throughputDoc(s),
    json: (s) => throughputJson(s),
    summary: (s) => throughputSummary(s),
  },
  "kv-cache": {
    file: "kv_cache_results",
    title: "KV Cache",
    markdown: (s) => kvCacheMarkdown(s),
    doc: (s) => kvCacheDoc(s),
    json: (s) => kvCacheJson(s),
    summary: (s) => kvCacheSummary(s),
  },
  concurrent: {
    file: "concurrent_results",
    title: "Concurrent Connections",
    markdown: (s) => concurrentMarkdown(s),
    doc: (s) => concurrentDoc(s),
    json: (s) => concurrentJson(s),
    summary: (s) => concurrentSummary(s),
  },
  memory: {
    file: "memory_results",
    title: "Memory Usage",
    markdown: (s) => memoryMarkdown(s),
    doc: (s) => memoryDoc(s),
    json: (s) => memoryJson(s),
    summary: (s) => memorySummary(s),
  },
};

/** The Markdown report of a suite that an interrupt kept from starting. */
export function notStartedMarkdown(title: string, reason: string): string {
  return `# ${title} Benchmark Results\n\n> **Interrupted:** ${reason}; no test of this ` +
    `suite ran.\n`;
}

/**
 * `run.json`: everything about the run, with the schema version (and, for suites with repeated
 * tests, their `repeat` statistics).
 */
export function runJson(run: RunResult): Record<string, unknown> {
  // A suite with repeated tests carries its catalogue metrics over the repeats.
  const suites = run.suites.map((s) => {
    const repeat = suiteRepeatSummary(s);
    return repeat ? { ...s, repeat } : s;
  });
  return { schema_version: SCHEMA_VERSION, ...run, suites };
}

/** Write every report of a run; returns the paths written. */
export async function writeReports(run: RunResult, dir: string): Promise<string[]> {
  const written: string[] = [];
  const put = async (name: string, data: string) => {
    const path = join(dir, name);
    await writeFileAtomic(path, data);
    written.push(path);
  };
  const charts = new Map<SuiteName, Chart[]>();
  for (const suite of run.suites) {
    const rep = REPORTERS[suite.suite];
    if (rep && suite.skipped !== null && suite.interrupted) {
      // An interrupt kept this suite from starting: its files still exist, marked so.
      await put(`${rep.file}.md`, notStartedMarkdown(rep.title, suite.skipped));
      await put(`${rep.file}.json`, "[]\n");
      continue;
    }
    if (suite.skipped !== null) continue;
    const drawn = suiteCharts(suite);
    charts.set(suite.suite, drawn);
    for (const c of drawn) await put(join("charts", c.file), c.svg + "\n");
    if (!rep) continue;
    // Every suite's Markdown ends with links to its charts, so they show on GitHub too.
    const links = chartLinksOf(drawn);
    await put(`${rep.file}.md`, rep.markdown(suite, run) + (links ? `\n${links}` : ""));
    await put(`${rep.file}.json`, JSON.stringify(rep.json(suite, run), null, 2) + "\n");
  }
  await put("BENCHMARK_SUMMARY.md", summaryMarkdown(run, REPORTERS));
  await put("report.html", reportHtml(run, REPORTERS, new Date(), charts));
  const runPath = join(dir, "run.json");
  await writeJsonAtomic(runPath, runJson(run));
  written.push(runPath);
  return written;
}
