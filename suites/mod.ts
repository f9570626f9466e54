/**
 * The suite registry: every suite this build has, by name.
 *
 * @module
 */

import type * as Result from "../measure/result.ts";
import type { SuiteName } from "../measure/result.ts";
import type { SuiteExtra } from "./results.ts";

export type { SuiteExtra };
import type { Suite } from "./suite.ts";
import { throughputSuite } from "./throughput.ts";
import { kvCacheSuite } from "./kv_cache.ts";
import { concurrentSuite } from "./concurrent.ts";
import { memorySuite } from "./memory.ts";

export { runSuite, skippedSuite } from "./suite.ts";
export type { Suite, SuiteHooks, TestDef } from "./suite.ts";

/** A test's result with every suite's `extra` fields typed. */
export type TestResult = Result.TestResult<SuiteExtra>;

/** A suite's result with every suite's `extra` fields typed. */
export type SuiteResult = Result.SuiteResult<SuiteExtra>;

/** A run's result with every suite's `extra` fields typed. */
export type RunResult = Result.RunResult<SuiteExtra>;

/** Every suite this build has, by name. */
export const SUITES: Partial<Record<SuiteName, Suite<SuiteExtra>>> = {
  throughput: throughputSuite,
  "kv-cache": kvCacheSuite,
  concurrent: concurrentSuite,
  memory: memorySuite,
};
