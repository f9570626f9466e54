/**
 * What a suite is (a named list of tests), and the loop that runs its tests in order.
 *
 * @module
 */

import type { SuiteContext } from "../runner/runner.ts";
import type { SuiteName, SuiteResult, TestExtra, TestResult } from "../measure/result.ts";
import type { ScenarioTest } from "../plan/scenario.ts";
import type { RunPlan } from "../plan/plan.ts";
import { runRepeated } from "../capacity/repeat.ts";

/** What the plan says about the suites of a run; each suite's factory takes its own part. */
export type SuiteOptions = RunPlan["suites"];

/** One test of a suite; `E` is the suite's `extra` fields. */
export interface TestDef<E extends TestExtra = TestExtra> {
  /** Test name. */
  name: string;
  /** Run it. */
  run(ctx: SuiteContext): Promise<TestResult<E>>;
  /** Checked just before the test would start: true skips it (e.g. a ramp that stopped). */
  skip?(): boolean;
  /** False for a test that must not be repeated under `--repeat` (a search: its probes are). */
  repeatable?: boolean;
}

/** A suite: a named list of tests; `E` is its `extra` fields. */
export interface Suite<E extends TestExtra = TestExtra> {
  /** Suite name. */
  name: SuiteName;
  /** Title for console banners. */
  title: string;
  /** The tests to run, for the context's mode. */
  tests(ctx: SuiteContext): TestDef<E>[];
  /** How a scenario file's test runs in this suite (default: a plain closed or open test). */
  custom?(test: ScenarioTest): TestDef<E>;
  /**
   * False for suites whose load is inherently one stream (cache experiments, memory over
   * time): under `--shard`/`--workers` they run whole on shard 0 only. Default true.
   */
  shardable?: boolean;
  /** Runs before the tests; a string is the reason the suite cannot run (it is skipped). */
  prepare?(ctx: SuiteContext): Promise<string | null>;
}

/** Hooks around the tests of a suite (the console uses them). */
export interface SuiteHooks<E extends TestExtra = TestExtra> {
  /** Before a suite's first test (not called for suites that are skipped). */
  beforeSuite?(suite: Suite<E>): void;
  /** Before a test starts. */
  beforeTest?(suite: Suite<E>, test: TestDef<E>, index: number, count: number): void;
  /** After a test finished. */
  afterTest?(suite: Suite<E>, result: TestResult<E>): void;
  /**
   * A result an earlier, interrupted run already has for this test (`--resume`): it is kept
   * and the test is not run again.
   */
  earlier?(suite: Suite<E>, testName: string): TestResult<E> | undefined;
  /** After a suite ended (ran, was skipped or failed). */
  afterSuite?(result: SuiteResult<E>): void;
}

/** The result of a suite that did not run, with the reason. */
export function skippedSuite<E extends TestExtra = TestExtra>(
  name: SuiteName,
  reason: string,
  interrupted = false,
): SuiteResult<E> {
  const now = new Date().toISOString();
  return {
    suite: name,
    tests: [],
    started_at: now,
    finished_at: now,
    skipped: reason,
    error: null,
    interrupted,
  };
}

/**
 * Run every test of a suite in order; stop starting tests once the context's stop signal
 * fires. A test that throws ends the suite with its error; the tests before it are kept.
 */
export async function runSuite<E extends TestExtra>(
  suite: Suite<E>,
  ctx: SuiteContext,
  hooks: SuiteHooks<E> = {},
): Promise<SuiteResult<E>> {
  const started = new Date().toISOString();
  let skipped: string | null = null;
  let prepError: string | null = null;
  try {
    skipped = suite.prepare ? await suite.prepare(ctx) : null;
  } catch (err) {
    prepError = `preparing: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (skipped !== null || prepError !== null) {
    return {
      suite: suite.name,
      tests: [],
      started_at: started,
      finished_at: new Date().toISOString(),
      skipped,
      error: prepError,
      interrupted: false,
    };
  }
  const tests: TestResult<E>[] = [];
  let error: string | null = null;
  const defs = suite.tests(ctx);
  for (const [i, def] of defs.entries()) {
    if (ctx.stop.aborted) break;
    const kept = hooks.earlier?.(suite, def.name);
    if (kept) {
      tests.push(kept);
      continue;
    }
    if (def.skip?.()) continue;
    hooks.beforeTest?.(suite, def, i, defs.length);
    try {
      const result = await runRepeated(def, ctx);
      tests.push(result);
      hooks.afterTest?.(suite, result);
    } catch (err) {
      error = `${def.name}: ${err instanceof Error ? err.message : String(err)}`;
      break;
    }
  }
  return {
    suite: suite.name,
    tests,
    started_at: started,
    finished_at: new Date().toISOString(),
    skipped: null,
    error,
    interrupted: ctx.stop.aborted,
  };
}
