/**
 * The `run` command: resolve the configuration, check everything the user gave before any
 * request, run the engine, print, and turn the outcome into an exit code.
 *
 * @module
 */

import { type RunArgs, VERSION } from "../cli/args.ts";
import { join, resolve } from "node:path";
import { existsSync } from "node:fs";
import {
  prepareOutputDir,
  publicConfig,
  removeIfEmpty,
  resolveRunConfig,
  type RunConfig,
} from "../cli/config.ts";
import { type Journal, JOURNAL_DIR, readJournal } from "../engine/journal.ts";
import { loadScenario, type Scenario } from "../cli/scenario.ts";
import { workloadScenario } from "../cli/workload.ts";
import { preflightWorkload } from "../workload/workload.ts";
import { parseSlo } from "../measure/slo.ts";
import { ExitCode, GateError, UsageError } from "../util/errors.ts";
import { SUITE_NAMES } from "../measure/result.ts";
import { normalizeBaseUrl } from "../net/client.ts";
import { executeRun, type RunHooks, type RunView } from "../engine/run.ts";
import type { RunResult } from "../suites/mod.ts";
import { bold, dim, progressBar, testTable, yellow } from "../report/console.ts";
import { evaluateGates, parseGates } from "../report/gates.ts";

export { INTERRUPT_GRACE_MS, type RunHooks } from "../engine/run.ts";

/** Run the `run` command; resolves to the process exit code. Throws typed errors. */
export async function runCommand(args: RunArgs, hooks: RunHooks = {}): Promise<number> {
  const cfg = resolveRunConfig(
    args.resume ? { ...args, outputDir: args.outputDir ?? args.resume } : args,
  );
  const resume = args.resume ? resumeOf(cfg, args.resume) : null;
  if (args.apiKeySource === "flag") {
    console.error(
      yellow(
        "warning: --api-key leaves the key readable by other local users (the process list) " +
          "and in deno task's echo of the command; prefer OPENAI_API_KEY or --api-key-file",
      ),
    );
  }
  // A scenario file is read and validated completely before anything else happens.
  const scenario = cfg.config ? await loadScenario(args.config!) : workloadScenario(cfg);
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
  for (const t of scenario?.tests ?? []) if (t.workload) await preflightWorkload(t.workload);
  if (cfg.url !== null) normalizeBaseUrl(cfg.url);
  const gates = parseGates(args.failIf ?? [], cfg.suites); // before any request
  for (const s of cfg.slo) parseSlo(s); // a bad SLO is a usage error before any request
  const { created } = await prepareOutputDir(cfg.outputDir);
  let run;
  try {
    run = await executeRun(
      cfg,
      scenario,
      consoleView(cfg, modeLabel(cfg, scenario)),
      hooks,
      resume,
    );
  } catch (err) {
    // A run that failed before writing anything (target unreachable…) leaves no empty folder.
    if (created) await removeIfEmpty(cfg.outputDir);
    throw err;
  }
  if (cfg.quiet) console.log(cfg.outputDir);
  else console.log(`\nReports written to ${cfg.outputDir}`);
  if (run.interrupted) return ExitCode.Interrupted;
  const failed = run.suites.filter((s) => s.error !== null);
  for (const s of failed) console.error(`error: the ${s.suite} suite failed: ${s.error}`);
  const missing = run.suites.filter((s) => s.skipped !== null && cfg.suitesExplicit);
  for (const s of missing) console.error(`error: the ${s.suite} suite did not run: ${s.skipped}`);
  // A lost target explains the suites it stopped: it decides the exit code.
  const nothing = noSuccess(run);
  if (run.target_lost && !args.acceptFailures) return failures(nothing);
  if (failed.length || missing.length) return ExitCode.Suite;
  if (nothing.length && !args.acceptFailures) return failures(nothing);
  const gateResults = evaluateGates(gates, run.suites);
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

/** Options that may differ between a run and its `--resume`: they change no measurement. */
const RESUMABLE = new Set([
  "outputDir",
  "resume",
  "quiet",
  "startAtMs",
  "apiKeySource",
  "api_key_set",
  "apiKeyFile",
  "failIf",
  "acceptFailures",
]);

/**
 * The journal `--resume DIR` continues. Throws {@linkcode UsageError} when DIR has none, its
 * run finished, or the options differ from the run's.
 */
function resumeOf(cfg: RunConfig, dir: string): Journal {
  if (resolve(dir) !== cfg.outputDir) {
    throw new UsageError(`--resume ${dir} writes into ${dir}; drop -o or give the same folder`);
  }
  const journal = readJournal(cfg.outputDir);
  if (!journal) {
    const finished = existsSync(join(cfg.outputDir, "run.json"));
    throw new UsageError(
      finished
        ? `--resume ${dir}: that run finished; nothing to resume`
        : `--resume ${dir}: no run journal there (${JOURNAL_DIR}/run.json)`,
    );
  }
  if (journal.finished && !journal.finished.interrupted) {
    throw new UsageError(`--resume ${dir}: that run finished; nothing to resume`);
  }
  const was = journal.header.config;
  const now = publicConfig(cfg);
  const differ = Object.keys({ ...was, ...now })
    .filter((k) => !RESUMABLE.has(k) && JSON.stringify(was[k]) !== JSON.stringify(now[k]))
    .map((k) => `${k} was ${JSON.stringify(was[k])}, now ${JSON.stringify(now[k])}`);
  if (differ.length > 0) {
    throw new UsageError(
      `--resume ${dir}: give the options the run had (${differ.slice(0, 4).join("; ")}` +
        `${differ.length > 4 ? `; … ${differ.length - 4} more` : ""})`,
    );
  }
  return journal;
}

function failures(why: string[]): number {
  for (const w of why) console.error(`error: ${w}`);
  console.error("(exit 6; --accept-failures exits 0 for runs where failures are expected)");
  return ExitCode.Failures;
}

/** Why a run's results cannot be trusted as a success: tests where nothing worked, a lost target. */
export function noSuccess(run: RunResult): string[] {
  const out: string[] = [];
  if (run.target_lost) out.push(run.target_lost);
  for (const s of run.suites) {
    for (const t of s.tests) {
      const m = t.metrics;
      if (m.total_requests > 0 && m.successful_requests === 0) {
        const classes = Object.entries(m.outcomes).filter(([k, v]) => k !== "ok" && v > 0)
          .map(([k, v]) => `${v} ${k}`).join(", ");
        out.push(`${s.suite}: "${t.name}" had no successful request (${classes})`);
      }
    }
  }
  return out;
}

/**
 * What the banner says the run is: quick or full mode, or, when a scenario (or the command
 * line's workload) replaced every suite's built-in tests, where its tests come from.
 */
export function modeLabel(
  cfg: Pick<RunConfig, "quick" | "suites">,
  scenario: Scenario | null,
): string {
  if (scenario && cfg.suites.every((s) => scenario.replace.includes(s))) {
    return scenario.file === "command line" ? "workload test" : `tests of ${scenario.file}`;
  }
  return `${cfg.quick ? "quick" : "full"} mode`;
}

/** The terminal view of a run: progress bars and lines on stderr, tables on stdout. */
function consoleView(cfg: RunConfig, mode: string): RunView {
  return {
    log: (line) => log(cfg, line.startsWith("interrupt:") ? yellow(line) : line),
    started: (target) =>
      log(
        cfg,
        `${bold("fakeai-bench")} ${VERSION} → ${target.baseUrl}` +
          `${target.embedded ? " (embedded server)" : ""} · ${target.probe.models.length} ` +
          `models · ${mode}`,
      ),
    suite: (suite) => say(cfg, `\n${bold(`== ${suite.title} ==`)}`),
    test: (name, i, n) => log(cfg, dim(`[${i + 1}/${n}] ${name}`)),
    result: (result) => say(cfg, testTable(result)),
    progress: (label, total) =>
      cfg.quiet ? { update() {}, finish() {} } : progressBar(label, total),
  };
}

function log(cfg: RunConfig, line: string): void {
  if (!cfg.quiet) console.error(line);
}

function say(cfg: RunConfig, text: string): void {
  if (!cfg.quiet) console.log(text);
}
