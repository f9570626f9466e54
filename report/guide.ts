/**
 * The guide's promises against a run, as the summary and the HTML report show them: one table
 * of every check (`analysis/guide.ts` makes them) and a recommendation for each miss.
 *
 * @module
 */

import type { GuideCheck, GuideVerdict } from "../analysis/guide.ts";
import { type Block, heading, para, table, type Text } from "./doc.ts";
import { mdCell } from "./format.ts";

const VERDICT: Record<GuideVerdict, Text> = {
  meets: "meets",
  exceeds: "better than expected",
  misses: { strong: "misses" },
  target: "target",
  acceptable: "acceptable",
  poor: { strong: "poor" },
  "not comparable": { em: "not comparable" },
};

/** A row of the summary's table. */
type Row = Omit<GuideCheck, "source"> & { source: string };

/** The checks, a suite none of whose promises is comparable (for one reason) as one row. */
function collapsed(checks: readonly GuideCheck[]): Row[] {
  const out: Row[] = [];
  for (const suite of new Set(checks.map((c) => c.suite))) {
    const mine = checks.filter((c) => c.suite === suite);
    const notes = new Set(mine.map((c) => c.note));
    if (mine.length > 1 && mine.every((c) => c.verdict === "not comparable") && notes.size === 1) {
      out.push({
        ...mine[0],
        source: "both",
        expectation: `all ${mine.length}: ${mine.map((c) => c.short).join(", ")}`,
      });
    } else out.push(...mine);
  }
  return out;
}

/** The summary's section: every promise of the guide against this run. */
export function guideBlocks(checks: readonly GuideCheck[]): Block[] {
  if (checks.length === 0) return [];
  return [
    heading(2, "Against the Guide's Expectations"),
    para(
      'The original guide\'s "Expected Results" and "Performance Targets", held against the ' +
        "tests the guide describes, run as it ran them; where this run did not, the row says " +
        '"not comparable" and why. The guide\'s figures describe FakeAI at its default ' +
        "settings: against another server they are a yardstick, not a prediction.",
    ),
    table(
      ["Suite", "Guide", "Expectation", "Measured", "Verdict", "Note"],
      collapsed(checks).map((c) => [
        c.suite,
        c.source,
        c.expectation,
        c.measured ?? "—",
        VERDICT[c.verdict],
        c.note ?? "",
      ]),
    ),
  ];
}

/** Recommendation lines for the promises this run missed (misses and poor marks). */
export function guideRecommendations(checks: readonly GuideCheck[]): string[] {
  return checks.filter((c) => c.verdict === "misses" || c.verdict === "poor").map((c) =>
    `- ⚠️ ${c.suite} ${
      c.verdict === "poor" ? "is poor against the guide's target" : "misses the guide's expectation"
    } "${c.expectation}": ${mdCell(c.note ?? c.measured ?? "")}.`
  );
}
