/**
 * One ordinary run, start to finish: interrupt handling, the target (embedded server started
 * or `--url` probed), the suite context, the suites (in this process or in workers), the
 * {@linkcode RunResult} and its report set on disk. What the user sees goes through a
 * {@linkcode RunView}; exit codes and gates are the command's.
 *
 * @module
 */

import { VERSION } from "../cli/args.ts";
import { publicConfig, type RunConfig } from "../cli/config.ts";
import type { Scenario } from "../cli/scenario.ts";
import { ExitCode } from "../util/errors.ts";
import { realClock } from "../util/clock.ts";
import { publicUrl } from "../util/redact.ts";
import { probeTarget } from "../net/client.ts";
import { parseSlo } from "../measure/slo.ts";
import { probeServerMetrics } from "../probes/server_metrics.ts";
import type { RunResult, SuiteResult, TestResult } from "../suites/mod.ts";
import type { Progress, SuiteContext } from "../runner/runner.ts";
import { formatShard, waitUntil } from "../load/shard.ts";
import { type Suite, SUITES } from "../suites/mod.ts";
import { withScenario } from "../suites/scenario.ts";
import { writeReports } from "../report/mod.ts";
import { type Journal, RunJournal } from "./journal.ts";
import { openTarget, type Target } from "./target.ts";
import { runSuiteList, runWorkersMerged } from "./workers.ts";

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
  /** A test's result. */
  result(result: TestResult): void;
  /** Progress of one test. */
  progress(label: string, total: number): Progress;
}

/**
 * Run the configured suites against the target and write the report set into
 * `cfg.outputDir`. A first SIGINT/SIGTERM stops new requests, lets in-flight ones finish for
 * {@linkcode INTERRUPT_GRACE_MS}, then cancels them; the reports are still written and the
 * result is marked interrupted. A second signal exits at once.
 */
export async function executeRun(
  cfg: RunConfig,
  scenario: Scenario | null,
  view: RunView,
  hooks: RunHooks = {},
  resume: Resume | null = null,
): Promise<RunResult> {
  const stop = new AbortController();
  const abort = new AbortController();
  let target: Target | null = null;
  let serverPid: number | null = null;
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
    } else {
      const pid = target?.pid ?? serverPid;
      if (pid) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      Deno.exit(ExitCode.Interrupted);
    }
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  // Signals stay handled until the reports are written: a second one still exits at once.
  const release = () => {
    clearTimeout(graceTimer);
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  };
  const startedAt = new Date().toISOString();
  const runId = crypto.randomUUID();
  const suites: SuiteResult[] = [];
  let targetLost: string | null = null;
  let journal: RunJournal | null = null;
  // Tests an interrupted run completed, kept instead of run again; the test it was in the
  // middle of (marked interrupted) runs again.
  const earlier = new Map<string, TestResult>();
  for (const t of resume?.tests ?? []) {
    if (!t.result.interrupted) earlier.set(`${t.suite}\u0000${t.result.name}`, t.result);
  }
  let serverMetrics: ServerMetricsSource | null = null;
  try {
    target = await openTarget({
      url: cfg.url,
      apiKey: cfg.apiKey,
      seed: cfg.seed,
      entry: hooks.entry,
      serveArgs: ["--profile", cfg.serverProfile, ...(hooks.serveArgs ?? [])],
      onSpawn: (pid) => serverPid = pid,
      http: cfg.httpClient,
    });
    view.started(target);
    serverMetrics = await serverMetricsOf(cfg, target, view);
    // From here on, every completed test is on disk as it completes (engine/journal.ts).
    const server = serverIdentity(target, serverMetrics);
    journal = RunJournal.open(cfg.outputDir, {
      tool_version: VERSION,
      run_id: resume?.header.run_id ?? runId,
      started_at: resume?.header.started_at ?? startedAt,
      mode: cfg.quick ? "quick" : "full",
      config: publicConfig(cfg),
      server,
      host: hostInfo(),
      suite_order: cfg.suites,
    }, resume?.tests.length ?? 0);
    const ctx = suiteContext(cfg, target, view, stop.signal, abort.signal, serverMetrics);
    if (cfg.shard) view.log(`shard ${formatShard(cfg.shard)} of every test's load`);
    if (cfg.startAtMs !== null && cfg.startAtMs > Date.now()) {
      view.log(`waiting until ${new Date(cfg.startAtMs).toISOString()} (--start-at)`);
      await waitUntil(cfg.startAtMs, stop.signal);
    }
    if (cfg.workers > 1) {
      const merged = await runWorkersMerged(
        cfg,
        ctx,
        hooks.entry ?? Deno.mainModule,
        abort.signal,
        scenario,
      );
      for (const s of merged) {
        const suite = SUITES[s.suite];
        if (suite && s.skipped === null) view.suite(suite);
        for (const t of s.tests) {
          view.result(t);
          journal.test(s.suite, t);
        }
        journal.suite(s);
      }
      suites.push(...merged);
    } else {
      suites.push(
        ...await runSuiteList(
          cfg.suites,
          ctx,
          {
            beforeSuite: (suite) => view.suite(suite),
            beforeTest: (_s, test, i, n) => view.test(test.name, i, n),
            afterTest: (s, result) => {
              journal!.test(s.name, result);
              view.result(result);
            },
            afterSuite: (result) => journal!.suite(result),
            earlier: (s, name) => {
              const kept = earlier.get(`${s.name}\u0000${name}`);
              if (kept) view.log(`${s.name}: "${name}" kept from the interrupted run`);
              return kept;
            },
          },
          (name) => withScenario(name, SUITES[name], scenario),
        ),
      );
    }
  } catch (err) {
    release();
    throw err;
  } finally {
    targetLost = await lostTarget(target, suites, cfg);
    await target?.stop();
  }
  const run: RunResult = {
    tool_version: VERSION,
    run_id: resume?.header.run_id ?? runId,
    started_at: resume?.header.started_at ?? startedAt,
    finished_at: new Date().toISOString(),
    mode: cfg.quick ? "quick" : "full",
    config: publicConfig(cfg),
    server: serverIdentity(target, serverMetrics),
    host: hostInfo(),
    suites,
    interrupted: stop.signal.aborted,
    target_lost: targetLost,
  };
  try {
    await writeReports(run, cfg.outputDir);
    journal?.finish(run.finished_at, run.interrupted);
  } finally {
    release();
  }
  return run;
}

function serverIdentity(
  target: Target,
  serverMetrics: ServerMetricsSource | null,
): RunResult["server"] {
  return {
    base_url: target.baseUrl,
    embedded: target.embedded,
    pid: target.pid,
    models: target.probe.models,
    server_header: target.probe.serverHeader,
    health_status: target.probe.healthStatus,
    metrics: serverMetrics ? { url: serverMetrics.shownUrl, engine: serverMetrics.engine } : null,
  };
}

function hostInfo(): RunResult["host"] {
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
  cfg: RunConfig,
): Promise<string | null> {
  if (!target) return null;
  const connects = suites.flatMap((s) => s.tests).reduce(
    (n, t) => n + (t.metrics.outcomes.connect ?? 0),
    0,
  );
  if (connects === 0) return null;
  try {
    await probeTarget(target.baseUrl, {
      apiKey: cfg.apiKey ?? undefined,
      http: cfg.httpClient,
      timeoutMs: Math.min(cfg.timeoutMs, 5000),
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
  cfg: RunConfig,
  target: Target,
  view: RunView,
): Promise<ServerMetricsSource | null> {
  if (cfg.noServerMetrics) return null;
  const url = cfg.metricsUrl ?? `${target.baseUrl}/metrics`;
  const shownUrl = publicUrl(url);
  const found = await probeServerMetrics(url);
  if (!found) {
    view.log(
      `server metrics: no vLLM, SGLang or TGI metrics at ${shownUrl}; reports show the ` +
        "client's view only",
    );
    return null;
  }
  view.log(`server metrics: ${found} metrics from ${shownUrl}, sampled every second`);
  return { url, shownUrl, engine: found };
}

function suiteContext(
  cfg: RunConfig,
  target: Target,
  view: RunView,
  stop: AbortSignal,
  abort: AbortSignal,
  serverMetrics: ServerMetricsSource | null,
): SuiteContext {
  return {
    baseUrl: target.baseUrl,
    apiKey: cfg.apiKey,
    timeoutMs: cfg.timeoutMs,
    http: cfg.httpClient,
    models: target.probe.models,
    modelOverride: cfg.model,
    slos: cfg.slo.map((x) => parseSlo(x)),
    maxErrorRate: cfg.maxErrorRate === null ? undefined : cfg.maxErrorRate / 100,
    repeat: { count: cfg.repeat, pauseS: cfg.repeatPauseS, maxCvPct: cfg.maxCv },
    limits: {
      maxBodyBytes: Math.round(cfg.maxResponseMb * 1024 * 1024),
      maxEventBytes: Math.round(cfg.maxEventKb * 1024),
    },
    quick: cfg.quick,
    seed: cfg.seed,
    warmup: cfg.warmup,
    clock: realClock,
    stop,
    abort,
    embedded: target.embedded,
    serverPid: target.pid,
    memory: {
      serverPid: cfg.serverPid,
      metricsUrl: cfg.metricsUrl,
      leakThresholdKb: cfg.leakThresholdKb,
    },
    progress: (label, total) => view.progress(label, total),
    log: (line) => view.log(line),
    ramp: cfg.ramp,
    maxQueueDelayMs: cfg.maxQueueDelayMs ?? undefined,
    shard: cfg.shard ?? undefined,
    serverMetrics: serverMetrics && { url: serverMetrics.url, shownUrl: serverMetrics.shownUrl },
  };
}
