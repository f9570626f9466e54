/**
 * A max-load search in the reports: the answer as a range and every probe with its
 * attainment's 95% interval.
 *
 * @module
 */

import type { SuiteResult } from "../measure/result.ts";
import { type Block, heading, para, table } from "./doc.ts";
import { fixed } from "./format.ts";

/** The search sections of a suite's report. */
export function searchBlocks(suite: SuiteResult): Block[] {
  const out: Block[] = [];
  for (const t of suite.tests) {
    const s = t.extra.search;
    if (!s) continue;
    const unit = s.kind === "rate" ? "req/s" : "concurrent";
    out.push(heading(2, `Max-load search: ${t.name}`));
    out.push(
      para(
        s.sustained === null
          ? `No level reached ${fixed(s.target_pct, 1)}% SLO attainment (${s.stopped}).`
          : `Sustains ${s.sustained}${s.failed_at !== null ? `–${s.failed_at}` : "+"} ${unit} ` +
            `at ${fixed(s.target_pct, 1)}% SLO attainment: ${s.sustained} ${unit} passed ` +
            (s.failed_at !== null ? `and ${s.failed_at} ${unit} did not` : "and no level failed") +
            ` (${s.stopped}). A level passes when the 95% lower bound of its attainment ` +
            "(Wilson score interval) reaches the target, so a short probe cannot pass by luck." +
            (s.capacity
              ? ` The search began from the server's measured capacity: ${
                fixed(s.capacity.rps, 2)
              } req/s completed with ${s.capacity.concurrency} requests in flight; no probe ` +
                "went above it."
              : ""),
      ),
      table(
        [
          "Probe",
          s.kind === "rate" ? "Rate" : "Concurrency",
          "Requests",
          "Met",
          "Attainment",
          "95% interval",
          "Result",
        ],
        s.probes.map((p, i) => [
          String(i + 1),
          String(p.level),
          String(p.requests),
          String(p.met),
          `${fixed(p.attainment_pct, 1)}%`,
          `${fixed(p.low_pct, 1)}–${fixed(p.high_pct, 1)}%`,
          p.pass ? "pass" : "fail",
        ]),
      ),
    );
  }
  return out;
}
