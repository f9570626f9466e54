import assert from "node:assert/strict";
import { buildTrend as build0, latestRegressions, type TrendRun } from "../../analysis/trend.ts";
import { CATALOGUE } from "../../suites/registry.ts";

const buildTrend = (runs: TrendRun[], window?: number) => build0(runs, CATALOGUE, window);
import { fakeRun, fakeSuite, fakeTest } from "./_fixtures.ts";
import { poolRepeats } from "../../capacity/repeat.ts";

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

Deno.test("trend: a run made with --repeat is a change only when its own interval excludes the baseline", () => {
  const noise = [100, 101, 99, 100, 100];
  /** The latest run: repeats at these latencies (ms), pooled. */
  const repeated = (values: number[]) => {
    const runs = values.map((ms) =>
      fakeTest({ latencies: Array.from({ length: 20 }, () => ms / 1000) })
    );
    const t = poolRepeats(runs, {
      count: values.length,
      pause_s: 0,
      seeds: values.map((_, k) => k),
      max_cv_pct: 10,
    });
    const r = fakeRun([fakeSuite("throughput", [t])]);
    r.started_at = "2026-01-01T00:59:00.000Z";
    return { dir: "/runs/last", run: r };
  };
  const series = (latest: { dir: string; run: ReturnType<typeof fakeRun> }) =>
    buildTrend([...noise.map((ms, i) => run(i, ms)), latest]).series.find((s) =>
      s.metric === "throughput.latency_p50_ms"
    )!.points.at(-1)!;
  // Pooled p50 ≈ 140 ms, but the repeats scatter from 60 to 220 ms: their interval holds the
  // baseline, so this is noise.
  const wide = series(repeated([60, 140, 220, 90, 190]));
  assert.ok(wide.interval && wide.interval[0] < 100 && wide.interval[1] > 100, `${wide.interval}`);
  assert.equal(wide.change, null);
  // Tight repeats around 140 ms: a regression.
  const tight = series(repeated([139, 140, 141, 140, 140]));
  assert.ok(tight.interval && tight.interval[0] > 100);
  assert.equal(tight.change, "regression");
});
