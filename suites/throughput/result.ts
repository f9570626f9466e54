/**
 * What the throughput suite's tests add to a test's `extra`: nothing of their own (every field
 * they carry is one any test may carry).
 *
 * @module
 */

import type { TestExtra, TestResult } from "../../measure/result.ts";

/** The throughput suite's fields of a test's `extra`: the common ones. */
export type ThroughputExtra = TestExtra;

/** A test of the throughput suite. */
export type ThroughputTestResult = TestResult<ThroughputExtra>;
