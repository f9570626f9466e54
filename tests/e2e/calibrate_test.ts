/**
 * `calibrate` as a user runs it, on runs whose truth is known: runs of the twin with known
 * coefficients (predicted, then stripped of their prediction mark to stand in for measured
 * runs) are fitted back, and the coefficients come out within 5%.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openTest } from "../_open.ts";
import { runProgram } from "./_run.ts";
import { HOPPER_VLLM } from "../../twin/timing.ts";
import { TWIN_FILE_FORMAT } from "../../twin/deployment.ts";

/** Coefficients unlike the shipped ones, in what one model on one GPU can tell apart. */
const KNOWN = {
  ...HOPPER_VLLM,
  memEfficiency: 0.75,
  computeEfficiency: 0.6,
  attnEfficiency: 0.7,
  perSeqUs: 20,
  requestOverheadMs: 5,
};

async function asMeasured(dir: string): Promise<void> {
  const path = join(dir, "run.json");
  const run = JSON.parse(await Deno.readTextFile(path));
  delete run.predicted;
  for (const s of run.suites) for (const t of s.tests) delete t.extra.predicted;
  await Deno.writeTextFile(path, JSON.stringify(run));
}

openTest(
  "calibrate: runs of a twin with known coefficients are fitted back within 5%",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const known = join(dir, "known.json");
      await Deno.writeTextFile(
        known,
        JSON.stringify({ format: TWIN_FILE_FORMAT, coefficients: KNOWN }),
      );
      const runs: string[] = [];
      for (const isl of ["128", "2048"]) {
        const out = join(dir, `isl${isl}`);
        const r = await runProgram([
          "predict",
          "--twin-file",
          known,
          "--isl",
          isl,
          "--osl",
          "64",
          "--sweep",
          "concurrency:1,32",
          "--requests",
          "48",
          "-q",
          "-o",
          out,
        ]);
        assert.equal(r.code, 0, r.stderr);
        await asMeasured(out);
        runs.push(out);
      }
      // A predicted run is not a measurement: calibrate leaves it out, and says so.
      const predictedOnly = join(dir, "predicted");
      const p = await runProgram([
        "predict",
        "--isl",
        "64",
        "--requests",
        "8",
        "-q",
        "-o",
        predictedOnly,
      ]);
      assert.equal(p.code, 0, p.stderr);
      const out = join(dir, "twin.json");
      const r = await runProgram(["calibrate", ...runs, predictedOnly, "-q", "-o", out]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /left out .*predicted: a predicted run, not a measurement/);
      assert.match(r.stdout, /isl=2048 osl=64, 32 concurrent: E2E [+−]\d/);
      const twin = JSON.parse(await Deno.readTextFile(out));
      assert.equal(twin.format, TWIN_FILE_FORMAT);
      for (
        const name of [
          "memEfficiency",
          "computeEfficiency",
          "attnEfficiency",
          "perSeqUs",
          "requestOverheadMs",
        ] as const
      ) {
        const got = twin.coefficients[name], want = KNOWN[name];
        assert.ok(Math.abs(got - want) / want <= 0.05, `${name}: fitted ${got}, known ${want}`);
      }
      // The twin file works where a twin is taken.
      const again = await runProgram([
        "predict",
        "--twin-file",
        out,
        "--isl",
        "64",
        "--requests",
        "8",
        "-q",
        "-o",
        join(dir, "again"),
      ]);
      assert.equal(again.code, 0, again.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

openTest("calibrate: no run folder, or runs with nothing to fit, are usage errors", async () => {
  const none = await runProgram(["calibrate"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /at least one run folder/);
  const missing = await runProgram(["calibrate", "/no/such/run"]);
  assert.equal(missing.code, 2);
});
