/**
 * Writes a run's report set into its output folder: per-suite Markdown and JSON with the
 * original file names, `BENCHMARK_SUMMARY.md` and `run.json`. Every file is written
 * atomically.
 *
 * @module
 */

import { join } from "node:path";
import type { RunResult, SuiteName, SuiteResult } from "../core/result.ts";
import { throughputJson, throughputMarkdown, throughputSummary } from "./throughput.ts";
import { summaryMarkdown } from "./summary.ts";
import { memoryJson, memoryMarkdown, memorySummary } from "./memory.ts";
import { SCHEMA_VERSION } from "./json.ts";
import { writeFileAtomic, writeJsonAtomic } from "./write.ts";

/** How one suite's results become files. */
export interface SuiteReporter {
  /** File base name, e.g. `throughput_results`. */
  file: string;
  /** Section title in the summary. */
  title: string;
  /** The suite's Markdown report. */
  markdown(suite: SuiteResult, run: RunResult): string;
  /** The suite's JSON document (an array of per-test objects). */
  json(suite: SuiteResult, run: RunResult): unknown[];
  /** The suite's section body in `BENCHMARK_SUMMARY.md`. */
  summary(suite: SuiteResult, run: RunResult): string;
}

/** Reporters by suite. */
export const REPORTERS: Partial<Record<SuiteName, SuiteReporter>> = {
  throughput: {
    file: "throughput_results",
    title: "Throughput",
    markdown: (s) => throughputMarkdown(s),
    json: (s) => throughputJson(s),
    summary: (s) => throughputSummary(s),
  },
  memory: {
    file: "memory_results",
    title: "Memory Usage",
    markdown: (s) => memoryMarkdown(s),
    json: (s) => memoryJson(s),
    summary: (s) => memorySummary(s),
  },
};

/** `run.json`: everything about the run, with the schema version. */
export function runJson(run: RunResult): Record<string, unknown> {
  return { schema_version: SCHEMA_VERSION, ...run };
}

/** Write every report of a run; returns the paths written. */
export async function writeReports(run: RunResult, dir: string): Promise<string[]> {
  const written: string[] = [];
  const put = async (name: string, data: string) => {
    const path = join(dir, name);
    await writeFileAtomic(path, data);
    written.push(path);
  };
  for (const suite of run.suites) {
    const rep = REPORTERS[suite.suite];
    if (!rep || suite.skipped !== null) continue;
    await put(`${rep.file}.md`, rep.markdown(suite, run));
    await put(`${rep.file}.json`, JSON.stringify(rep.json(suite, run), null, 2) + "\n");
  }
  await put("BENCHMARK_SUMMARY.md", summaryMarkdown(run, REPORTERS));
  const runPath = join(dir, "run.json");
  await writeJsonAtomic(runPath, runJson(run));
  written.push(runPath);
  return written;
}
