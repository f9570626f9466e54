/**
 * One ordinary run, start to finish, from its plan: interrupt handling, the target (embedded
 * server started or `--url` probed), the suite context, the suites (in this process or in
 * workers), the {@linkcode RunResult}, its analysis and its report set on disk. What the user
 * sees goes through a {@linkcode RunView}; exit codes and gates are the command's.
 *
 * @module
 */

import { WindowTap } from "../outputs/window.ts";
import { type LiveServer, startLive } from "./live.ts";
import { openOutputs, type Outputs, undelivered } from "../outputs/sinks.ts";
import { twinServeArgs } from "../plan/twin.ts";
import { runInferencePerf } from "../runner/inference_perf.ts";
import { VERSION } from "../util/version.ts";
import { programEntry } from "../util/entry.ts";
import { type StampCanary, startCanaryOrSay } from "../load/canary.ts";
import { ConfigError, ExitCode } from "../util/errors.ts";
import { realClock } from "../util/clock.ts";
import { publicUrl } from "../util/redact.ts";
import { probeTarget } from "../net/client.ts";
import { probeServerMetrics } from "../probes/server_metrics.ts";
import type { RunResult, SuiteResult, TestResult } from "../measure/result.ts";
import type { Progress, SuiteContext } from "../runner/runner.ts";
import { formatShard, waitUntil } from "../load/shard.ts";
import { planRecord, type RunPlan } from "../plan/plan.ts";
import type { Suite } from "../suites/suite.ts";
import { CATALOGUE, suiteNamed } from "../suites/registry.ts";
import { analyzeRun, type RunAnalysis } from "../analysis/run.ts";
import { writeReports } from "../report/mod.ts";
import { type Journal, type JournalHeader, RunJournal } from "./journal.ts";
import { openTarget, type Target } from "./target.ts";
import { runSuiteList, runSuiteOf, runWorkersMerged } from "./workers.ts";

/** Where the server's metrics are sampled, and the engine whose names they carry. */
type ServerMetricsSource = { url: string; shownUrl: string; engine: string };

/** How long in-flight requests may finish after an interrupt before they are cancelled. */
export const INTERRUPT_GRACE_MS = 3000;

/**
 * Signals within this time of the first are the same interrupt: one Ctrl-C reaches the
 * program from the terminal's process group and again, forwarded, from `deno task`, which
 * sends it on once or twice more within a few milliseconds. A second interrupt is one that
 * comes later, on purpose.
 */
export const SAME_INTERRUPT_MS = 1000;

/** Hooks for tests: the program entry to re-run for the embedded server, extra serve flags. */
export interface RunHooks {
  /** Program entry (defaults to the main module). */
  entry?: string;
  /** Extra flags for the embedded server. */
  serveArgs?: string[];
}

/** `run --resume`: the journal of the interrupted run being continued. */
export type Resume = Journal;

/** What a run shows its user; the command decides how (or whether) to print it. */
export interface RunView {
  /** An informational line (stderr). */
  log(line: string): void;
  /** The run reached its target. */
  started(target: Target): void;
  /** A suite begins. */
  suite(suite: Suite): void;
  /** Test `i` of `n` begins. */
  test(name: string, i: number, n: number): void;
  /** A test's result (`suite` is its suite's name). */
  result(result: TestResult, suite: string): void;
  /** Progress of one test. */
  progress(label: string, total: number): Progress;
}

/** A run's result with its analysis. */
export interface FinishedRun {
  /** What the run measured. */
  run: RunResult;
  /** What it means, computed once (the reports rendered it). */
  analysis: RunAnalysis;
}

/** The run's signal handling: a first signal stops new requests, a second exits at once. */
interface Interrupts {
  /** Aborted on the first signal: no new request. */
  stop: AbortSignal;
  /** Aborted after the grace period: in-flight requests cancelled. */
  abort: AbortSignal;
  /** Told the embedded server's PID, so a second signal can kill it. */
  serverPid(pid: number): void;
  /** Stop handling signals. */
  release(): void;
}

/**
 * Handle SIGINT/SIGTERM for a run: the first stops new requests, lets in-flight ones finish
 * for {@linkcode INTERRUPT_GRACE_MS}, then cancels them; a second kills the embedded server
 * and exits at once.
 */
function handleInterrupts(view: RunView): Interrupts {
  const stop = new AbortController();
  const abort = new AbortController();
  let pid: number | null = null;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  let interrupts = 0;
  let firstAt = 0;
  const onSignal = () => {
    if (interrupts > 0 && performance.now() - firstAt < SAME_INTERRUPT_MS) return;
    interrupts++;
    if (interrupts === 1) {
      firstAt = performance.now();
      view.log("interrupt: no new requests; finishing in-flight ones, then writing reports");
      stop.abort();
      graceTimer = setTimeout(() => abort.abort(), INTERRUPT_GRACE_MS);
      return;
    }
    if (pid) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    view.log(
      "interrupt: second signal, exiting now without writing reports; every completed test " +
        "is kept: 'fakeai-bench report DIR' writes them",
    );
    Deno.exit(ExitCode.Interrupted);
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  return {
    stop: stop.signal,
    abort: abort.signal,
    serverPid: (p) => pid = p,
    release() {
      clearTimeout(graceTimer);
      for (const s of signals) Deno.removeSignalListener(s, onSignal);
    },
  };
}

/**
 * Run the plan's suites against its target and write the report set into its output folder.
 * Signals stay handled until the reports are written: a second one still exits at once.
 */
export async function executeRun(
  plan: RunPlan,
  shownView: RunView,
  hooks: RunHooks = {},
  resume: Resume | null = null,
): Promise<FinishedRun> {
  const signals = handleInterrupts(shownView);
  // Every completed test also goes to the run's outputs (`--out`), in the background, and to
  // the live view (`--dashboard`).
  let outputs: Outputs | null = null;
  let windows: WindowTap | null = null;
  let live: LiveServer | null = null;
  let suiteName = "";
  const view: RunView = {
    ...shownView,
    suite(suite) {
      shownView.suite(suite);
      suiteName = suite.name;
    },
    test(name, i, n) {
      shownView.test(name, i, n);
      live?.view.test(name, i, n);
      windows?.begin(suiteName, name);
    },
    result(result, suite) {
      shownView.result(result, suite);
      outputs?.test(suite, result);
      live?.view.result(suite, result);
    },
  };
  // What run.json and the journal's header say of the run besides its server and suites.
  const about = {
    tool_version: VERSION,
    run_id: resume?.header.run_id ?? crypto.randomUUID(),
    started_at: resume?.header.started_at ?? new Date().toISOString(),
    mode: plan.suites.quick ? "quick" as const : "full" as const,
    plan: planRecord(plan),
    host: hostInfo(),
  };
  let target: Target | null = null;
  let journal: RunJournal | null = null;
  let serverMetrics: ServerMetricsSource | null = null;
  const suites: SuiteResult[] = [];
  let targetLost: string | null = null;
  let canary: StampCanary | null = null;
  try {
    target = await openTarget({
      url: plan.target.url,
      apiKey: plan.target.apiKey,
      seed: plan.load.seed,
      entry: hooks.entry,
      serveArgs: [
        "--profile",
        plan.embedded?.profile ?? "twin",
        ...(plan.embedded?.twin ? twinServeArgs(plan.embedded.twin) : []),
        ...(hooks.serveArgs ?? []),
      ],
      onSpawn: signals.serverPid,
      http: plan.target.httpClient,
    });
    view.started(target);
    if (plan.dashboardPort !== null) {
      try {
        live = startLive(plan.dashboardPort);
        view.log(`live view: ${live.url}`);
      } catch (err) {
        throw new ConfigError(
          `--dashboard ${plan.dashboardPort}: cannot listen on 127.0.0.1 (${
            err instanceof Error ? err.message.split("\n")[0] : err
          })`,
        );
      }
    }
    if (plan.outputs.specs.length > 0) {
      const labels = { run_id: about.run_id, target: target.baseUrl, tags: plan.outputs.tags };
      const opened = openOutputs(plan.outputs.specs, labels);
      outputs = opened;
      // Time-series outputs also get the test in progress, a window every few seconds.
      if (opened.wantsWindows) windows = new WindowTap(labels, (s) => opened.window(s));
    }
    serverMetrics = await serverMetricsOf(plan, target, view);
    // From here on, every completed test is on disk as it completes (engine/journal.ts).
    const header: JournalHeader = {
      ...about,
      server: serverIdentity(target, serverMetrics),
      suite_order: plan.suites.names,
    };
    journal = RunJournal.open(plan.output.dir, header, resume?.tests.length ?? 0);
    const entry = hooks.entry ?? programEntry();
    const ctx = suiteContext(plan, target, view, signals, serverMetrics, entry);
    // Each test states the client's own stamping error, from canary streams served by a
    // worker (load/canary.ts). With --workers, each worker measures its load with its own.
    if (entry !== null && plan.load.workers <= 1) {
      canary = await startCanaryOrSay(entry, (line) => view.log(line));
      if (canary) ctx.canary = canary;
    }
    if (live || windows) {
      const [v, w] = [live?.view, windows];
      ctx.live = {
        record(rec) {
          v?.record(rec);
          w?.record(rec);
        },
        server(sample) {
          v?.server(sample);
          w?.server(sample);
        },
        inFlight(count) {
          v?.inFlight(count);
          w?.inFlight(count);
        },
      };
    }
    if (plan.load.shard) view.log(`shard ${formatShard(plan.load.shard)} of every test's load`);
    if (plan.load.startAtMs !== null && plan.load.startAtMs > Date.now()) {
      view.log(`waiting until ${new Date(plan.load.startAtMs).toISOString()} (--start-at)`);
      await waitUntil(plan.load.startAtMs, signals.stop);
    }
    suites.push(...await runSuites(plan, ctx, view, journal, resume, hooks, signals.abort));
  } catch (err) {
    signals.release();
    await live?.close();
    throw err;
  } finally {
    windows?.stop();
    await canary?.close();
    targetLost = await lostTarget(target, suites, plan);
    await target?.stop();
  }
  const run: RunResult = {
    ...about,
    server: serverIdentity(target, serverMetrics),
    finished_at: new Date().toISOString(),
    suites,
    interrupted: signals.stop.aborted,
    target_lost: targetLost,
  };
  try {
    const analysis = analyzeReports(run);
    await writeReports(run, analysis, reporterOf, plan.output.dir);
    journal?.finish(run.finished_at, run.interrupted);
    if (outputs) { for (const line of undelivered(await outputs.close())) view.log(line); }
    await live?.close();
    return { run, analysis };
  } finally {
    signals.release();
  }
}

/** The reporter of a suite, from the registry. */
export const reporterOf = (name: string) => suiteNamed(name)?.reporter;

/** A run's analysis, with the registry's catalogue and suites. */
export function analyzeReports(run: RunResult): RunAnalysis {
  return analyzeRun(run, CATALOGUE, suiteNamed);
}

/**
 * The suites of the plan, in this process or in `--workers` Web Workers; every completed
 * test goes to the journal and the view as it completes, and a resumed run keeps the tests
 * its interrupted run completed.
 */
async function runSuites(
  plan: RunPlan,
  ctx: SuiteContext,
  view: RunView,
  journal: RunJournal,
  resume: Resume | null,
  hooks: RunHooks,
  abort: AbortSignal,
): Promise<SuiteResult[]> {
  const suiteOf = runSuiteOf(plan.suites, plan.scenario);
  if (plan.inferencePerf) {
    // An inference-perf config runs its own stages, one test each, in its home suite.
    const home = plan.suites.names[0];
    const suite = suiteOf(home);
    if (suite) view.suite(suite);
    const startedAt = new Date().toISOString();
    const tests = await runInferencePerf(
      ctx,
      plan.inferencePerf.config,
      home,
      plan.inferencePerf.file,
    );
    tests.forEach((t, i) => {
      view.test(t.name, i, tests.length);
      journal.test(home, t);
      view.result(t, home);
    });
    const result: SuiteResult = {
      suite: home,
      tests,
      started_at: startedAt,
      finished_at: new Date().toISOString(),
      skipped: null,
      error: null,
      interrupted: ctx.stop.aborted,
    };
    journal.suite(result);
    return [result];
  }
  if (plan.load.workers > 1) {
    const merged = await runWorkersMerged(plan, ctx, hooks.entry ?? Deno.mainModule, abort);
    for (const s of merged) {
      const suite = suiteOf(s.suite);
      if (suite && s.skipped === null) view.suite(suite);
      for (const t of s.tests) {
        view.result(t, s.suite);
        journal.test(s.suite, t);
      }
      journal.suite(s);
    }
    return merged;
  }
  // Tests an interrupted run completed are kept instead of run again; the test it was in the
  // middle of (marked interrupted) runs again.
  const earlier = new Map<string, TestResult>();
  for (const t of resume?.tests ?? []) {
    if (!t.result.interrupted) earlier.set(`${t.suite}\u0000${t.result.name}`, t.result);
  }
  return await runSuiteList(
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
      earlier: (s, name) => {
        const kept = earlier.get(`${s.name}\u0000${name}`);
        if (kept) view.log(`${s.name}: "${name}" kept from the interrupted run`);
        return kept;
      },
    },
    suiteOf,
  );
}

function serverIdentity(
  target: Target | null,
  serverMetrics: ServerMetricsSource | null,
): RunResult["server"] {
  return {
    base_url: target?.baseUrl ?? "",
    embedded: target?.embedded ?? false,
    pid: target?.pid ?? null,
    models: target?.probe.models ?? [],
    server_header: target?.probe.serverHeader ?? null,
    health_status: target?.probe.healthStatus ?? null,
    metrics: serverMetrics ? { url: serverMetrics.shownUrl, engine: serverMetrics.engine } : null,
  };
}

/** The machine the client runs on, as run.json records it. */
export function hostInfo(): RunResult["host"] {
  return {
    hostname: Deno.hostname(),
    os: Deno.build.os,
    arch: Deno.build.arch,
    cpus: navigator.hardwareConcurrency,
    deno: Deno.version.deno,
  };
}

/**
 * When requests of the run failed to connect, whether the target still answers: null when it
 * does (or no request failed so), else why not.
 */
async function lostTarget(
  target: Target | null,
  suites: readonly SuiteResult[],
  plan: RunPlan,
): Promise<string | null> {
  if (!target) return null;
  const connects = suites.flatMap((s) => s.tests).reduce(
    (n, t) => n + (t.metrics.outcomes.connect ?? 0),
    0,
  );
  if (connects === 0) return null;
  try {
    await probeTarget(target.baseUrl, {
      apiKey: plan.target.apiKey ?? undefined,
      http: plan.target.httpClient,
      timeoutMs: Math.min(plan.target.timeoutMs, 5000),
    });
    return null;
  } catch (err) {
    return `the target stopped answering during the run (${connects} requests could not ` +
      `connect; at the end: ${err instanceof Error ? err.message : String(err)})`;
  }
}

/**
 * Where the server's own metrics are sampled during each test: `--metrics-url`, else the
 * target's `/metrics` (vLLM, SGLang and the embedded server's engine profile serve it there);
 * null when it carries no engine's metrics or `--no-server-metrics` is given. Says which on
 * the log.
 */
async function serverMetricsOf(
  plan: RunPlan,
  target: Target,
  view: RunView,
): Promise<ServerMetricsSource | null> {
  if (!plan.serverMetrics.enabled) return null;
  const url = plan.serverMetrics.url ?? `${target.baseUrl}/metrics`;
  const shownUrl = publicUrl(url);
  const found = await probeServerMetrics(url);
  if (!found) {
    view.log(
      `server metrics: no vLLM, SGLang, TGI, llama.cpp or NIM metrics at ${shownUrl}; reports show the ` +
        "client's view only",
    );
    return null;
  }
  view.log(`server metrics: ${found} metrics from ${shownUrl}, sampled every second`);
  return { url, shownUrl, engine: found };
}

function suiteContext(
  plan: RunPlan,
  target: Target,
  view: RunView,
  signals: Interrupts,
  serverMetrics: ServerMetricsSource | null,
  entry: string | null,
): SuiteContext {
  return {
    client: {
      baseUrl: target.baseUrl,
      apiKey: plan.target.apiKey,
      timeoutMs: plan.target.timeoutMs,
      http: plan.target.httpClient,
      maxBodyBytes: plan.target.maxBodyBytes,
      maxEventBytes: plan.target.maxEventBytes,
    },
    target: {
      models: target.probe.models,
      modelOverride: plan.target.model,
      embedded: target.embedded,
      serverPid: target.pid,
      serverMetrics: serverMetrics && { url: serverMetrics.url, shownUrl: serverMetrics.shownUrl },
    },
    slos: plan.slos,
    maxErrorRate: plan.load.maxErrorRate ?? undefined,
    maxConsecutiveTimeouts: plan.load.maxConsecutiveTimeouts,
    repeat: plan.repeat,
    quick: plan.suites.quick,
    seed: plan.load.seed,
    warmup: plan.load.warmup,
    clock: realClock,
    stop: signals.stop,
    abort: signals.abort,
    progress: (label, total) => view.progress(label, total),
    log: (line) => view.log(line),
    maxQueueDelayMs: plan.load.maxQueueDelayMs ?? undefined,
    shard: plan.load.shard ?? undefined,
    workerEntry: entry ?? undefined,
  };
}
