import assert from "node:assert/strict";
import { buildTrend, latestRegressions } from "../../report/trend.ts";
import { fakeRun, fakeSuite, fakeTest } from "./_fixtures.ts";

/** A run whose every request took `ms` (± a little), started at minute `i`. */
function run(i: number, ms: number) {
  const lat = Array.from({ length: 20 }, (_, k) => (ms + (k % 5) * 0.2) / 1000);
  const r = fakeRun([fakeSuite("throughput", [fakeTest({ latencies: lat })])]);
  r.started_at = `2026-01-01T00:${String(i).padStart(2, "0")}:00.000Z`;
  r.run_id = `run-${i}`;
  return { dir: `/runs/${i}`, run: r };
}

Deno.test("trend: noise within the window is not a change; a shift beyond it is a regression", () => {
  // Noise of ±10% around 100 ms, then a 60% slowdown.
  const noise = [100, 108, 95, 103, 110, 92, 105, 99, 107];
  const runs = [...noise.map((ms, i) => run(i, ms)), run(9, 160)];
  const t = buildTrend(runs.reverse(), 5);
  const p50 = t.series.find((s) => s.metric === "throughput.latency_p50_ms")!;
  assert.deepEqual(p50.points.map((p) => p.change), [...noise.map(() => null), "regression"]);
  assert.deepEqual(
    t.runs.map((r) => r.run_id),
    runs.map((r) => r.run.run_id).reverse(),
    "time order",
  );
  assert.ok(latestRegressions(t).some((s) => s.metric === "throughput.latency_p50_ms"));
  // Faster is an improvement, not a regression.
  const better = buildTrend([...noise.map((ms, i) => run(i, ms)), run(9, 50)]);
  const last = better.series.find((s) => s.metric === "throughput.latency_p50_ms")!.points.at(-1)!;
  assert.equal(last.change, "improvement");
});

Deno.test("trend: runs of another target are listed and left out", () => {
  const other = run(0, 100); // earlier than the rest: the latest run decides the target
  other.run.server = { ...other.run.server, embedded: false, base_url: "http://elsewhere:8000" };
  const t = buildTrend([run(1, 100), run(2, 100), other, run(3, 100)]);
  assert.equal(t.runs.length, 3);
  assert.match(t.excluded[0].reason, /another target \(http:\/\/elsewhere:8000/);
});
