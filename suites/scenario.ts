/**
 * Scenario tests as suite tests: a scenario file's tests replace or extend a suite's own.
 *
 * @module
 */

import { runClosedTest, runOpenTest, type SuiteContext } from "../runner/runner.ts";
import type { SuiteName, TestResult } from "../measure/result.ts";
import type { SuiteExtra } from "./results.ts";
import type { RequestRecord } from "../measure/record.ts";
import type { Scenario, ScenarioTest } from "../cli/scenario.ts";
import type { Suite, TestDef } from "./suite.ts";
import { runWorkloadTest, type WorkloadTestSpec } from "../runner/workload.ts";
import { pastSaturation } from "../capacity/sweep.ts";

/**
 * Run a scenario test as a plain closed-loop or open-loop test; `onRecord` sees every counted
 * request, `warmup` overrides the default warm-up when the file gives none.
 */
export async function runScenarioTest(
  ctx: SuiteContext,
  t: ScenarioTest,
  onRecord?: (rec: RequestRecord) => void,
  warmup?: number,
): Promise<TestResult> {
  const warm = t.load.warmup ?? warmup;
  if (t.workload) {
    const { max_queue_delay_ms, ...load } = t.load.kind === "open"
      ? t.load
      : { ...t.load, max_queue_delay_ms: null };
    const r = await runWorkloadTest(ctx, {
      suite: t.suite,
      name: t.name,
      payload: t.payload,
      workload: t.workload,
      load: { ...load, warmup: warm ?? ctx.warmup, max_queue_delay_ms } as WorkloadTestSpec["load"],
    });
    r.extra.scenario = t.source;
    return r;
  }
  const r = t.load.kind === "closed"
    ? await runClosedTest(ctx, {
      suite: t.suite,
      name: t.name,
      payload: t.payload,
      requests: t.load.requests,
      concurrency: t.load.concurrency,
      warmup: warm,
      onRecord,
    })
    : await runOpenTest(ctx, {
      suite: t.suite,
      name: t.name,
      payload: t.payload,
      rate: t.load.rate,
      durationS: t.load.duration_s,
      requests: t.load.requests,
      arrival: t.load.arrival,
      maxInFlight: t.load.max_in_flight,
      warmup: warm,
      maxQueueDelayMs: t.load.max_queue_delay_ms ?? undefined,
      onRecord,
    });
  r.extra.scenario = t.source;
  return r;
}

/** A scenario test as a plain closed-loop or open-loop test. */
export function plainScenarioTest(t: ScenarioTest): TestDef<SuiteExtra> {
  return { name: t.name, run: (ctx: SuiteContext) => runScenarioTest(ctx, t) };
}

/**
 * The suite `name` with a scenario applied: its tests from the file appended to the built-in
 * ones, or in their place when the file replaces the suite. `base` may be absent (a suite this
 * build lacks): then only the file's tests run. Returns `base` unchanged when the file has
 * nothing for the suite.
 */
export function withScenario(
  name: SuiteName,
  base: Suite<SuiteExtra> | undefined,
  scenario: Scenario | null,
): Suite<SuiteExtra> | undefined {
  const mine = scenario?.tests.filter((t) => t.suite === name) ?? [];
  if (!scenario || mine.length === 0) return base;
  const replace = scenario.replace.includes(name);
  // Sweeps whose latest point was past saturation: their later points do not run.
  const stopped = new Map<string, string>();
  const toDef = (t: ScenarioTest): TestDef<SuiteExtra> => {
    // A workload test runs as it is in any suite; the suite's own custom tests take payloads.
    const def = (t.workload ? undefined : base?.custom?.(t)) ?? plainScenarioTest(t);
    return {
      ...def,
      skip: () => (t.sweep !== undefined && stopped.has(t.sweep.id)) || (def.skip?.() ?? false),
      run: async (ctx) => {
        const r = await def.run(ctx);
        r.extra.scenario = t.source;
        if (t.sweep) {
          r.extra.sweep = t.sweep;
          const why = pastSaturation(r);
          r.extra.saturated_because = why;
          if (why) {
            stopped.set(t.sweep.id, why);
            r.notes.push(`past saturation: ${why}; the sweep stops here`);
            ctx.log(`sweep: stops after ${t.name}: ${why}`);
          }
        }
        return r;
      },
    };
  };
  return {
    ...base,
    name,
    title: base?.title ?? `${name.toUpperCase()} BENCHMARKS`,
    tests: (ctx) => [...(replace || !base ? [] : base.tests(ctx)), ...mine.map(toDef)],
  };
}
