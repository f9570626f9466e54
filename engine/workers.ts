/**
 * Sharded execution inside one process: a suite run as one shard (non-shardable suites run
 * whole on shard 0 only), and `--workers N`, which runs N shards in Deno Web Workers against
 * the same target and hands their suite results to the merge.
 *
 * A worker runs the program's own entry module (so a bundle or a compiled binary needs no
 * extra file); `main.ts`, finding itself in a worker, gives it its role from its first message
 * and loads only that role's modules: {@linkcode workerMain} here for a shard's job, prompt
 * builds (`workload/apart.ts`), the stamping canary (`load/canary_server.ts`).
 *
 * @module
 */

import { realClock } from "../util/clock.ts";
import type { SuiteResult } from "../measure/result.ts";
import type { SuiteContext } from "../runner/runner.ts";
import type { Shard } from "../load/shard.ts";
import {
  runSuite,
  skippedSuite,
  type Suite,
  type SuiteHooks,
  type SuiteOptions,
} from "../suites/suite.ts";
import { suiteNamed } from "../suites/registry.ts";
import type { Scenario } from "../plan/scenario.ts";
import { withScenario } from "../suites/scenario.ts";
import { mergeSuiteLists, SHARD_ZERO_ONLY } from "./merge.ts";
import type { RunPlan } from "../plan/plan.ts";
import { startCanaryOrSay } from "../load/canary.ts";

/**
 * Run a suite as the context's shard: shardable suites run their share of every test's
 * load; the others run whole on shard 0 and are marked skipped on every other shard.
 */
export async function runSuiteSharded(
  suite: Suite,
  ctx: SuiteContext,
  hooks: SuiteHooks = {},
): Promise<SuiteResult> {
  const shard = ctx.shard;
  if (!shard || shard.count <= 1 || suite.shardable !== false) {
    return await runSuite(suite, ctx, hooks);
  }
  if (shard.index === 0) return await runSuite(suite, { ...ctx, shard: undefined }, hooks);
  return skippedSuite(suite.name, SHARD_ZERO_ONLY);
}

/**
 * The order suites run in as a shard of several: shardable suites first, so all shards
 * load the target together, then the non-shardable ones, which run on shard 0 alone once
 * the shared load is over (as far as shards can know without talking to each other).
 */
export function shardOrder(
  names: readonly string[],
  shard: Shard | null | undefined,
  suiteOf: (name: string) => Suite | undefined,
): string[] {
  if (!shard || shard.count <= 1) return [...names];
  const alone = (n: string) => suiteOf(n)?.shardable === false;
  return [...names.filter((n) => !alone(n)), ...names.filter(alone)];
}

/** Reason recorded for the suites an interrupt kept from starting. */
export const NOT_STARTED = "not started: the run was interrupted";

/**
 * The suite a run runs under `name`: the registry's, made with the run's suite options, with
 * the scenario's tests applied (undefined for a suite this build lacks and the scenario has no
 * test for).
 */
export function runSuiteOf(
  options: SuiteOptions,
  scenario: Scenario | null,
): (name: string) => Suite | undefined {
  const made = new Map<string, Suite | undefined>();
  return (name) => {
    if (!made.has(name)) {
      made.set(name, withScenario(name, suiteNamed(name)?.create(options), scenario));
    }
    return made.get(name);
  };
}

/**
 * Run the named suites in order as the context's shard; `suiteOf` finds a suite by name
 * ({@linkcode runSuiteOf}). Every named suite is represented in the result: the ones an
 * interrupt kept from starting are marked so.
 */
export async function runSuiteList(
  names: readonly string[],
  ctx: SuiteContext,
  hooks: SuiteHooks,
  suiteOf: (name: string) => Suite | undefined,
): Promise<SuiteResult[]> {
  const out: SuiteResult[] = [];
  for (const name of shardOrder(names, ctx.shard, suiteOf)) {
    if (ctx.stop.aborted) {
      out.push(skippedSuite(name, NOT_STARTED, true));
      continue;
    }
    const suite = suiteOf(name);
    if (!suite) {
      out.push(skippedSuite(name, "not available in this build"));
      continue;
    }
    hooks.beforeSuite?.(suite);
    const result = await runSuiteSharded(suite, ctx, hooks);
    hooks.afterSuite?.(result);
    out.push(result);
  }
  return out;
}

/** The shard worker `w` of `workers` runs, inside the process's own shard (if any). */
export function workerShard(outer: Shard | null, w: number, workers: number): Shard {
  const o = outer ?? { index: 0, count: 1 };
  return { index: o.index * workers + w, count: o.count * workers };
}

/** What a worker needs to run its shard (structured-clone safe). */
export interface WorkerJob {
  /** Suites to run, in order. */
  suites: string[];
  /** The run's suite options. */
  options: SuiteOptions;
  /** This worker's shard. */
  shard: Shard;
  /** The scenario (a file's or the command line's workload), validated by the parent. */
  scenario: Scenario | null;
  /** Context fields shared by every worker. */
  ctx: SharedContext;
}

/** The context fields a worker gets from its parent (plain data, structured-clone safe). */
const SHARED_CONTEXT_KEYS = [
  "client",
  "target",
  "quick",
  "seed",
  "warmup",
  "maxQueueDelayMs",
  "slos",
  "maxErrorRate",
  "maxConsecutiveTimeouts",
  "repeat",
  "workerEntry",
] as const satisfies readonly (keyof SuiteContext)[];

/** The part of a {@linkcode SuiteContext} a worker gets from its parent. */
export type SharedContext = Pick<SuiteContext, typeof SHARED_CONTEXT_KEYS[number]>;

/** The fields of `ctx` a worker shares. */
export function sharedContext(ctx: SuiteContext): SharedContext {
  return Object.fromEntries(SHARED_CONTEXT_KEYS.map((k) => [k, ctx[k]])) as SharedContext;
}

type ToWorker = { kind: "start"; job: WorkerJob } | { kind: "stop" } | { kind: "abort" };
type FromWorker =
  | { kind: "log"; line: string }
  | { kind: "done"; suites: SuiteResult[] }
  | { kind: "error"; message: string };

/** Options of {@linkcode runInWorkers}. */
export interface WorkersOptions {
  /** Number of workers. */
  workers: number;
  /** The shard of this process (null = whole load). */
  outer: Shard | null;
  /** Job fields common to all workers. */
  suites: string[];
  /** The run's suite options. */
  options: SuiteOptions;
  /** The scenario, or null. */
  scenario: Scenario | null;
  /** Context fields common to all workers. */
  ctx: WorkerJob["ctx"];
  /** Module the workers run: the program's entry. */
  entry: string;
  /** No new requests once aborted. */
  stop: AbortSignal;
  /** In-flight requests cancelled once aborted. */
  abort: AbortSignal;
  /** A line from worker `w`. */
  log(w: number, line: string): void;
}

/** Run one shard per worker; resolves to each worker's suite results, in worker order. */
export async function runInWorkers(opts: WorkersOptions): Promise<SuiteResult[][]> {
  const runs = [...Array(opts.workers).keys()].map((w) =>
    new Promise<SuiteResult[]>((resolve, reject) => {
      const worker = new Worker(opts.entry, { type: "module", name: `fakeai-bench-worker-${w}` });
      const send = (m: ToWorker) => worker.postMessage(m);
      const onStop = () => send({ kind: "stop" });
      const onAbort = () => send({ kind: "abort" });
      opts.stop.addEventListener("abort", onStop, { once: true });
      opts.abort.addEventListener("abort", onAbort, { once: true });
      const end = () => {
        opts.stop.removeEventListener("abort", onStop);
        opts.abort.removeEventListener("abort", onAbort);
        worker.terminate();
      };
      worker.onmessage = (e: MessageEvent<FromWorker>) => {
        const m = e.data;
        if (m.kind === "log") opts.log(w, m.line);
        else if (m.kind === "done") {
          end();
          resolve(m.suites);
        } else {
          end();
          reject(new Error(`worker ${w}: ${m.message}`));
        }
      };
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        end();
        reject(new Error(`worker ${w}: ${e.message}`));
      };
      send({
        kind: "start",
        job: {
          suites: opts.suites,
          options: opts.options,
          shard: workerShard(opts.outer, w, opts.workers),
          scenario: opts.scenario,
          ctx: opts.ctx,
        },
      });
    })
  );
  return await Promise.all(runs);
}

/** Make this worker a shard runner: wait for its job, run it, post the suite results back. */
export function workerMain(): void {
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
    postMessage(m: FromWorker): void;
  };
  const stop = new AbortController();
  const abort = new AbortController();
  scope.onmessage = async (e) => {
    const m = e.data;
    if (m.kind === "stop") return stop.abort();
    if (m.kind === "abort") return abort.abort();
    const log = (line: string) => scope.postMessage({ kind: "log", line });
    const ctx: SuiteContext = {
      ...m.job.ctx,
      clock: realClock,
      stop: stop.signal,
      abort: abort.signal,
      shard: m.job.shard,
      progress: () => ({ update() {}, finish() {} }),
      log,
    };
    // The worker measures its share of the load on its own thread: its tests state that
    // thread's stamping error, from a canary of its own.
    const entry = m.job.ctx.workerEntry;
    const canary = entry ? await startCanaryOrSay(entry, log) : null;
    if (canary) ctx.canary = canary;
    try {
      const scenario = m.job.scenario;
      const suites = await runSuiteList(
        m.job.suites,
        ctx,
        { beforeTest: (_s, test, i, n) => log(`[${i + 1}/${n}] ${test.name}`) },
        runSuiteOf(m.job.options, scenario),
      );
      scope.postMessage({ kind: "done", suites });
    } catch (err) {
      scope.postMessage({
        kind: "error",
        message: err instanceof Error ? err.message : String(err),
      });
    } finally {
      await canary?.close();
    }
  };
}

/**
 * `--workers N`: run the configured suites as N shards in Web Workers against the target of
 * `ctx`, and merge their results with the shard merge.
 */
export async function runWorkersMerged(
  plan: RunPlan,
  ctx: SuiteContext,
  entry: string,
  abort: AbortSignal,
): Promise<SuiteResult[]> {
  const lists = await runInWorkers({
    workers: plan.load.workers,
    outer: plan.load.shard,
    suites: plan.suites.names,
    options: plan.suites,
    scenario: plan.scenario,
    ctx: sharedContext(ctx),
    entry,
    stop: ctx.stop,
    abort,
    log: (w, line) => ctx.log(`[worker ${w}] ${line}`),
  });
  return mergeSuiteLists(lists);
}
