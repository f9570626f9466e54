/**
 * The `report` command: rebuild a run folder's report set from its journal (an interrupted
 * run) or its `run.json` (a finished one).
 *
 * @module
 */

import { resolve } from "node:path";
import { existsSync } from "node:fs";
import type { ReportArgs } from "../cli/args.ts";
import { ConfigError, ExitCode } from "../util/errors.ts";
import { readJournal, runFromJournal } from "../engine/journal.ts";
import { readRun } from "../engine/read_run.ts";
import { writeReports } from "../report/mod.ts";
import { lockOutputDir } from "../engine/output_lock.ts";
import { analyzeReports, reporterOf } from "../engine/run.ts";

/** Run the `report` command; resolves to the exit code. Throws typed errors. */
export async function reportCommand(args: ReportArgs): Promise<number> {
  const dir = resolve(args.dir);
  if (!existsSync(dir)) throw new ConfigError(`${dir} holds no run to report: no such folder`);
  // A live run still writing there is refused; a killed one's lock is taken over.
  const lock = lockOutputDir(dir, "report");
  try {
    return await rebuild(dir, args);
  } finally {
    lock.release();
  }
}

async function rebuild(dir: string, args: ReportArgs): Promise<number> {
  const journal = readJournal(dir);
  let how: string;
  let run;
  if (journal && !journal.finished) {
    run = runFromJournal(journal);
    const n = run.suites.reduce((k, s) => k + s.tests.length, 0);
    how = `rebuilt from the ${n} test(s) the run completed; it did not finish (marked interrupted)`;
  } else {
    try {
      run = await readRun(dir);
    } catch (err) {
      if (journal) run = runFromJournal(journal);
      else {
        throw new ConfigError(
          `${dir} holds no run to report: neither progress/run.json nor run.json ` +
            `(${err instanceof Error ? err.message : err})`,
        );
      }
    }
    how = "rewritten from the finished run";
  }
  await writeReports(run, analyzeReports(run), reporterOf, dir);
  if (args.quiet) console.log(dir);
  else console.log(`Reports written to ${dir} (${how})`);
  return ExitCode.Ok;
}
