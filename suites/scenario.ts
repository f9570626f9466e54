/**
 * Scenario tests as suite tests: a scenario file's tests replace or extend a suite's own.
 *
 * @module
 */

import { runClosedTest, runOpenTest, type SuiteContext } from "../runner/runner.ts";
import type { SearchResult, SuiteName, TestResult } from "../measure/result.ts";
import type { RequestRecord } from "../measure/record.ts";
import type { Scenario, ScenarioTest } from "../plan/scenario.ts";
import type { Suite, TestDef } from "./suite.ts";
import { runWorkloadTest, type WorkloadTestSpec } from "../runner/workload.ts";
import { pastSaturation } from "../capacity/sweep.ts";
import {
  CAPACITY_CONCURRENCY,
  CAPACITY_REQUESTS,
  searchMaxLoad,
  wilson,
} from "../capacity/search.ts";

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
  if (t.workload && t.search) return await runSearchTest(ctx, t, warm);
  if (t.workload) {
    const r = await (ctx.runWorkload ?? runWorkloadTest)(ctx, {
      suite: t.suite,
      name: t.name,
      payload: t.payload,
      workload: t.workload,
      load: workloadLoad(t, warm, ctx),
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

/** A workload test's load: the scenario's, with its warm-up, at `level` when given (a probe). */
function workloadLoad(
  t: ScenarioTest,
  warm: number | undefined,
  ctx: SuiteContext,
  level?: number,
): WorkloadTestSpec["load"] {
  const warmup = warm ?? ctx.warmup;
  return t.load.kind === "open"
    ? { ...t.load, rate: level ?? t.load.rate, warmup }
    : { ...t.load, concurrency: level ?? t.load.concurrency, warmup, max_queue_delay_ms: null };
}

/**
 * A max-load search: workload probes at the levels the search picks; the result is the best
 * passing probe's test (else the last), with every probe in `extra.search`.
 */
async function runSearchTest(
  ctx: SuiteContext,
  t: ScenarioTest,
  warm: number | undefined,
): Promise<TestResult> {
  let spec = t.search!;
  const results = new Map<number, TestResult>();
  const unit = spec.kind === "rate" ? "req/s" : "concurrent";
  const runTest = ctx.runWorkload ?? runWorkloadTest;
  let capacity: SearchResult["capacity"] = null;
  if (spec.kind === "rate" && !spec.startGiven && !ctx.stop.aborted) {
    // What the server carries at all, measured first: the answer lies below it, so no slow
    // probe at a rate far under it is needed to find where to start.
    ctx.log(
      `search: measuring capacity (${CAPACITY_REQUESTS} requests, ${CAPACITY_CONCURRENCY} in flight)`,
    );
    const cap = await runTest(ctx, {
      suite: t.suite,
      name: `${t.name} · capacity`,
      payload: t.payload,
      workload: t.workload!,
      load: {
        kind: "closed",
        concurrency: CAPACITY_CONCURRENCY,
        requests: CAPACITY_REQUESTS,
        warmup: warm ?? ctx.warmup,
        max_queue_delay_ms: null,
      },
    });
    const rps = cap.metrics.successful_requests > 0 ? cap.metrics.requests_per_second : 0;
    if (rps > 0 && !cap.interrupted) {
      capacity = { concurrency: CAPACITY_CONCURRENCY, rps };
      spec = { ...spec, ceiling: rps, start: rps / 2 };
      ctx.log(`search: capacity ${rps.toFixed(2)} req/s; probing below it`);
    }
  }
  const started = performance.now();
  const outcome = await searchMaxLoad(spec, async (level) => {
    if (ctx.stop.aborted) return null;
    const passed = [...results.entries()];
    const lo = Math.max(0, ...passed.filter(([, r]) => passes(r, spec.target)).map(([l]) => l));
    const failed = passed.filter(([, r]) => !passes(r, spec.target)).map(([l]) => l);
    const hi = failed.length ? Math.min(...failed) : spec.ceiling ?? null;
    const left = Math.max(0, spec.maxSeconds - (performance.now() - started) / 1000);
    ctx.log(
      `search: probing ${level} ${unit} (bracket ${lo || "?"}–${
        hi === null ? "?" : hi.toPrecision(4)
      } ` +
        `${unit}; at most ${left.toFixed(0)} s left)`,
    );
    const r = await runTest(ctx, {
      suite: t.suite,
      name: `${t.name} @ ${level} ${unit}`,
      payload: t.payload,
      workload: t.workload!,
      load: workloadLoad(t, warm, ctx, level),
    });
    results.set(level, r);
    if (r.interrupted || !r.extra.slo) return null;
    return { requests: r.extra.slo.requests, met: r.extra.slo.met };
  });
  const pct = (x: number) => x * 100;
  const search: SearchResult = {
    kind: spec.kind,
    target_pct: pct(spec.target),
    probes: outcome.probes.map((p) => ({
      level: p.level,
      requests: p.requests,
      met: p.met,
      attainment_pct: pct(p.attainment),
      low_pct: pct(p.low),
      high_pct: pct(p.high),
      pass: p.pass,
    })),
    sustained: outcome.sustained,
    failed_at: outcome.failedAt,
    stopped: outcome.stopped,
    capacity,
  };
  const last = outcome.probes.at(-1)?.level;
  const best = (outcome.sustained !== null ? results.get(outcome.sustained) : undefined) ??
    (last !== undefined ? results.get(last) : undefined);
  if (!best) throw new Error("the search ran no probe");
  const r: TestResult = { ...best, name: t.name, notes: [...best.notes] };
  r.extra = { ...best.extra, search, scenario: t.source };
  r.notes.push(
    outcome.sustained === null
      ? `search: no level reached ${pct(spec.target)}% SLO attainment (${outcome.stopped})`
      : `search: sustains ${outcome.sustained}${
        outcome.failedAt !== null ? `–${outcome.failedAt}` : "+"
      } ${unit} at ${pct(spec.target)}% SLO attainment (${outcome.stopped}); these metrics ` +
        `are the probe at ${outcome.sustained} ${unit}`,
  );
  ctx.log(r.notes.at(-1)!);
  return r;
}

/** A scenario test as a plain closed-loop or open-loop test. */
export function plainScenarioTest(t: ScenarioTest): TestDef {
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
  base: Suite | undefined,
  scenario: Scenario | null,
): Suite | undefined {
  const mine = scenario?.tests.filter((t) => t.suite === name) ?? [];
  if (!scenario || mine.length === 0) return base;
  const replace = scenario.replace.includes(name);
  // Sweeps whose latest point was past saturation: their later points do not run.
  const stopped = new Map<string, string>();
  const toDef = (t: ScenarioTest): TestDef => {
    // A workload test runs as it is in any suite; the suite's own custom tests take payloads.
    const def = (t.workload ? undefined : base?.custom?.(t)) ?? plainScenarioTest(t);
    return {
      ...def,
      // A search is not repeated: each of its probes carries its own interval.
      repeatable: t.search === undefined && def.repeatable !== false,
      skip: () => (t.sweep !== undefined && stopped.has(t.sweep.id)) || (def.skip?.() ?? false),
      run: async (runCtx) => {
        // A test's own SLOs stand in for the run's.
        const ctx = t.slos ? { ...runCtx, slos: t.slos } : runCtx;
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

/** True when a probe's attainment interval reached the target. */
function passes(r: TestResult, target: number): boolean {
  const slo = r.extra.slo;
  return !!slo && slo.requests > 0 && wilson(slo.met, slo.requests).low >= target;
}
