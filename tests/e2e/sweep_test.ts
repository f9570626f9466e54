/**
 * A rate sweep against the embedded engine model: the throughput-latency curve, the Pareto
 * frontier, and a knee within 15% of the model's own predicted saturation.
 */
import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { join } from "node:path";
import { runProgram, SMALL_ENGINE, spawnServe } from "./_run.ts";

openTest(
  "rate sweep on the engine model: knee within 15% of the predicted saturation; charts drawn",
  async () => {
    const server = await spawnServe([...SMALL_ENGINE]);
    const dir = await Deno.makeTempDir();
    try {
      const prediction = await (await fetch(
        `${server.url}/engine/prediction?isl=64&osl=32`,
      )).json();
      const saturationTps: number = prediction.output_tokens_per_second;
      const rps: number = prediction.requests_per_second;
      // Levels at a quarter, half, one and two times the predicted saturation rate.
      const levels = [0.25, 0.5, 1, 2].map((f) => Number((f * rps).toFixed(2)));
      const r = await runProgram([
        "--url",
        server.url,
        "--sweep",
        `rate:${levels.join(",")}`,
        "--isl",
        "64",
        "--osl",
        "32",
        "--duration",
        "3",
        "--warmup",
        "2",
        // The client keeps this schedule easily; on a busy machine its own timer lag can still
        // pass the default 10 ms bound, which would end the sweep early as "past saturation".
        "--max-queue-delay-ms",
        "250",
        "-o",
        dir,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
      const tests = run.suites[0].tests;
      assert.equal(tests.length, 4);
      assert.deepEqual(
        tests.map((t: { extra: { sweep: { level: number } } }) => t.extra.sweep.level),
        levels,
      );
      const md = await Deno.readTextFile(join(dir, "throughput_results.md"));
      const knee = /Knee at [\d.]+ req\/s offered: ([\d.]+) output tokens\/s/.exec(md);
      assert.ok(knee, `no knee in the report:\n${md.slice(md.indexOf("## Sweep"))}`);
      const kneeTps = Number(knee[1]);
      assert.ok(
        Math.abs(kneeTps - saturationTps) / saturationTps <= 0.15,
        `knee ${kneeTps} tok/s vs predicted saturation ${saturationTps.toFixed(1)}`,
      );
      for (const f of ["sweep-latency.svg", "sweep-pareto.svg"]) {
        const svg = await Deno.readTextFile(join(dir, "charts", f));
        assert.match(svg, /class="series"/, `${f} has drawn data`);
      }
      const html = await Deno.readTextFile(join(dir, "report.html"));
      assert.match(html, /Pareto frontier \(rate sweep\)/);
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("a sweep stops after the first level past saturation, saying why", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Every request times out: the first level is past saturation, the rest never run.
    const r = await runProgram([
      "--sweep",
      "concurrency:1,2,4",
      "--isl",
      "8",
      "--requests",
      "4",
      "--timeout",
      "0.000001",
      "--max-consecutive-timeouts",
      "0",
      "--accept-failures",
      "-o",
      dir,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /sweep: stops after .*100\.0% of requests failed/);
    const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
    assert.equal(run.suites[0].tests.length, 1);
    const md = await Deno.readTextFile(join(dir, "throughput_results.md"));
    assert.match(md, /The sweep stopped after its last level: 100\.0% of requests failed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
