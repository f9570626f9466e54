/**
 * What the memory suite's tests add to a test's `extra`: the memory source, the samples and
 * the leak analysis.
 *
 * @module
 */

import type { TestExtra, TestResult } from "../../measure/result.ts";
import type {
  MemoryAnalysis,
  MemoryKind,
  MemorySnapshot,
  MemorySource,
} from "../../probes/memory.ts";

/** What a memory test adds to `extra`: its source, its samples and the leak analysis. */
export interface MemoryFields extends MemoryAnalysis {
  /** Where memory was read. */
  memory_source: MemorySource;
  /** Quantity fitted. */
  memory_kind: MemoryKind;
  /** Samples, in time order. */
  snapshots: MemorySnapshot[];
  /** Idle seconds sampled before the load. */
  baseline_s: number;
  /** Idle seconds sampled after the load. */
  drain_s: number;
  /** Seconds between samples. */
  sample_interval_s: number;
  /** Load phase start (s since the test's first sample). */
  load_start_s: number;
  /** Load phase end (s since the test's first sample). */
  load_end_s: number;
  /** Requests completed during the load (any outcome). */
  completed_requests: number;
}

/**
 * The memory suite's fields of a test's `extra`. All optional: a test that could not sample
 * has none, and results read back from an older suite JSON carry `leak_detected` instead of
 * a verdict.
 */
export interface MemoryExtra extends TestExtra, Partial<MemoryFields> {
  /** The original suite's leak flag (suite JSON only). */
  leak_detected?: boolean;
}

/** A test of the memory suite. */
export type MemoryTestResult = TestResult<MemoryExtra>;
