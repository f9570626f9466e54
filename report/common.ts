/**
 * Pieces every suite's report uses: the report's head, a test's error classes in one line, its
 * notes and error samples.
 *
 * @module
 */

import type { SuiteResult, TestResult } from "../measure/result.ts";
import { type Block, list, note, para, reportTitle } from "./doc.ts";
import { NAMING_NOTE } from "./format.ts";

/** Error-class counts as `timeout 2, http_5xx 1`, or `none`. */
export function outcomeLine(t: TestResult): string {
  const parts = Object.entries(t.metrics.outcomes)
    .filter(([k, v]) => k !== "ok" && v > 0)
    .map(([k, v]) => `${k} ${v}`);
  return parts.length ? parts.join(", ") : "none";
}

/** The notes and error samples every test section ends with. */
export function notesAndErrors(t: TestResult): Block[] {
  const out: Block[] = t.notes.map((n) => note(n));
  if (t.metrics.error_samples.length) {
    out.push(list(t.metrics.error_samples.slice(0, 5), { strong: "Sample Errors:" }));
  }
  return out;
}

/** The report's title, timestamp, interruption note and metric-name note. */
export function reportHead(title: string, suite: SuiteResult, now: Date): Block[] {
  return [...reportTitle(title, suite, now), para({ em: NAMING_NOTE })];
}
