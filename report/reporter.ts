/**
 * What a suite gives the reports: the file its results go to, its report as blocks, its JSON,
 * its section of the summary, and, optionally, its own recommendations, console rows and
 * charts. Each suite's `report.ts` implements one; the registry hands them to
 * {@linkcode writeReports} (`report/mod.ts`).
 *
 * @module
 */

import type { RunResult, SuiteResult, TestExtra, TestResult } from "../measure/result.ts";
import type { SuiteAnalysis } from "../analysis/run.ts";
import type { Block } from "./doc.ts";

/** How one suite's results become files; `E` is the suite's `extra` fields. */
export interface SuiteReporter<E extends TestExtra = TestExtra> {
  /** File base name, e.g. `throughput_results`. */
  file: string;
  /** Section title in the summary and the HTML report. */
  title: string;
  /** The suite's report as blocks (rendered to Markdown and to HTML). */
  doc(suite: SuiteResult<E>, run: RunResult, analysis: SuiteAnalysis, now: Date): Block[];
  /** The suite's JSON document (an array of per-test objects). */
  json(suite: SuiteResult<E>, run: RunResult, analysis: SuiteAnalysis): unknown[];
  /** The suite's section body in `BENCHMARK_SUMMARY.md`. */
  summary(suite: SuiteResult<E>, run: RunResult): string;
  /** Recommendation lines of its own (after the common ones of each test). */
  recommendations?(suite: SuiteResult<E>): string[];
  /** Recommendation lines about one test (after the common ones). */
  testRecommendations?(test: TestResult<E>): string[];
  /** Rows of its own in a test's console table. */
  consoleRows?(test: TestResult<E>): [string, string][];
  /**
   * Charts of its own for one test; `file` names a chart file (unique in the suite), `slug`
   * names the test.
   */
  testCharts?(test: TestResult<E>, file: (base: string) => string, slug: string): Chart[];
}

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
