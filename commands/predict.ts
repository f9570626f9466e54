/**
 * The `predict` command: the run's plan from the same options, its workload played through
 * the engine twin in virtual time, the report set written, gates judged.
 *
 * @module
 */

import type { RunArgs } from "../cli/args.ts";
import { buildRunPlan } from "../cli/plan.ts";
import { ExitCode, GateError } from "../util/errors.ts";
import { executePredict } from "../engine/predict.ts";
import { CATALOGUE } from "../suites/registry.ts";
import { judgeGates } from "../analysis/gates.ts";
import { consoleView, modeLabel, prepareOutputDir, removeIfEmpty } from "./run.ts";

/** Run `predict`; resolves to the exit code. Throws typed errors. */
export async function predictCommand(args: RunArgs): Promise<number> {
  const { plan, warnings } = await buildRunPlan(args);
  for (const w of warnings) console.error(w);
  const { created, lock } = await prepareOutputDir(plan.output.dir, "predict");
  const view = consoleView(
    plan,
    `predicted (${
      modeLabel({ quick: plan.suites.quick, suites: plan.suites.names }, plan.scenario)
    })`,
  );
  const d = plan.embedded?.twin;
  if (!plan.output.quiet && d) {
    console.error(
      `engine twin: ${d.model} on ${d.tp} × ${d.gpu} under vLLM — predicted, not measured`,
    );
  }
  let finished;
  const started = performance.now();
  try {
    finished = await executePredict(plan, view);
  } catch (err) {
    lock.release();
    if (created) await removeIfEmpty(plan.output.dir);
    throw err;
  }
  lock.release();
  const seconds = (performance.now() - started) / 1000;
  if (plan.output.quiet) console.log(plan.output.dir);
  else {
    console.log(
      `\nPredicted reports written to ${plan.output.dir} (${seconds.toFixed(1)} s for ` +
        `${finished.simulatedS.toFixed(0)} s of load, ${
          (finished.simulatedS / Math.max(seconds, 1e-3)).toFixed(0)
        }× real time)`,
    );
  }
  const verdicts = judgeGates(plan.gates, finished.run.suites, CATALOGUE);
  for (const g of verdicts) console.error(`--fail-if ${g.gate.expr}: ${g.message}`);
  const tripped = verdicts.filter((g) => g.failed);
  if (tripped.length) {
    throw new GateError(
      `--fail-if: ${tripped.length} of ${verdicts.length} gates failed: ` +
        tripped.map((g) => g.message).join("; "),
    );
  }
  return ExitCode.Ok;
}
