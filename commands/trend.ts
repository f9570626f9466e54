/**
 * The `trend` command: every run found under the given folders, in time order, one series per
 * headline metric with change points against a rolling baseline; `trend.md`, `trend.json` and
 * `trend.html`; gates on the latest run.
 *
 * @module
 */

import { scrub } from "../util/redact.ts";
import { join, resolve } from "node:path";
import type { TrendArgs } from "../cli/args.ts";
import { ConfigError, ExitCode, GateError } from "../util/errors.ts";
import { loadRun } from "../engine/read_run.ts";
import { SCHEMA_VERSION } from "../report/json.ts";
import {
  buildTrend,
  latestRegressions,
  type TrendExcluded,
  type TrendRun,
} from "../analysis/trend.ts";
import { trendHtml, trendMarkdown } from "../report/trend.ts";
import { judgeGates, parseGates } from "../analysis/gates.ts";
import { CATALOGUE } from "../suites/registry.ts";

/** Folders under `dir` (itself included, at most `depth` levels down) that hold a run.json. */
async function runDirs(dir: string, depth = 4): Promise<string[]> {
  const out: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (err) {
    throw new ConfigError(`cannot read ${dir}: ${err instanceof Error ? err.message : err}`);
  }
  if (entries.some((e) => e.isFile && e.name === "run.json")) out.push(dir);
  if (depth > 0) {
    for (const e of entries) {
      if (e.isDirectory && e.name !== "progress" && e.name !== "charts") {
        out.push(...await runDirs(join(dir, e.name), depth - 1));
      }
    }
  }
  return out;
}

/** Run the `trend` command; resolves to the exit code. Throws typed errors. */
export async function trendCommand(args: TrendArgs): Promise<number> {
  const gates = parseGates(args.failIf ?? [], CATALOGUE); // before reading anything
  const dirs = (await Promise.all(args.dirs.map((d) => runDirs(resolve(d))))).flat();
  const runs: TrendRun[] = [];
  const excluded: TrendExcluded[] = [];
  for (const dir of [...new Set(dirs)]) {
    // One read per run, with compare's checks (a run.json, this schema's major version).
    try {
      const loaded = await loadRun(dir);
      if (loaded.schemaVersion === null) {
        excluded.push({ dir, reason: `no schema version, this tool reads ${SCHEMA_VERSION}` });
      } else runs.push({ dir, run: loaded.run });
    } catch (err) {
      excluded.push({ dir, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  if (runs.length === 0) {
    throw new ConfigError(`no run found under ${args.dirs.join(", ")} (folders with a run.json)`);
  }
  const trend = buildTrend(runs, CATALOGUE, args.window, excluded);
  const out = resolve(args.outputDir ?? args.dirs[0]);
  Deno.mkdirSync(out, { recursive: true });
  Deno.writeTextFileSync(join(out, "trend.md"), scrub(trendMarkdown(trend)));
  Deno.writeTextFileSync(join(out, "trend.json"), scrub(JSON.stringify(trend, null, 2) + "\n"));
  Deno.writeTextFileSync(join(out, "trend.html"), scrub(trendHtml(trend)));
  const reg = latestRegressions(trend);
  if (!args.quiet) {
    console.log(
      `${trend.runs.length} runs (${trend.excluded.length} left out); ` +
        (reg.length
          ? `regressions at the latest run: ${reg.map((s) => s.metric).join(", ")}`
          : "no regression at the latest run"),
    );
    console.log(`Trend written to ${out}`);
  } else console.log(out);
  const failed: string[] = [];
  if (args.failOnRegression && reg.length) {
    failed.push(`regressions at the latest run: ${reg.map((s) => s.metric).join(", ")}`);
  }
  const latest = runs.sort((a, b) => a.run.started_at.localeCompare(b.run.started_at)).at(-1)!;
  for (const g of judgeGates(gates, latest.run.suites, CATALOGUE)) {
    if (g.failed) failed.push(g.message);
  }
  if (failed.length) throw new GateError(`trend: ${failed.join("; ")}`);
  return ExitCode.Ok;
}
