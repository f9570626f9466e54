/**
 * Repeats and confidence in the reports: the suite's catalogue metrics over its repeats, and a
 * repeated test's own table, as computed by `analysis/repeat.ts`.
 *
 * @module
 */

import type { RepeatMetric, RepeatSummary } from "../analysis/repeat.ts";
import { formatMetric } from "../analysis/catalogue.ts";
import { type Block, heading, para, table, type Text } from "./doc.ts";
import { fixed } from "./format.ts";

/** `12.3 ms – 14.5 ms`, or `—` for one repeat. */
export function intervalText(m: Pick<RepeatMetric, "unit" | "ci95_low" | "ci95_high">): string {
  return m.ci95_low === null || m.ci95_high === null
    ? "—"
    : `${formatMetric(m, m.ci95_low)} – ${formatMetric(m, m.ci95_high)}`;
}

function rows(summary: RepeatSummary): Text[][] {
  return summary.metrics.map((m) => [
    { code: m.name },
    formatMetric(m, m.mean),
    intervalText(m),
    m.cv_pct === null ? "—" : `${fixed(m.cv_pct, 1)}%`,
    m.unstable ? { strong: "unstable" } : "stable",
  ]);
}

const HEAD = ["Metric", "Mean", "95% interval", "CV", "Verdict"];

function explain(summary: RepeatSummary): string {
  const unstable = summary.metrics.filter((m) => m.unstable).map((m) => m.name);
  return `Over ${summary.repeats} repeats: the mean of each repeat's value, its 95% interval ` +
    `(Student's t, ${summary.repeats - 1} degrees of freedom) and the coefficient of variation; ` +
    `a metric whose CV is above ${fixed(summary.max_cv_pct, 1)}% is unstable` +
    (unstable.length ? ` (here: ${unstable.join(", ")}).` : " (none here).");
}

/** The suite-level repeat section (catalogue metrics over the repeats), or nothing. */
export function repeatBlocks(s: RepeatSummary | null): Block[] {
  if (!s || s.metrics.length === 0) return [];
  return [heading(2, "Repeats and Confidence"), para(explain(s)), table(HEAD, rows(s))];
}

/** A repeated test's own table of its common metrics over the repeats, or nothing. */
export function testRepeatBlocks(s: RepeatSummary | null): Block[] {
  if (!s || s.metrics.length === 0) return [];
  return [para({ strong: `Over ${s.repeats} repeats:` }), table(HEAD, rows(s))];
}
