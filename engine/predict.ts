/**
 * A predicted run, from its plan: the plan's workload tests played through the engine twin in
 * virtual time (`runner/predict.ts`), then the same report set as a run, marked predicted
 * wherever it shows, in the plan's output folder. Nothing is sent anywhere and no server is
 * started; a plan whose tests are not all workload tests is refused (the built-in suites'
 * tests measure a server the twin does not replace: its memory, its router).
 *
 * @module
 */

import { VERSION } from "../util/version.ts";
import { ConfigError } from "../util/errors.ts";
import type { Clock } from "../util/clock.ts";
import type { RunResult, SuiteResult, TestResult } from "../measure/result.ts";
import type { Progress, SuiteContext } from "../runner/runner.ts";
import { predictedInfo, Predictor } from "../runner/predict.ts";
import { planRecord, type RunPlan } from "../plan/plan.ts";
import type { Suite } from "../suites/suite.ts";
import { resolveDeployment } from "../twin/deployment.ts";
import type { Deployment } from "../twin/timing.ts";
import { writeReports } from "../report/mod.ts";
import { analyzeReports, type FinishedRun, hostInfo, reporterOf } from "./run.ts";
import { runSuiteList, runSuiteOf } from "./workers.ts";
import { RunJournal } from "./journal.ts";
import { join } from "node:path";
import { SUITES } from "../suites/registry.ts";
import { writeJsonAtomic } from "../report/write.ts";

/** What a predicted run shows its user. */
export interface PredictView {
  /** An informational line. */
  log(line: string): void;
  /** A suite begins. */
  suite(suite: Suite): void;
  /** Test `i` of `n` begins. */
  test(name: string, i: number, n: number): void;
  /** A test's result. */
  result(result: TestResult, suite: string): void;
}

/** Pauses between repeats take no time: the twin's clock is virtual. */
const NO_WAIT: Clock = { now: () => performance.now(), sleepUntil: () => Promise.resolve() };

const NO_PROGRESS: Progress = { update() {}, finish() {} };

/** The twin a plan describes (its embedded server's). Throws when it has none. */
export function planDeployment(plan: RunPlan): Deployment {
  const twin = plan.embedded?.twin;
  if (!twin) throw new ConfigError("predict needs the twin's options (the embedded server's)");
  return resolveDeployment(twin);
}

/** Refuse a plan with tests the twin cannot predict. */
export function checkPredictable(plan: RunPlan): void {
  const scenario = plan.scenario;
  if (!scenario) {
    throw new ConfigError(
      "predict needs a workload: --isl/--osl, --dataset, --trace, --turns, --inference-perf " +
        "or a scenario file of workload tests (the built-in suites measure a real server)",
    );
  }
  for (const name of plan.suites.names) {
    if (!scenario.replace.includes(name)) {
      throw new ConfigError(
        `predict: the ${name} suite's built-in tests cannot be predicted; give --suite with ` +
          "only the suites the scenario replaces, or replace them in the file",
      );
    }
  }
  const plain = scenario.tests.filter((t) => !t.workload).map((t) => t.name);
  if (plain.length) {
    throw new ConfigError(
      `predict models workload tests only; not: ${plain.join(", ")} (give them a workload)`,
    );
  }
}

/** A predicted run: the run, its analysis, and how much load it stood for. */
export interface PredictedRun extends FinishedRun {
  /** Virtual seconds of load predicted. */
  simulatedS: number;
}

/** Predict the plan's tests and write the report set; returns the run and its analysis. */
export async function executePredict(plan: RunPlan, view: PredictView): Promise<PredictedRun> {
  const inferencePerf = plan.inferencePerf?.config ?? null;
  if (!inferencePerf) checkPredictable(plan);
  const d = planDeployment(plan);
  const predictor = new Predictor(d, plan.target.timeoutMs);
  const stop = new AbortController();
  const ctx: SuiteContext = {
    client: {
      baseUrl: "http://twin.invalid",
      apiKey: null,
      timeoutMs: plan.target.timeoutMs,
      http: plan.target.httpClient,
    },
    target: {
      models: [d.model.name],
      modelOverride: plan.target.model,
      embedded: true,
      serverPid: null,
      serverMetrics: null,
    },
    slos: plan.slos,
    repeat: plan.repeat,
    quick: plan.suites.quick,
    seed: plan.load.seed,
    warmup: 0,
    clock: NO_WAIT,
    stop: stop.signal,
    abort: stop.signal,
    progress: () => NO_PROGRESS,
    log: (line) => view.log(line),
    maxQueueDelayMs: plan.load.maxQueueDelayMs ?? undefined,
    runWorkload: (c, spec) => predictor.test(c, spec),
  };
  const started = new Date().toISOString();
  const about = {
    tool_version: VERSION,
    run_id: crypto.randomUUID(),
    started_at: started,
    mode: plan.suites.quick ? "quick" as const : "full" as const,
    plan: planRecord(plan),
    host: hostInfo(),
  };
  const server: RunResult["server"] = {
    base_url: `twin: ${d.model.name} on ${d.tp} × ${d.gpu.title} (vLLM)`,
    embedded: true,
    pid: null,
    models: [d.model.name],
    server_header: null,
    health_status: null,
    metrics: null,
  };
  const journal = RunJournal.open(plan.output.dir, {
    ...about,
    server,
    suite_order: plan.suites.names,
  }, 0);
  let suites: SuiteResult[];
  if (inferencePerf) {
    const home = SUITES.find((s) => s.workloadHome)?.name ?? "throughput";
    const suite = runSuiteOf(plan.suites, null)(home);
    if (suite) view.suite(suite);
    const { tests, stages } = predictor.inferencePerf(ctx, inferencePerf, home);
    for (const t of tests) t.extra.scenario = plan.inferencePerf!.file;
    tests.forEach((t, i) => {
      view.test(t.name, i, tests.length);
      journal.test(home, t);
      view.result(t, home);
    });
    const result: SuiteResult = {
      suite: home,
      tests,
      started_at: started,
      finished_at: new Date().toISOString(),
      skipped: null,
      error: null,
      interrupted: false,
    };
    journal.suite(result);
    suites = [result];
    await writeJsonAtomic(join(plan.output.dir, "stages.json"), stages);
  } else {
    suites = await runSuiteList(
      plan.suites.names,
      ctx,
      {
        beforeSuite: (suite) => view.suite(suite),
        beforeTest: (_s, test, i, n) => view.test(test.name, i, n),
        afterTest: (s, result) => {
          journal.test(s.name, result);
          view.result(result, s.name);
        },
        afterSuite: (result) => journal.suite(result),
      },
      runSuiteOf(plan.suites, plan.scenario),
    );
  }
  const run: RunResult = {
    ...about,
    server,
    finished_at: new Date().toISOString(),
    suites,
    interrupted: false,
    target_lost: null,
    predicted: predictedInfo(d),
  };
  const analysis = analyzeReports(run);
  await writeReports(run, analysis, reporterOf, plan.output.dir);
  journal.finish(run.finished_at, false);
  return { run, analysis, simulatedS: predictor.simulatedS };
}
