/**
 * Interpretation bands: when a headline number is good, a warning or poor, taken from the
 * original guide's "Interpreting Metrics" (the per-suite bands, used for the marks) with its
 * "Performance Targets" shown beside them as the target. Each suite lists its own bands
 * (`suites/<name>/analysis.ts`); this module holds what they share.
 *
 * @module
 */

import type { Better } from "./catalogue.ts";
import type { SuiteResult, TestExtra, TestResult } from "../measure/result.ts";

/** A headline number's mark. */
export type Mark = "good" | "warning" | "poor";

/** One band: thresholds on one catalogue metric; `E` is its suite's `extra` fields. */
export interface Band<E extends TestExtra = TestExtra> {
  /** Qualified metric name (`throughput.rps`). */
  metric: string;
  /** Headline label. */
  label: string;
  /** Which direction is better (as in the catalogue). */
  better: Better;
  /** Good when strictly better than this. */
  good: number;
  /** Poor when strictly worse than this; between the two is a warning. */
  poor: number;
  /** The guide's band, in words, as shown in the report. */
  rule: string;
  /** The guide's "Performance Targets" entry, when it has one. */
  target: string | null;
  /**
   * What the band rates, when not the catalogue's suite value: the value on the tests the
   * guide's band is about, or why the run cannot be rated against it ("not rated"); null
   * rates the catalogue's value.
   */
  rate?(suite: SuiteResult<E>): Rating | null;
}

/** A band's value for a suite, or why there is none to rate. */
export type Rating = { value: number | null; notRated: null } | { value: null; notRated: string };

/** A band's value to rate. */
export const rated = (value: number | null): Rating => ({ value, notRated: null });
/** Why a band cannot rate this run. */
export const notRated = (why: string): Rating => ({ value: null, notRated: why });

/** The closed-loop tests of a suite that had a success. */
export function closedTests<E extends TestExtra>(suite: SuiteResult<E>): TestResult<E>[] {
  return suite.tests.filter((t) => t.load.kind === "closed" && t.metrics.successful_requests > 0);
}

/**
 * A suite with failed requests is never "good": its mark is at best a warning, whatever its
 * headline numbers.
 */
export function suiteMark(suite: SuiteResult, marks: readonly (Mark | null)[]): Mark | null {
  let mark: Mark | null = null;
  for (const m of marks) mark = worstMark(mark, m);
  const failed = suite.tests.reduce((n, t) => n + t.metrics.failed_requests, 0);
  if (failed > 0) mark = worstMark(mark ?? "warning", "warning");
  return mark;
}

/** The mark of a value under a band (or any good/poor pair); null when there is no value. */
export function markOf(
  band: Pick<Band, "better" | "good" | "poor">,
  value: number | null,
): Mark | null {
  if (value === null || !Number.isFinite(value)) return null;
  if (band.better === "higher") {
    if (value > band.good) return "good";
    if (value < band.poor) return "poor";
    return "warning";
  }
  if (value < band.good) return "good";
  if (value > band.poor) return "poor";
  return "warning";
}

/** The worse of two marks (null counts as no information). */
export function worstMark(a: Mark | null, b: Mark | null): Mark | null {
  const order: Mark[] = ["good", "warning", "poor"];
  if (a === null) return b;
  if (b === null) return a;
  return order.indexOf(a) >= order.indexOf(b) ? a : b;
}
