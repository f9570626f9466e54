import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { join } from "node:path";
import { runInProcess, runProgram } from "./_run.ts";
import { main } from "../../main.ts";
import { compareCommand } from "../../commands/compare.ts";
import { GateError } from "../../util/errors.ts";
import { validateRunFolder } from "../_jsonschema.ts";

const SERVE = ["--itl-ms", "5", "--prefill-ms-per-token", "0"];

openTest(
  "compare: a run against itself exits 0; against doubled TTFT exits 4 naming TTFT",
  async () => {
    const root = await Deno.makeTempDir();
    const base = join(root, "base"), slow = join(root, "slow");
    try {
      const quick = ["--quick", "--suite", "throughput", "--output-dir"];
      assert.equal(
        await runInProcess(["--server-profile", "constant", ...quick, base], [
          "--ttft-ms",
          "60",
          ...SERVE,
        ]),
        0,
      );
      // The slow run doubles TTFT and gates on it: reports are written, then exit 4.
      await assert.rejects(
        () =>
          runInProcess(
            [
              "--server-profile",
              "constant",
              ...quick,
              slow,
              "--fail-if",
              "throughput.ttft_p50_ms>90",
              "--fail-if",
              "throughput.rps<0",
            ],
            ["--ttft-ms", "120", ...SERVE],
          ),
        (e: unknown) => {
          assert.ok(e instanceof GateError, String(e));
          assert.equal(e.exitCode, 4);
          assert.match(e.message, /1 of 2 gates failed: throughput\.ttft_p50_ms = 1\d\d\.\d\d ms/);
          return true;
        },
      );
      for (const dir of [base, slow]) {
        const v = await validateRunFolder(dir);
        assert.deepEqual(v.files, ["run.json", "throughput_results.json"]);
        assert.deepEqual(v.errors, [], v.errors.join("\n"));
        assert.ok((await Deno.stat(join(dir, "report.html"))).isFile);
      }
      // Same run twice: no regression.
      assert.equal(await main(["compare", base, base, "--output", join(root, "self.md")]), 0);
      const self = await Deno.readTextFile(join(root, "self.md"));
      assert.match(self, /No regressions/);
      // Doubled TTFT: exit 4, TTFT named, comparison.md in the new folder and in the summary.
      assert.equal(await main(["compare", base, slow]), 4);
      const summary = join(root, "step-summary.md");
      await assert.rejects(
        () =>
          compareCommand(
            { base, next: slow, thresholds: [], output: null, ignoreIntervals: false },
            (n) => n === "GITHUB_STEP_SUMMARY" ? summary : undefined,
          ),
        (e: unknown) => {
          assert.ok(e instanceof GateError);
          assert.match(
            e.message,
            /throughput\.ttft_p50_ms \d+\.\d\d ms → 1\d\d\.\d\d ms \(\+\d+\.\d%/,
          );
          return true;
        },
      );
      const md = await Deno.readTextFile(join(slow, "comparison.md"));
      assert.match(md, /## ❌ Regressions[\s\S]*throughput\.ttft_p50_ms[\s\S]*## All metrics/);
      assert.equal(await Deno.readTextFile(summary), md + "\n");
      // Raising the thresholds past +100% lets it through (latency grows with TTFT, and ITL
      // p99 of 20 short streams is noisy on a shared machine: raise them all).
      assert.equal(
        await main([
          "compare",
          base,
          slow,
          "-o",
          join(root, "loose.md"),
          ...[
            "ttft_p50_ms",
            "ttft_p99_ms",
            "latency_p50_ms",
            "latency_p99_ms",
            "rps",
            "output_tps",
            "tpot_p50_ms",
            "itl_p99_ms",
          ].flatMap((m) => ["--threshold", `${m}=150`]),
        ]),
        0,
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
);

Deno.test("an unknown --fail-if metric exits 2 before any request, naming close matches", async () => {
  // Port 9 is closed: exit 3 would mean the target was probed first.
  const r = await runProgram([
    "--url",
    "http://127.0.0.1:9",
    "--suite",
    "throughput",
    "--fail-if",
    "throughput.ttft_p99>800",
    "-o",
    await Deno.makeTempDir(),
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /unknown metric 'throughput\.ttft_p99'; did you mean throughput\.ttft_p99_ms/,
  );
  const c = await runProgram(["compare", "a"]);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /two run folders/);
  const h = await runProgram(["help", "metrics"]);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /memory\.slope_kb_per_request/);
});
