/**
 * The `merge` command: find shard outputs, merge them, write the report set.
 *
 * @module
 */

import { resolve } from "node:path";
import type { MergeArgs } from "../cli/args.ts";
import { defaultOutputDir } from "../cli/plan.ts";
import { prepareOutputDir } from "./run.ts";
import { analyzeReports, reporterOf } from "../engine/run.ts";
import { ExitCode } from "../util/errors.ts";
import { mergeRuns } from "../engine/merge.ts";
import { findShardDirs, readRun } from "../engine/read_run.ts";
import { writeReports } from "../report/mod.ts";

/** Run the `merge` command; resolves to the exit code. Throws typed errors. */
export async function mergeCommand(args: MergeArgs): Promise<number> {
  const outputDir = resolve(args.outputDir ?? defaultOutputDir());
  const dirs = await findShardDirs(args.dirs, outputDir);
  const runs = await Promise.all(dirs.map(readRun));
  const merged = mergeRuns(runs);
  const { lock } = await prepareOutputDir(outputDir, "merge");
  try {
    await writeReports(merged, analyzeReports(merged), reporterOf, outputDir);
  } finally {
    lock.release();
  }
  if (args.quiet) console.log(outputDir);
  else console.log(`Merged ${runs.length} shard outputs; reports written to ${outputDir}`);
  return merged.interrupted ? ExitCode.Interrupted : ExitCode.Ok;
}
