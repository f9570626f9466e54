/**
 * The `run` command: resolve the configuration, open the target (embedded or `--url`), run
 * the suites, write the reports, and return the exit code.
 *
 * @module
 */

import { type RunArgs, VERSION } from "../core/cli.ts";
import {
  prepareOutputDir,
  publicConfig,
  resolveRunConfig,
  type RunConfig,
} from "../core/config.ts";
import { ExitCode } from "../core/errors.ts";
import type { RunResult, SuiteResult } from "../core/result.ts";
import type { SuiteContext } from "../core/runner.ts";
import { openTarget, type Target } from "../core/target.ts";
import { normalizeBaseUrl } from "../core/client.ts";
import { SUITES } from "../suites/mod.ts";
import { loadScenario } from "../core/scenario.ts";
import { withScenario } from "../suites/scenario.ts";
import { SUITE_NAMES } from "../core/result.ts";
import { runSuiteList, runWorkersMerged } from "./workers.ts";
import { formatShard, waitUntil } from "../core/shard.ts";
import { bold, dim, progressBar, testTable, yellow } from "../report/console.ts";
import { writeReports } from "../report/mod.ts";
import { evaluateGates, parseGates } from "../report/gates.ts";
import { GateError } from "../core/errors.ts";
import { setDefaultHttpClient } from "../core/client.ts";

/** How long in-flight requests may finish after an interrupt before they are cancelled. */
export const INTERRUPT_GRACE_MS = 3000;

/** Hooks for tests: the program entry to re-run for the embedded server, extra serve flags. */
export interface RunHooks {
  /** Program entry (defaults to the main module). */
  entry?: string;
  /** Extra flags for the embedded server. */
  serveArgs?: string[];
}

/** Run the `run` command; resolves to the process exit code. Throws typed errors. */
export async function runCommand(args: RunArgs, hooks: RunHooks = {}): Promise<number> {
  const cfg = resolveRunConfig(args);
  setDefaultHttpClient(cfg.httpClient);
  // A scenario file is read and validated completely before anything else happens.
  const scenario = cfg.config ? await loadScenario(args.config!) : null;
  if (scenario && !cfg.suitesExplicit) {
    cfg.suites = SUITE_NAMES.filter((s) =>
      scenario.suites.includes(s) && (s !== "memory" || !args.skipMemory)
    );
  }
  if (scenario && cfg.suitesExplicit) {
    const left = scenario.suites.filter((s) => !cfg.suites.includes(s));
    if (left.length) {
      log(cfg, yellow(`${scenario.file}: tests for ${left.join(", ")} skipped (not in --suite)`));
    }
  }
  // Bad input fails before anything is created or sent.
  if (cfg.url !== null) normalizeBaseUrl(cfg.url);
  const gates = parseGates(args.failIf ?? [], cfg.suites); // before any request
  await prepareOutputDir(cfg.outputDir);
  const stop = new AbortController();
  const abort = new AbortController();
  let target: Target | null = null;
  let serverPid: number | null = null;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      log(
        cfg,
        yellow("interrupt: no new requests; finishing in-flight ones, then writing reports"),
      );
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
  const suites: SuiteResult[] = [];
  try {
    target = await openTarget({
      url: cfg.url,
      apiKey: cfg.apiKey,
      seed: cfg.seed,
      entry: hooks.entry,
      serveArgs: hooks.serveArgs,
      onSpawn: (pid) => serverPid = pid,
    });
    log(
      cfg,
      `${bold("fakeai-bench")} ${VERSION} → ${target.baseUrl}` +
        `${target.embedded ? " (embedded server)" : ""} · ${target.probe.models.length} models · ` +
        `${cfg.quick ? "quick" : "full"} mode`,
    );
    const ctx: SuiteContext = {
      baseUrl: target.baseUrl,
      apiKey: cfg.apiKey,
      timeoutMs: cfg.timeoutMs,
      models: target.probe.models,
      modelOverride: cfg.model,
      quick: cfg.quick,
      seed: cfg.seed,
      warmup: cfg.warmup,
      stop: stop.signal,
      abort: abort.signal,
      embedded: target.embedded,
      serverPid: target.pid,
      memory: {
        serverPid: cfg.serverPid,
        metricsUrl: cfg.metricsUrl,
        leakThresholdKb: cfg.leakThresholdKb,
      },
      progress: (
        label,
        total,
      ) => (cfg.quiet ? { update() {}, finish() {} } : progressBar(label, total)),
      log: (line) => log(cfg, line),
      ramp: cfg.ramp,
      maxQueueDelayMs: cfg.maxQueueDelayMs ?? undefined,
      shard: cfg.shard ?? undefined,
    };
    if (cfg.shard) log(cfg, `shard ${formatShard(cfg.shard)} of every test's load`);
    if (cfg.startAtMs !== null && cfg.startAtMs > Date.now()) {
      log(cfg, `waiting until ${new Date(cfg.startAtMs).toISOString()} (--start-at)`);
      await waitUntil(cfg.startAtMs, stop.signal);
    }
    if (cfg.workers > 1) {
      suites.push(
        ...await runWorkersMerged(cfg, ctx, hooks.entry ?? Deno.mainModule, abort.signal),
      );
    } else {
      suites.push(
        ...await runSuiteList(
          cfg.suites,
          ctx,
          {
            beforeSuite: (suite) => say(cfg, `\n${bold(`== ${suite.title} ==`)}`),
            beforeTest: (_s, test, i, n) => log(cfg, dim(`[${i + 1}/${n}] ${test.name}`)),
            afterTest: (_s, result) => say(cfg, testTable(result)),
          },
          (name) => withScenario(name, SUITES[name], scenario),
        ),
      );
    }
  } catch (err) {
    release();
    throw err;
  } finally {
    await target?.stop();
  }
  const run: RunResult = {
    tool_version: VERSION,
    run_id: crypto.randomUUID(),
    started_at: startedAt,
    finished_at: new Date().toISOString(),
    mode: cfg.quick ? "quick" : "full",
    config: publicConfig(cfg),
    server: {
      base_url: target.baseUrl,
      embedded: target.embedded,
      pid: target.pid,
      models: target.probe.models,
      server_header: target.probe.serverHeader,
      health_status: target.probe.healthStatus,
    },
    host: {
      hostname: Deno.hostname(),
      os: Deno.build.os,
      arch: Deno.build.arch,
      cpus: navigator.hardwareConcurrency,
      deno: Deno.version.deno,
    },
    suites,
    interrupted: stop.signal.aborted,
  };
  try {
    await writeReports(run, cfg.outputDir);
  } finally {
    release();
  }
  if (cfg.quiet) console.log(cfg.outputDir);
  else console.log(`\nReports written to ${cfg.outputDir}`);
  if (run.interrupted) return ExitCode.Interrupted;
  const failed = suites.filter((s) => s.error !== null);
  for (const s of failed) console.error(`error: the ${s.suite} suite failed: ${s.error}`);
  const missing = suites.filter((s) => s.skipped !== null && cfg.suitesExplicit);
  for (const s of missing) console.error(`error: the ${s.suite} suite did not run: ${s.skipped}`);
  if (failed.length || missing.length) return ExitCode.Suite;
  const gateResults = evaluateGates(gates, suites);
  for (const g of gateResults) log(cfg, `--fail-if ${g.gate.expr}: ${g.message}`);
  const tripped = gateResults.filter((g) => g.failed);
  if (tripped.length) {
    throw new GateError(
      `--fail-if: ${tripped.length} of ${gates.length} gates failed: ` +
        tripped.map((g) => g.message).join("; "),
    );
  }
  return ExitCode.Ok;
}

function log(cfg: RunConfig, line: string): void {
  if (!cfg.quiet) console.error(line);
}

function say(cfg: RunConfig, text: string): void {
  if (!cfg.quiet) console.log(text);
}
