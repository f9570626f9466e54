/**
 * What a workload test is, as the runner and the predictor both take it.
 *
 * @module
 */

import type { LoadSpec, SuiteName } from "../measure/result.ts";
import type { Payload } from "../workload/payload.ts";
import type { WorkloadSpec } from "../workload/workload.ts";

/** A workload test: its workload and how load is offered. */
export interface WorkloadTestSpec {
  /** Suite. */
  suite: SuiteName;
  /** Test name. */
  name: string;
  /** Model (and label) of the test. */
  payload: Payload;
  /** The workload. */
  workload: WorkloadSpec;
  /**
   * The load: closed or open; with turns, `requests` counts sessions; a trace brings its own
   * schedule (the load's rate and count are then unused).
   */
  load: Exclude<LoadSpec, { kind: "sequential" }> & { max_queue_delay_ms?: number | null };
}
