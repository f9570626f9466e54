/**
 * `deno task twin:check [TWIN_FILE] [--write-docs]`: the twin's predictions against every stage
 * of the calibration set (vLLM on H100 SXM), with the median errors. With a twin file (from
 * `calibrate`), its coefficients instead of the shipped ones; with `--write-docs`, the table
 * goes into `docs/twin.md` between its markers.
 *
 * @module
 */

import { checkTable, checkTwin, withCheckTable } from "../twin/check.ts";
import { readTwinFile } from "../twin/deployment.ts";
import { HOPPER_VLLM } from "../twin/timing.ts";

const write = Deno.args.includes("--write-docs");
const file = Deno.args.find((a) => !a.startsWith("--"));
const coefficients = file ? readTwinFile(file).coefficients : HOPPER_VLLM;
const started = performance.now();
const table = checkTable(checkTwin(coefficients));
console.log(table);
console.log(`\n13 stages predicted in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
if (write) {
  const docs = new URL("../docs/twin.md", import.meta.url);
  await Deno.writeTextFile(docs, withCheckTable(await Deno.readTextFile(docs), table));
  console.log(`wrote ${docs.pathname}`);
}
