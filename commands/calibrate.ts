/**
 * The `calibrate` command: fit the twin to runs of this tool against the user's server, print
 * each test's error before and after, and write the twin file `predict`, `serve` and `run`
 * take with `--twin-file`.
 *
 * @module
 */

import type { CalibrateArgs } from "../cli/args.ts";
import { ConfigError, ExitCode } from "../util/errors.ts";
import { readRun } from "../engine/read_run.ts";
import {
  calibrate,
  type Figures,
  type Observed,
  observedTests,
  twinFileOf,
} from "../engine/calibrate.ts";
import { twinSettingsFrom } from "../plan/twin.ts";
import { resolveDeployment } from "../twin/deployment.ts";
import { COEFFICIENT_NAMES } from "../twin/timing.ts";
import { writeJsonAtomic } from "../report/write.ts";

const pct = (p: number | null, m: number | null) =>
  p === null || m === null || !(m > 0)
    ? "—"
    : `${p >= m ? "+" : "−"}${(Math.abs(p - m) / m * 100).toFixed(1)}%`;

function errors(m: Figures, p: Figures): string {
  return `E2E ${pct(p.e2eMean, m.e2eMean)}, p90 ${pct(p.e2eP90, m.e2eP90)}, TPOT ${
    pct(p.tpotMean, m.tpotMean)
  }, TTFT ${pct(p.ttftMean, m.ttftMean)}`;
}

/** Run `calibrate`; resolves to the exit code. */
export async function calibrateCommand(args: CalibrateArgs): Promise<number> {
  const d = resolveDeployment(twinSettingsFrom(args));
  const tests: Observed[] = [];
  for (const dir of args.dirs) {
    const run = await readRun(dir);
    const found = observedTests(dir, run);
    for (const s of found.skipped) console.error(`calibrate: left out ${s}`);
    tests.push(...found.tests);
  }
  if (tests.length === 0) {
    throw new ConfigError(
      "calibrate: the runs have no workload test the twin can replay (synthetic prompts: " +
        "--isl/--osl, a --sweep is ideal)",
    );
  }
  console.error(
    `calibrate: ${tests.length} tests of ${args.dirs.length} run(s), twin ${d.model.name} on ` +
      `${d.tp} × ${d.gpu.title}`,
  );
  const c = await calibrate(tests, d, {
    maxEvaluations: args.evaluations,
    onProgress: (loss, n) => {
      if (!args.quiet && n % 25 === 0) console.error(`  ${n} evaluations, loss ${loss.toFixed(5)}`);
    },
  });
  const byRun = Map.groupBy(c.tests, (t) => t.run);
  for (const [run, ts] of byRun) {
    console.log(`\n${run}`);
    for (const t of ts) console.log(`  ${t.name}: ${errors(t.measured, t.predicted)}`);
  }
  console.log(
    `\nfitted ${c.fitted.join(", ")} in ${c.evaluations} evaluations; loss ${
      c.loss.start.toFixed(5)
    } → ${c.loss.end.toFixed(5)}`,
  );
  for (const name of COEFFICIENT_NAMES) {
    console.log(
      `  ${name.padEnd(18)} ${d.coefficients[name].toPrecision(3).padStart(8)} → ${
        c.coefficients[name].toPrecision(3)
      }`,
    );
  }
  await writeJsonAtomic(args.output, twinFileOf(c, d, args.dirs));
  console.log(`\nTwin written to ${args.output} (use it with --twin-file)`);
  return ExitCode.Ok;
}
