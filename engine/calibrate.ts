/**
 * `calibrate`: the twin's coefficients fitted to the user's own server, from runs of this tool
 * against it. Every workload test of the runs (a sweep is ideal: many loads of one workload)
 * is predicted again, as the run sent it, with candidate coefficients; the fit minimises the
 * same loss the shipped coefficients were fitted with (`twin/fit.ts`: log errors of the E2E
 * mean and p90, the time per output token and the TTFT mean), each coefficient within its
 * physical bounds.
 *
 * Only the coefficients the runs can tell apart are fitted: with one model on one GPU, the
 * weights' bandwidth share, compute share, attention's share, the per-sequence and per-request
 * costs; with tensor parallelism the all-reduce's latency and link share too; with a mixture
 * of experts the experts' share. The others keep their shipped (or `--twin-file`) values.
 *
 * @module
 */

import { ConfigError } from "../util/errors.ts";
import type { RunResult, TestResult } from "../measure/result.ts";
import type { SuiteContext } from "../runner/runner.ts";
import { Predictor } from "../runner/predict.ts";
import type { WorkloadTestSpec } from "../runner/spec.ts";
import { parseLength } from "../workload/lengths.ts";
import { type BuiltWorkload, defaultWorkload } from "../workload/workload.ts";
import type { Deployment, TwinCoefficients } from "../twin/timing.ts";
import { fitCoefficients, type StageErrorInput, stageLoss } from "../twin/fit.ts";
import { TWIN_FILE_FORMAT, type TwinFile } from "../twin/deployment.ts";
import type { Endpoint } from "../net/client.ts";

/** One measured test the fit holds the twin to. */
export interface Observed {
  /** The run folder it came from. */
  run: string;
  /** The run's seed (the prompts are rebuilt from it). */
  seed: number;
  /** The test, as the run sent it. */
  spec: WorkloadTestSpec;
  /** Prompt tokens the server counted beyond the client's (a chat template's). */
  promptExtra: number;
  /** What was measured. */
  measured: Figures;
}

/** The figures the fit compares (seconds; null when the test has none, e.g. no streaming). */
export interface Figures {
  /** End-to-end latency mean. */
  e2eMean: number;
  /** End-to-end latency p90. */
  e2eP90: number;
  /** Time per output token mean. */
  tpotMean: number | null;
  /** TTFT mean. */
  ttftMean: number | null;
  /** More than 1% of requests failed. */
  failing: boolean;
}

function figuresOf(t: TestResult): Figures {
  const m = t.metrics;
  return {
    e2eMean: m.latency?.mean ?? NaN,
    e2eP90: m.latency?.p90 ?? NaN,
    tpotMean: m.tpot?.mean ?? null,
    ttftMean: m.ttft?.mean ?? null,
    failing: m.failed_requests > 0.01 * m.total_requests,
  };
}

/**
 * The workload tests of a run the twin can replay: synthetic prompts (exact lengths, a shared
 * prefix, sessions) under a closed or open load. Returns them and why others were left out.
 */
export function observedTests(
  dir: string,
  run: RunResult,
): { tests: Observed[]; skipped: string[] } {
  const tests: Observed[] = [];
  const skipped: string[] = [];
  const plan = run.plan as { load?: { seed?: number } } | undefined;
  const seed = plan?.load?.seed ?? 42;
  if (run.predicted) return { tests, skipped: [`${dir}: a predicted run, not a measurement`] };
  for (const suite of run.suites) {
    for (const t of suite.tests) {
      const w = t.extra.workload;
      if (!w) {
        skipped.push(`${dir}: ${t.name}: not a workload test`);
        continue;
      }
      if (w.kind !== "synthetic" && w.kind !== "sessions") {
        skipped.push(`${dir}: ${t.name}: a ${w.kind} workload (its prompts are not rebuilt)`);
        continue;
      }
      if (t.load.kind === "sequential" || t.metrics.successful_requests === 0 || t.interrupted) {
        skipped.push(`${dir}: ${t.name}: no usable load`);
        continue;
      }
      const spec: WorkloadTestSpec = {
        suite: suite.suite,
        name: t.name,
        payload: {
          label: t.payload,
          model: t.model,
          messages: [],
          max_tokens: t.max_tokens ?? 0,
          stream: t.streaming,
        },
        workload: {
          ...defaultWorkload(),
          endpoint: w.endpoint as Endpoint,
          isl: w.isl ? parseLength(w.isl, "isl") : null,
          osl: w.osl ? parseLength(w.osl, "osl") : null,
          sharedPrefix: w.shared_prefix,
          turns: w.turns ?? 1,
          thinkTimeS: w.think_time_s ?? 0,
          stream: t.streaming,
        },
        load: { ...t.load, warmup: 0 } as WorkloadTestSpec["load"],
      };
      tests.push({
        run: dir,
        seed,
        spec,
        promptExtra: Math.max(0, Math.round(w.input.overhead_mean ?? 0)),
        measured: figuresOf(t),
      });
    }
  }
  return { tests, skipped };
}

/** The coefficients the observed tests can tell apart, for this deployment. */
export function fittable(d: Deployment): (keyof TwinCoefficients)[] {
  const names: (keyof TwinCoefficients)[] = [
    "memEfficiency",
    "computeEfficiency",
    "attnEfficiency",
    "perSeqUs",
    "requestOverheadMs",
  ];
  if (d.tp > 1) names.push("allReduceUs", "linkEfficiency");
  if (d.model.experts > 1) names.push("moeEfficiency");
  return names;
}

/** Predicts observed tests with given coefficients, their prompts built once. */
export class Replay {
  readonly #tests: readonly Observed[];
  readonly #deployment: Deployment;
  readonly #timeoutMs: number;
  #built: BuiltWorkload[] | null = null;

  /** Replays of `tests` on `d` (its coefficients replaced per call). */
  constructor(tests: readonly Observed[], d: Deployment, timeoutMs = 600_000) {
    this.#tests = tests;
    this.#deployment = d;
    this.#timeoutMs = timeoutMs;
  }

  /** Build every test's prompts (once). */
  async prepare(): Promise<void> {
    if (this.#built) return;
    const p = new Predictor(this.#deployment, this.#timeoutMs);
    this.#built = [];
    for (const o of this.#tests) this.#built.push(await p.build(contextFor(o.seed), o.spec));
  }

  /** Each test's predicted figures with coefficients `c` ({@linkcode prepare} first). */
  predict(c: TwinCoefficients): Figures[] {
    const built = this.#built;
    if (!built) throw new Error("Replay.predict before prepare");
    // One virtual server per run: its tests ran one after another on one server.
    const servers = new Map<string, Predictor>();
    return this.#tests.map((o, i) => {
      let p = servers.get(o.run);
      if (!p) {
        p = new Predictor({ ...this.#deployment, coefficients: c }, this.#timeoutMs);
        servers.set(o.run, p);
      }
      return figuresOf(p.run(contextFor(o.seed), o.spec, built[i], o.promptExtra));
    });
  }
}

/** The loss of predicted figures against measured ones (`twin/fit.ts`'s). */
export function replayLoss(measured: readonly Figures[], predicted: readonly Figures[]): number {
  const inputs: StageErrorInput[] = measured.map((m, i) => {
    const p = predicted[i];
    return {
      e2eMean: [m.e2eMean, p.e2eMean],
      e2eP90: [m.e2eP90, p.e2eP90],
      decodePerToken: [m.tpotMean ?? 1, p.tpotMean ?? 1],
      ttftMean: [m.ttftMean ?? 1, p.ttftMean ?? 1],
      overloaded: [m.failing, p.failing],
    };
  });
  return stageLoss(inputs);
}

/** A calibration's outcome: the coefficients, and each test's figures before and after. */
export interface Calibration {
  /** The fitted coefficients. */
  coefficients: TwinCoefficients;
  /** Which were fitted. */
  fitted: (keyof TwinCoefficients)[];
  /** Loss at the start and at the end. */
  loss: { start: number; end: number };
  /** Every test: what was measured, what the fitted twin predicts. */
  tests: { run: string; name: string; measured: Figures; predicted: Figures }[];
  /** Loss evaluations. */
  evaluations: number;
}

/** Fit the coefficients of `d` to the observed tests. */
export async function calibrate(
  tests: readonly Observed[],
  d: Deployment,
  opts: { maxEvaluations?: number; onProgress?: (loss: number, n: number) => void } = {},
): Promise<Calibration> {
  if (tests.length === 0) throw new ConfigError("calibrate: no workload test to fit to");
  const replay = new Replay(tests, d);
  await replay.prepare();
  const measured = tests.map((t) => t.measured);
  const names = fittable(d);
  const loss = (c: TwinCoefficients) => replayLoss(measured, replay.predict(c));
  const start = loss(d.coefficients);
  const result = fitCoefficients(d.coefficients, loss, {
    names,
    maxEvaluations: opts.maxEvaluations ?? 300,
    onProgress: (v, _c, n) => opts.onProgress?.(v, n),
  });
  const predicted = replay.predict(result.coefficients);
  return {
    coefficients: result.coefficients,
    fitted: names,
    loss: { start, end: result.loss },
    tests: tests.map((t, i) => ({
      run: t.run,
      name: t.spec.name,
      measured: t.measured,
      predicted: predicted[i],
    })),
    evaluations: result.evaluations,
  };
}

/** The twin file of a calibration. */
export function twinFileOf(c: Calibration, d: Deployment, runs: readonly string[]): TwinFile {
  return {
    format: TWIN_FILE_FORMAT,
    coefficients: c.coefficients,
    fitted: c.fitted,
    deployment: { model: d.model.name, gpu: d.gpu.name, tp: d.tp },
    runs: [...runs],
    loss: c.loss,
    tests: c.tests,
  };
}

/** A minimal suite context for replaying a run's tests (nothing is sent, nothing logged). */
function contextFor(seed: number): SuiteContext {
  const never = new AbortController().signal;
  return {
    client: { baseUrl: "http://twin.invalid", apiKey: null, timeoutMs: 600_000, http: "native" },
    target: { models: [], modelOverride: null, embedded: true, serverPid: null },
    quick: false,
    seed,
    warmup: 0,
    clock: { now: () => 0, sleepUntil: () => Promise.resolve() },
    stop: never,
    abort: never,
    progress: () => ({ update() {}, finish() {} }),
    log: () => {},
  };
}
