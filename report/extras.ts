/**
 * The sections any test may add to its suite's report, whatever the suite: its workload, SLO
 * attainment and goodput, steady state, time to failure, the server's own metrics and, for a
 * repeated test, its metrics over the repeats.
 *
 * @module
 */

import type { TestResult } from "../measure/result.ts";
import { type SuiteAnalysis, testRepeatOf } from "../analysis/run.ts";
import type { Block } from "./doc.ts";
import { serverBlocks } from "./server.ts";
import { failureBlocks, sloBlocks, steadyBlocks } from "./slo.ts";
import { workloadBlocks } from "./workload.ts";
import { testRepeatBlocks } from "./repeat.ts";

/** Every generic section of a test, in report order (empty when it has none). */
export function extraBlocks(t: TestResult, a?: SuiteAnalysis): Block[] {
  return [
    ...workloadBlocks(t),
    ...sloBlocks(t),
    ...steadyBlocks(t),
    ...failureBlocks(t),
    ...serverBlocks(t),
    ...testRepeatBlocks(testRepeatOf(a, t)),
  ];
}
