/**
 * `deno task twin:check [TWIN_FILE]`: the twin's predictions against every stage of the
 * calibration set (vLLM on H100 SXM), with the median errors. With a twin file (from
 * `calibrate`), its coefficients instead of the shipped ones.
 *
 * @module
 */

import { checkTable, checkTwin } from "../twin/check.ts";
import { readTwinFile } from "../twin/deployment.ts";
import { HOPPER_VLLM } from "../twin/timing.ts";

const file = Deno.args[0];
const coefficients = file ? readTwinFile(file).coefficients : HOPPER_VLLM;
const started = performance.now();
const summary = checkTwin(coefficients);
console.log(checkTable(summary));
console.log(
  `\n${summary.stages.length} stages predicted in ${
    ((performance.now() - started) / 1000).toFixed(1)
  } s.`,
);
