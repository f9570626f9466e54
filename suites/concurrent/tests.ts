/**
 * Concurrent suite: how latency and errors behave from 10 to 200 concurrent connections
 * (closed-loop bursts, each on one shared connection pool), and under a sustained arrival rate
 * (a real open-loop schedule, free of coordinated omission). An optional ramp-up (`--ramp`)
 * raises concurrency until the error rate passes 10%.
 *
 * @module
 */

import type { RequestRecord } from "../../measure/record.ts";
import type { TestResult } from "../../measure/result.ts";
import type { ConcurrentExtra, ConcurrentTestResult } from "./result.ts";

export type { ConcurrentExtra, ConcurrentTestResult };
import { runClosedTest, runOpenTest, type SuiteContext } from "../../runner/runner.ts";
import type { Payload } from "../../workload/payload.ts";
import type { ScenarioTest } from "../../plan/scenario.ts";
import type { Suite, TestDef } from "../suite.ts";
import { runScenarioTest } from "../scenario.ts";

/** The original suite's payload for every test. */
export const CONCURRENT_PAYLOAD: Payload = {
  label: "concurrent",
  model: "meta-llama/Llama-3.1-8B-Instruct",
  messages: [{ role: "user", content: "Hello, how are you?" }],
  max_tokens: 50,
  stream: false,
};

/** A burst: `requests` at `concurrency`. */
export interface Burst {
  /** Test name. */
  name: string;
  /** Counted requests. */
  requests: number;
  /** Requests in flight at once. */
  concurrency: number;
}

/** The original's four bursts, in order. */
export const BURSTS: readonly Burst[] = [
  { name: "10 Concurrent Connections", requests: 100, concurrency: 10 },
  { name: "50 Concurrent Connections", requests: 200, concurrency: 50 },
  { name: "100 Concurrent Connections", requests: 300, concurrency: 100 },
  { name: "200 Concurrent Connections", requests: 400, concurrency: 200 },
];

/** Quick mode's single burst. */
export const QUICK_BURST: Burst = {
  name: "Quick Concurrency Test",
  requests: 50,
  concurrency: 10,
};

/** The sustained open-loop test: rate, duration and name. */
export const SUSTAINED = { name: "Sustained Load 10 RPS for 30s", rate: 10, durationS: 30 };

/** Ramp-up: concurrency levels, requests per level, and the error rate that stops it. */
export const RAMP = {
  levels: [20, 40, 60, 80, 100, 120, 140, 160, 180, 200] as readonly number[],
  requestsPerConnection: 2,
  maxErrorRate: 0.1,
  pauseMs: 2000,
};

/** Successes over requests sent, in percent (0 when nothing was sent). */
export function successRate(t: TestResult): number {
  const m = t.metrics;
  return m.total_requests > 0 ? (m.successful_requests / m.total_requests) * 100 : 0;
}

/** Add the suite's own fields to a result (`concurrent_connections`, `success_rate`…). */
export function withConcurrentFields(
  result: TestResult,
  kind: string,
  peak?: number,
): ConcurrentTestResult {
  const t: ConcurrentTestResult = result;
  t.extra.test_kind = kind;
  t.extra.concurrent_connections = t.load.kind === "closed" ? t.load.concurrency : null;
  t.extra.success_rate = successRate(t);
  if (peak !== undefined) t.extra.peak_in_flight = peak;
  return t;
}

/** Tracks the most requests in flight at once, from records' send and end times. */
export class PeakTracker {
  #events: [number, number][] = [];
  /** Add one finished request. */
  add(r: RequestRecord): void {
    this.#events.push([r.tSend, 1], [r.tEnd, -1]);
  }
  /** The peak number of overlapping requests. */
  peak(): number {
    const ev = this.#events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let cur = 0, peak = 0;
    for (const [, d] of ev) {
      cur += d;
      if (cur > peak) peak = cur;
    }
    return peak;
  }
}

/** A burst test on one shared connection pool. */
export function burstTest(
  b: Burst,
  payload: Payload = CONCURRENT_PAYLOAD,
  kind = "burst",
): TestDef<ConcurrentExtra> {
  return {
    name: b.name,
    run: async (ctx: SuiteContext) =>
      withConcurrentFields(
        await runClosedTest(ctx, {
          suite: "concurrent",
          name: b.name,
          payload,
          requests: b.requests,
          concurrency: b.concurrency,
        }),
        kind,
      ),
  };
}

/** The sustained open-loop test. */
export function sustainedTest(): TestDef<ConcurrentExtra> {
  return {
    name: SUSTAINED.name,
    run: async (ctx: SuiteContext) => {
      const peak = new PeakTracker();
      const r = await runOpenTest(ctx, {
        suite: "concurrent",
        name: SUSTAINED.name,
        payload: CONCURRENT_PAYLOAD,
        rate: SUSTAINED.rate,
        durationS: SUSTAINED.durationS,
        arrival: "constant",
        onRecord: (rec) => peak.add(rec),
      });
      return withConcurrentFields(r, "sustained", peak.peak());
    },
  };
}

/**
 * The ramp-up steps. Each step after the first waits `RAMP.pauseMs`; once a step's error rate
 * passes `RAMP.maxErrorRate`, the remaining steps are skipped and that step carries a note.
 */
export function rampTests(): TestDef<ConcurrentExtra>[] {
  let stopped = false;
  return RAMP.levels.map((c, i): TestDef<ConcurrentExtra> => {
    const name = `Ramp-Up ${c} concurrent`;
    return {
      name,
      skip: () => stopped,
      run: async (ctx: SuiteContext) => {
        if (i > 0) await ctx.clock.sleepUntil(ctx.clock.now() + RAMP.pauseMs, ctx.stop);
        const r = withConcurrentFields(
          await runClosedTest(ctx, {
            suite: "concurrent",
            name,
            payload: CONCURRENT_PAYLOAD,
            requests: c * RAMP.requestsPerConnection,
            concurrency: c,
          }),
          "ramp",
        );
        const m = r.metrics;
        const errorRate = m.total_requests > 0 ? m.failed_requests / m.total_requests : 0;
        if (errorRate > RAMP.maxErrorRate) {
          stopped = true;
          r.extra.ramp_stopped = true;
          r.notes.push(
            `ramp-up stopped here: error rate ${(errorRate * 100).toFixed(2)}% exceeds ` +
              `${RAMP.maxErrorRate * 100}%`,
          );
        }
        return r;
      },
    };
  });
}

/** A scenario file's test in this suite: the generic test plus the suite's fields. */
export function concurrentCustomTest(t: ScenarioTest): TestDef<ConcurrentExtra> {
  return {
    name: t.name,
    run: async (ctx: SuiteContext) => {
      const peak = new PeakTracker();
      const r = await runScenarioTest(ctx, t, (rec) => peak.add(rec));
      return withConcurrentFields(r, "custom", t.load.kind === "open" ? peak.peak() : undefined);
    },
  };
}

/** The concurrent suite; `ramp` adds the ramp-up (`--ramp`). */
export function concurrentSuite(opts: { ramp: boolean } = { ramp: false }): Suite<ConcurrentExtra> {
  return {
    name: "concurrent",
    title: "CONCURRENT CONNECTION BENCHMARKS",
    tests: (ctx) => {
      const tests = ctx.quick
        ? [burstTest(QUICK_BURST, CONCURRENT_PAYLOAD, "burst")]
        : [...BURSTS.map((b) => burstTest(b)), sustainedTest()];
      if (opts.ramp) tests.push(...rampTests());
      return tests;
    },
    custom: concurrentCustomTest,
  };
}
