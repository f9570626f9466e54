/**
 * The `run` command: build the run's plan (every option checked before any request), run the
 * engine, print, and turn the outcome into an exit code.
 *
 * @module
 */

import { join } from "node:path";
import { existsSync } from "node:fs";
import type { RunArgs } from "../cli/args.ts";
import { buildRunPlan } from "../cli/plan.ts";
import { VERSION } from "../util/version.ts";
import { ConfigError, ExitCode, GateError, UsageError } from "../util/errors.ts";
import type { RunResult } from "../measure/result.ts";
import { planDifferences, planRecord, type RunPlan } from "../plan/plan.ts";
import type { Scenario } from "../plan/scenario.ts";
import { type Journal, JOURNAL_DIR, readJournal } from "../engine/journal.ts";
import { executeRun, type RunHooks, type RunView } from "../engine/run.ts";
import { lockOutputDir, type OutputLock } from "../engine/output_lock.ts";
import { CATALOGUE, suiteNamed } from "../suites/registry.ts";
import { testRepeatSummary } from "../analysis/repeat.ts";
import { judgeGates } from "../analysis/gates.ts";
import { bold, dim, progressBar, testTable, yellow } from "../report/console.ts";

export { INTERRUPT_GRACE_MS, type RunHooks } from "../engine/run.ts";

/** Run the `run` command; resolves to the process exit code. Throws typed errors. */
export async function runCommand(args: RunArgs, hooks: RunHooks = {}): Promise<number> {
  const { plan, warnings } = await buildRunPlan(args);
  for (const w of warnings) log(plan, yellow(w));
  const resume = plan.resume ? resumeOf(plan) : null;
  const { created, lock } = await prepareOutputDir(plan.output.dir, "run");
  let finished;
  try {
    finished = await executeRun(
      plan,
      consoleView(
        plan,
        modeLabel({ quick: plan.suites.quick, suites: plan.suites.names }, plan.scenario),
      ),
      hooks,
      resume,
    );
  } catch (err) {
    lock.release();
    // A run that failed before writing anything (target unreachable…) leaves no empty folder.
    if (created) await removeIfEmpty(plan.output.dir);
    throw err;
  }
  lock.release();
  const { run } = finished;
  if (plan.output.quiet) console.log(plan.output.dir);
  else console.log(`\nReports written to ${plan.output.dir}`);
  if (run.interrupted) return ExitCode.Interrupted;
  const failed = run.suites.filter((s) => s.error !== null);
  for (const s of failed) console.error(`error: the ${s.suite} suite failed: ${s.error}`);
  const missing = run.suites.filter((s) => s.skipped !== null && plan.suites.explicit);
  for (const s of missing) console.error(`error: the ${s.suite} suite did not run: ${s.skipped}`);
  // A lost target explains the suites it stopped: it decides the exit code.
  const nothing = noSuccess(run);
  if (run.target_lost && !plan.acceptFailures) return failures(nothing);
  if (failed.length || missing.length) return ExitCode.Suite;
  if (nothing.length && !plan.acceptFailures) return failures(nothing);
  const verdicts = judgeGates(plan.gates, run.suites, CATALOGUE);
  for (const g of verdicts) log(plan, `--fail-if ${g.gate.expr}: ${g.message}`);
  const tripped = verdicts.filter((g) => g.failed);
  if (tripped.length) {
    throw new GateError(
      `--fail-if: ${tripped.length} of ${verdicts.length} gates failed: ` +
        tripped.map((g) => g.message).join("; "),
    );
  }
  return ExitCode.Ok;
}

/**
 * The journal `--resume DIR` continues. Throws {@linkcode UsageError} when DIR has none, its
 * run finished, or the plan differs from the run's (naming each field that differs).
 */
function resumeOf(plan: RunPlan): Journal {
  const dir = plan.resume!;
  const journal = readJournal(plan.output.dir);
  if (!journal) {
    const finished = existsSync(join(plan.output.dir, "run.json"));
    throw new UsageError(
      finished
        ? `--resume ${dir}: that run finished; nothing to resume`
        : `--resume ${dir}: no run journal there (${JOURNAL_DIR}/run.json)`,
    );
  }
  if (journal.finished && !journal.finished.interrupted) {
    throw new UsageError(`--resume ${dir}: that run finished; nothing to resume`);
  }
  const was = journal.header.plan;
  if (!was) {
    throw new UsageError(
      `--resume ${dir}: that run was made by an older version (no plan recorded); run it again`,
    );
  }
  const differ = planDifferences(was, planRecord(plan))
    .map((d) => `${d.path} was ${JSON.stringify(d.was)}, now ${JSON.stringify(d.now)}`);
  if (differ.length > 0) {
    throw new UsageError(
      `--resume ${dir}: give the options the run had (${differ.slice(0, 4).join("; ")}` +
        `${differ.length > 4 ? `; … ${differ.length - 4} more` : ""})`,
    );
  }
  return journal;
}

/**
 * Create the output folder, prove it can be written and take its lock (one run per folder),
 * before any request is sent. Throws {@linkcode ConfigError}, also when another live run
 * holds the folder.
 */
export async function prepareOutputDir(
  dir: string,
  command: string,
): Promise<{ created: boolean; lock: OutputLock }> {
  let created = false;
  try {
    created = !(await Deno.stat(dir).then(() => true, () => false));
    await Deno.mkdir(dir, { recursive: true });
    const probe = join(dir, `.write-test-${Deno.pid}`);
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (err) {
    const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new ConfigError(`cannot write to output folder ${dir}: ${reason}`);
  }
  try {
    return { created, lock: lockOutputDir(dir, command) };
  } catch (err) {
    if (created) await removeIfEmpty(dir);
    throw err;
  }
}

/** Remove an output folder this run created when nothing was written into it. */
export async function removeIfEmpty(dir: string): Promise<void> {
  try {
    for await (const _ of Deno.readDir(dir)) return;
    await Deno.remove(dir);
  } catch {
    // gone or not ours to clean
  }
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
  run: { quick: boolean; suites: readonly string[] },
  scenario: Scenario | null,
): string {
  if (scenario && run.suites.every((s) => scenario.replace.includes(s))) {
    return scenario.file === "command line" ? "workload test" : `tests of ${scenario.file}`;
  }
  return `${run.quick ? "quick" : "full"} mode`;
}

/** The terminal view of a run: progress bars and lines on stderr, tables on stdout. */
export function consoleView(plan: RunPlan, mode: string): RunView {
  return {
    log: (line) => log(plan, line.startsWith("interrupt:") ? yellow(line) : line),
    started: (target) =>
      log(
        plan,
        `${bold("fakeai-bench")} ${VERSION} → ${target.baseUrl}` +
          `${target.embedded ? " (embedded server)" : ""} · ${target.probe.models.length} ` +
          `models · ${mode}`,
      ),
    suite: (suite) => say(plan, `\n${bold(`== ${suite.title} ==`)}`),
    test: (name, i, n) => log(plan, dim(`[${i + 1}/${n}] ${name}`)),
    result: (result, suite) =>
      say(plan, testTable(result, testRepeatSummary(result), suiteNamed(suite)?.reporter)),
    progress: (label, total) =>
      plan.output.quiet ? { update() {}, finish() {} } : progressBar(label, total),
  };
}

function log(plan: RunPlan, line: string): void {
  if (!plan.output.quiet) console.error(line);
}

function say(plan: RunPlan, text: string): void {
  if (!plan.output.quiet) console.log(text);
}
