/**
 * trend over ten runs of the quick suites, the last one slowed down: charts, the flagged run,
 * and exit 4 gates.
 */
import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { join } from "node:path";
import { runInProcess, runProgram } from "./_run.ts";

openTest(
  "trend: ten runs, the last slowed down; charts drawn, the slow run flagged, gates exit 4",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      // The quick suites (the memory suite's minute of idle sampling left out), each run
      // against its own embedded server.
      const argv = ["--quick", "--skip-memory", "--server-profile", "constant"];
      for (let i = 0; i < 10; i++) {
        const slow = i === 9;
        const code = await runInProcess(
          [...argv, "-o", join(dir, `run-${String(i).padStart(2, "0")}`)],
          ["--ttft-ms", slow ? "150" : "10", "--ttft-variance", "0", "--itl-ms", "1"],
        );
        assert.equal(code, 0);
      }
      await Deno.mkdir(join(dir, "not-a-run"));
      await Deno.writeTextFile(join(dir, "not-a-run", "run.json"), "{");
      const r = await runProgram(["trend", dir]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /10 runs \(1 left out\); regressions at the latest run: .*throughput\.ttft_p50_ms/,
      );
      const trend = JSON.parse(await Deno.readTextFile(join(dir, "trend.json")));
      const ttft = trend.series.find((s: { metric: string }) =>
        s.metric === "throughput.ttft_p99_ms"
      );
      assert.equal(ttft.points.length, 10);
      assert.equal(ttft.points.at(-1).change, "regression");
      // That ordinary run-to-run noise is not flagged is tested on exact data in
      // tests/report/trend_test.ts; on a shared machine only the slow run is certain here.
      const html = await Deno.readTextFile(join(dir, "trend.html"));
      assert.ok((html.match(/<svg/g) ?? []).length >= 5, "a chart per metric");
      assert.match(html, /Regressions at the latest run: .*throughput\.ttft_p50_ms/);
      assert.match(html, /href="[^"]*run-09\/report\.html"/);
      const md = await Deno.readTextFile(join(dir, "trend.md"));
      assert.match(md, /## Runs left out/);
      const gate = await runProgram(["trend", dir, "--fail-on-regression", "-q"]);
      assert.equal(gate.code, 4, gate.stderr);
      assert.match(gate.stderr, /regressions at the latest run/);
      const expr = await runProgram([
        "trend",
        dir,
        "--fail-if",
        "throughput.ttft_p50_ms>100",
        "-q",
      ]);
      assert.equal(expr.code, 4, expr.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("trend of a folder without runs is a clear error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runProgram(["trend", dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no run found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
