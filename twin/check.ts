/**
 * The twin held against the calibration set: every stage predicted, its errors against what was
 * measured, and the medians the twin is judged by. `deno task twin:check` prints it; a test
 * holds the medians to their bounds; `docs/twin.md` keeps the table.
 *
 * @module
 */

import {
  type CalibrationExperiment,
  predictExperiment,
  readCalibration,
  type StagePrediction,
} from "./calibration.ts";
import type { TwinCoefficients } from "./timing.ts";
import calibration from "./data/calibration.json" with { type: "json" };
import models from "./data/models.json" with { type: "json" };

/** The calibration set shipped in `twin/data/` (vLLM on H100 SXM). */
export function calibrationSet(): CalibrationExperiment[] {
  return readCalibration(
    calibration as unknown as Record<string, unknown>,
    models as unknown as Record<string, unknown>,
  );
}

/** One stage's prediction and its relative errors ((predicted − measured) / measured). */
export interface StageCheck {
  /** The prediction (its stage holds the measurement). */
  prediction: StagePrediction;
  /** E2E mean error. */
  e2eMean: number;
  /** E2E p90 error. */
  e2eP90: number;
  /** Decode time per token error. */
  decodePerToken: number;
  /** TTFT mean error. */
  ttftMean: number;
  /** Measured overloaded and predicted so, or neither. */
  overloadAgrees: boolean;
}

/** Medians of the absolute errors over the stages not measured overloaded. */
export interface CheckSummary {
  /** Every stage. */
  stages: StageCheck[];
  /** Median |error| of the E2E mean. */
  e2eMean: number;
  /** Median |error| of the E2E p90. */
  e2eP90: number;
  /** Median |error| of the decode time per token. */
  decodePerToken: number;
  /** Median |error| of the TTFT mean. */
  ttftMean: number;
  /** Largest |error| of an E2E mean. */
  worstE2eMean: number;
  /** Every stage's overload predicted as measured. */
  overloadsAgree: boolean;
}

const rel = (predicted: number, measured: number) => (predicted - measured) / measured;

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Check the coefficients against experiments (default: the shipped calibration set). */
export function checkTwin(
  coefficients: TwinCoefficients,
  experiments: readonly CalibrationExperiment[] = calibrationSet(),
): CheckSummary {
  const stages: StageCheck[] = experiments.flatMap((e) =>
    predictExperiment(e, coefficients).map((p) => ({
      prediction: p,
      e2eMean: rel(p.e2e.mean, p.stage.e2e.mean),
      e2eP90: rel(p.e2e.p90, p.stage.e2e.p90),
      decodePerToken: rel(p.decodePerToken, p.stage.decodePerToken),
      ttftMean: rel(p.ttft.mean, p.stage.ttft.mean),
      overloadAgrees: p.overloaded === p.stage.failed > 0,
    }))
  );
  // A stage measured overloaded has latencies set by the client's timeout: only its overload
  // is judged.
  const judged = stages.filter((s) => !(s.prediction.stage.failed > 0));
  const abs = (f: (s: StageCheck) => number) => judged.map((s) => Math.abs(f(s)));
  return {
    stages,
    e2eMean: median(abs((s) => s.e2eMean)),
    e2eP90: median(abs((s) => s.e2eP90)),
    decodePerToken: median(abs((s) => s.decodePerToken)),
    ttftMean: median(abs((s) => s.ttftMean)),
    worstE2eMean: Math.max(...abs((s) => s.e2eMean)),
    overloadsAgree: stages.every((s) => s.overloadAgrees),
  };
}

const pct = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)}%`;
const sec = (x: number) => (x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

/** A Markdown table with its columns padded to their widths (as `deno fmt` leaves it). */
function alignedTable(head: readonly string[], rows: readonly string[][]): string {
  const widths = head.map((h, i) => Math.max(3, h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** The check as a Markdown table and a line of medians. */
export function checkTable(summary: CheckSummary): string {
  const rows = summary.stages.map((s) => {
    const p = s.prediction, m = p.stage;
    const over = m.failed > 0;
    const err = (x: number) => (over ? "—" : pct(x));
    return [
      m.experiment,
      String(m.rate),
      `${sec(m.ttft.mean)} / ${sec(p.ttft.mean)}`,
      `${sec(m.e2e.mean)} / ${sec(p.e2e.mean)}`,
      err(s.e2eMean),
      err(s.e2eP90),
      err(s.decodePerToken),
      err(s.ttftMean),
      `${over ? "yes" : "no"} / ${p.overloaded ? "yes" : "no"}`,
    ];
  });
  return [
    alignedTable([
      "experiment",
      "rate/s",
      "TTFT mean s (measured / twin)",
      "E2E mean s (measured / twin)",
      "E2E mean",
      "E2E p90",
      "decode/token",
      "TTFT mean",
      "overloaded (measured / twin)",
    ], rows),
    "",
    `Median absolute error: E2E mean ${(summary.e2eMean * 100).toFixed(1)}%, E2E p90 ${
      (summary.e2eP90 * 100).toFixed(1)
    }%, decode per token ${(summary.decodePerToken * 100).toFixed(1)}%, TTFT mean ${
      (summary.ttftMean * 100).toFixed(1)
    }%.`,
    "",
    `Worst E2E mean error ${(summary.worstE2eMean * 100).toFixed(1)}%; overloaded stages ${
      summary.overloadsAgree ? "all predicted overloaded" : "NOT all predicted overloaded"
    }.`,
  ].join("\n");
}

/** Markers around the check's table in `docs/twin.md`. */
export const CHECK_MARKERS = ["<!-- twin:check -->", "<!-- /twin:check -->"] as const;

/** `doc` with the table between its markers replaced by `table`. Throws when a marker is missing. */
export function withCheckTable(doc: string, table: string): string {
  const [open, close] = CHECK_MARKERS;
  const a = doc.indexOf(open), b = doc.indexOf(close);
  if (a < 0 || b < a) throw new Error(`docs/twin.md lacks the markers ${open} … ${close}`);
  return `${doc.slice(0, a + open.length)}\n\n${table}\n\n${doc.slice(b)}`;
}
