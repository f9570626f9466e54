/**
 * What the concurrent suite's tests add to a test's `extra`.
 *
 * @module
 */

import type { TestExtra, TestResult } from "../../measure/result.ts";

/** The concurrent suite's fields of a test's `extra`. */
export interface ConcurrentExtra extends TestExtra {
  /** `burst`, `sustained`, `ramp` or `custom` (a scenario's test). */
  test_kind?: string;
  /** Closed-loop concurrency (null for an open loop). */
  concurrent_connections?: number | null;
  /** Successes over requests sent, in percent. */
  success_rate?: number;
  /** Most requests in flight at once (open loops). */
  peak_in_flight?: number;
  /** True on the ramp level whose error rate stopped the ramp. */
  ramp_stopped?: boolean;
}

/** A test of the concurrent suite. */
export type ConcurrentTestResult = TestResult<ConcurrentExtra>;
