/**
 * The suite registry: every suite this build has, by name.
 *
 * @module
 */

import type { SuiteName } from "../measure/result.ts";
import type { Suite } from "./suite.ts";
import { throughputSuite } from "./throughput.ts";
import { kvCacheSuite } from "./kv_cache.ts";
import { concurrentSuite } from "./concurrent.ts";
import { memorySuite } from "./memory.ts";

export { runSuite, skippedSuite } from "./suite.ts";
export type { Suite, SuiteHooks, TestDef } from "./suite.ts";

/** Every suite this build has, by name. */
export const SUITES: Partial<Record<SuiteName, Suite>> = {
  throughput: throughputSuite,
  "kv-cache": kvCacheSuite,
  concurrent: concurrentSuite,
  memory: memorySuite,
};
