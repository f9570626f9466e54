/**
 * `comparison.md`: two runs side by side as `analysis/compare.ts` judged them, regressions
 * first.
 *
 * @module
 */

import {
  type Comparison,
  type LoadedRun,
  type MetricDiff,
  noiseText,
  type Verdict,
} from "../analysis/compare.ts";
import { formatMetric } from "../analysis/catalogue.ts";
import { mdCell, mdTable } from "./format.ts";

function describe(r: LoadedRun): string {
  const run = r.run;
  return r.source === "run.json"
    ? `${mdCell(r.dir)} (run ${mdCell(run.run_id)}, ${run.mode}, started ${
      mdCell(run.started_at)
    }, fakeai-bench ${mdCell(run.tool_version)})`
    : `${mdCell(r.dir)} (from the per-suite JSON files)`;
}

const VERDICT_TEXT: Record<Verdict, string> = {
  better: "better",
  worse: "worse",
  same: "same",
  "n/a": "—",
};

/** A diff's first cells in every table: metric, base, new, change. */
function diffCells(m: MetricDiff): string[] {
  return [m.name, formatMetric(m.def, m.base), formatMetric(m.def, m.next), m.change];
}

/** `comparison.md`. */
export function comparisonMarkdown(c: Comparison): string {
  const out: string[] = [
    "# Benchmark Comparison",
    "",
    `**Base:** ${describe(c.base)}  `,
    `**New:** ${describe(c.next)}`,
    "",
  ];
  for (const w of c.warnings) out.push(`> ⚠️ ${mdCell(w)}`, "");
  out.push(
    c.regressions.length ? `## ❌ Regressions (${c.regressions.length})` : "## ✅ No regressions",
    "",
  );
  if (c.regressions.length) {
    out.push(
      mdTable(
        ["Metric", "Base", "New", "Change", "Threshold"],
        c.regressions.map((m) => [...diffCells(m), m.thresholdText]),
      ),
      "",
    );
  } else {
    out.push(
      c.withinNoise.length
        ? "No metric got worse beyond both its threshold and its noise."
        : "No metric got worse beyond its threshold.",
      "",
    );
  }
  if (c.withinNoise.length) {
    out.push(
      `## Within noise (${c.withinNoise.length})`,
      "",
      "Worse beyond the threshold, but not beyond what the runs could tell apart: the two " +
        "runs' repeats do not differ significantly (Welch's t-test, 95%), or, without repeats, " +
        "the change is inside both runs' 95% intervals or below the client's timing floor. " +
        "Not counted as regressions.",
      "",
      mdTable(
        ["Metric", "Base", "New", "Change", "Threshold", "Judged against"],
        c.withinNoise.map((m) => [...diffCells(m), m.thresholdText, noiseText(m)]),
      ),
      "",
    );
  }
  out.push(
    "## All metrics",
    "",
    mdTable(
      ["Metric", "Base", "New", "Change", "Verdict", "Threshold", "Judged against"],
      c.metrics.map((m) => [
        ...diffCells(m),
        m.regression
          ? "**worse (regression)**"
          : m.withinNoise
          ? "worse (within noise)"
          : VERDICT_TEXT[m.verdict],
        m.thresholdText,
        noiseText(m),
      ]),
    ),
    "",
    "Suite-level latencies pool every request of the suite. A regression is a change in the " +
      "worse direction beyond the threshold (percent of the base value, or percentage points " +
      "for shares) and beyond the metric's noise floor, and beyond what the runs could tell " +
      "apart: when both runs repeated their tests (`--repeat`), significant against the " +
      "repeats' spread (Welch's t-test at 95%); otherwise beyond both runs' 95% intervals " +
      "from their own samples (order statistics of percentiles, the latencies' spread for " +
      "rates, Wilson's interval for shares) and, for times, the client's timing floor (its " +
      "event-loop lag p99). `--ignore-intervals` turns this off. " +
      "Override thresholds with `--threshold metric=percent`.",
    "",
  );
  if (c.tests.length) {
    out.push(
      "## Per test",
      "",
      "Informational: per-test numbers rest on fewer requests and are not gated.",
      "",
      mdTable(
        ["Suite", "Test", "Metric", "Base", "New", "Change", "Verdict"],
        c.tests.map(({ suite, test, diff }) => [
          suite,
          test,
          diff.name,
          formatMetric(diff.def, diff.base),
          formatMetric(diff.def, diff.next),
          diff.change,
          VERDICT_TEXT[diff.verdict],
        ]),
      ),
      "",
    );
  }
  return out.join("\n");
}
