/**
 * The `compare` command: two run folders in, `comparison.md` out (into the new run's folder
 * unless `--output` says otherwise), appended to `$GITHUB_STEP_SUMMARY` when set; exit 4 when
 * any metric regressed beyond its threshold.
 *
 * @module
 */

import { scrub } from "../util/redact.ts";
import { join, resolve } from "node:path";
import type { CompareArgs } from "../cli/args.ts";
import { ExitCode, GateError } from "../util/errors.ts";
import { compareRuns, noiseText, parseThresholds } from "../analysis/compare.ts";
import { comparisonMarkdown } from "../report/compare.ts";
import { CATALOGUE } from "../suites/registry.ts";
import { loadRun } from "../engine/read_run.ts";
import { formatMetric } from "../analysis/catalogue.ts";
import { writeFileAtomic } from "../report/write.ts";

/** Run `compare`; resolves to the exit code, or throws a typed error (GateError on regression). */
export async function compareCommand(
  args: CompareArgs,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): Promise<number> {
  const overrides = parseThresholds(args.thresholds, CATALOGUE);
  const [base, next] = [await loadRun(args.base), await loadRun(args.next)];
  const c = compareRuns(base, next, CATALOGUE, overrides, !args.ignoreIntervals);
  const md = comparisonMarkdown(c);
  const out = resolve(args.output ?? join(next.dir, "comparison.md"));
  await writeFileAtomic(out, md);
  const summary = env("GITHUB_STEP_SUMMARY");
  if (summary) await Deno.writeTextFile(summary, scrub(md) + "\n", { append: true, create: true });
  for (const w of c.warnings) console.error(`warning: ${w}`);
  console.log(
    `${c.metrics.length} metrics compared: ${
      c.metrics.filter((m) => m.verdict === "better").length
    } better, ${
      c.metrics.filter((m) => m.verdict === "worse").length
    } worse, ${c.regressions.length} regressions${
      c.withinNoise.length ? `, ${c.withinNoise.length} worse but within noise` : ""
    }`,
  );
  for (const m of c.withinNoise) {
    console.log(
      `  within noise: ${m.name} ${formatMetric(m.def, m.base)} → ${
        formatMetric(m.def, m.next)
      } (${m.change}): ${noiseText(m)}`,
    );
  }
  console.log(`Comparison written to ${out}`);
  if (c.regressions.length) {
    throw new GateError(
      `${c.regressions.length} regression${c.regressions.length > 1 ? "s" : ""}: ` +
        c.regressions.map((m) =>
          `${m.name} ${formatMetric(m.def, m.base)} → ${
            formatMetric(m.def, m.next)
          } (${m.change}; threshold ${m.thresholdText}; ${noiseText(m)})`
        ).join("; "),
    );
  }
  return ExitCode.Ok;
}
