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
import { runSuite, SUITES } from "../suites/mod.ts";
import { bold, dim, progressBar, testTable, yellow } from "../report/console.ts";
import { writeReports } from "../report/mod.ts";
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
  setDefaultHttpClient(args.httpClient ?? "native");
  const cfg = resolveRunConfig(args);
  await prepareOutputDir(cfg.outputDir);
  const stop = new AbortController();
  const abort = new AbortController();
  let target: Target | null = null;
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      log(
        cfg,
        yellow("interrupt: no new requests; finishing in-flight ones, then writing reports"),
      );
      stop.abort();
      setTimeout(() => abort.abort(), INTERRUPT_GRACE_MS);
    } else {
      if (target?.pid) {
        try {
          Deno.kill(target.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      Deno.exit(ExitCode.Interrupted);
    }
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  const startedAt = new Date().toISOString();
  const suites: SuiteResult[] = [];
  try {
    target = await openTarget({
      url: cfg.url,
      apiKey: cfg.apiKey,
      seed: cfg.seed,
      entry: hooks.entry,
      serveArgs: hooks.serveArgs,
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
      progress: (
        label,
        total,
      ) => (cfg.quiet ? { update() {}, finish() {} } : progressBar(label, total)),
      log: (line) => log(cfg, line),
    };
    for (const name of cfg.suites) {
      if (stop.signal.aborted) break;
      const suite = SUITES[name];
      if (!suite) {
        const now = new Date().toISOString();
        suites.push({
          suite: name,
          tests: [],
          started_at: now,
          finished_at: now,
          skipped: "not available in this build",
          error: null,
          interrupted: false,
        });
        continue;
      }
      say(cfg, `\n${bold(`== ${suite.title} ==`)}`);
      suites.push(
        await runSuite(suite, ctx, {
          beforeTest: (_s, test, i, n) => log(cfg, dim(`[${i + 1}/${n}] ${test.name}`)),
          afterTest: (_s, result) => say(cfg, testTable(result)),
        }),
      );
    }
  } finally {
    await target?.stop();
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
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
  await writeReports(run, cfg.outputDir);
  if (cfg.quiet) console.log(cfg.outputDir);
  else console.log(`\nReports written to ${cfg.outputDir}`);
  if (run.interrupted) return ExitCode.Interrupted;
  const failed = suites.filter((s) => s.error !== null);
  for (const s of failed) console.error(`error: the ${s.suite} suite failed: ${s.error}`);
  const missing = suites.filter((s) => s.skipped !== null && cfg.suitesExplicit);
  for (const s of missing) console.error(`error: the ${s.suite} suite did not run: ${s.skipped}`);
  return failed.length || missing.length ? ExitCode.Suite : ExitCode.Ok;
}

function log(cfg: RunConfig, line: string): void {
  if (!cfg.quiet) console.error(line);
}

function say(cfg: RunConfig, text: string): void {
  if (!cfg.quiet) console.log(text);
}
