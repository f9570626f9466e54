/**
 * What a registered suite is: one folder (`suites/<name>/`) bringing its tests, its result
 * type, its reports, its catalogue metrics, its bands, the guide's promises about it, and its
 * JSON Schema. `suites/registry.ts` lists them; nothing else names a suite.
 *
 * @module
 */

import type { TestExtra } from "../measure/result.ts";
import type { SuiteAnalyst } from "../analysis/run.ts";
import type { SuiteReporter } from "../report/reporter.ts";
import type { Suite, SuiteOptions } from "./suite.ts";

/** One suite, whole; `E` is its tests' `extra` fields. */
export interface SuiteDefinition<E extends TestExtra = TestExtra> extends SuiteAnalyst<E> {
  /** Canonical name (`kv-cache`), as `--suite`, reports and metric names use it. */
  name: string;
  /** Other spellings `--suite` and scenario files accept. */
  aliases: readonly string[];
  /** Its tests, for a run's suite options (`--quick`, `--ramp`, the memory source…). */
  create(options: SuiteOptions): Suite<E>;
  /** Its reports. */
  reporter: SuiteReporter<E>;
  /** Its JSON Schema (of `<reporter.file>.json`). */
  schema: URL;
  /** True for the suite whose built-in tests a command-line workload test replaces. */
  workloadHome?: boolean;
  /** True when its scenario tests must be open loops (memory over time needs a steady rate). */
  openLoopOnly?: boolean;
  /** The flag that leaves it out of a run (`--skip-memory`), when it has one. */
  skippedBy?: string;
}
