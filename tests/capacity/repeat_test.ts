import assert from "node:assert/strict";
import { poolRepeats } from "../../capacity/repeat.ts";
import { SAMPLE_POINTS } from "../../measure/aggregate.ts";
import type { SloStats } from "../../measure/slo.ts";
import { fakeTest, spread } from "../report/_fixtures.ts";

const HOW = { count: 3, pause_s: 1, seeds: [7, 8, 9], max_cv_pct: 10 };

function slo(requests: number, met: number, goodput: number): SloStats {
  return {
    slos: ["ttft=100ms"],
    requests,
    met,
    attainment_pct: (met / requests) * 100,
    goodput_rps: goodput,
    goodput_output_tps: goodput * 50,
    missed_by: { "ttft=100ms": requests - met },
    failed: 0,
    corrected: true,
  };
}

Deno.test("repeats pool: counts add up, rates are over the summed windows, SLO tallies add", () => {
  const runs = [
    fakeTest({
      latencies: spread(100, 0.1, 0.2),
      windowS: 10,
      extra: { slo: slo(100, 90, 9), schedule_kept: true, offered_rate: 10, achieved_rate: 10 },
    }),
    fakeTest({
      latencies: spread(100, 0.3, 0.4),
      windowS: 30,
      extra: {
        slo: slo(100, 50, 50 / 30),
        schedule_kept: false,
        offered_rate: 10,
        achieved_rate: 6,
      },
    }),
  ];
  const pooled = poolRepeats(runs, { ...HOW, count: 2, seeds: [7, 8] });
  const m = pooled.metrics;
  assert.equal(m.total_requests, 200);
  assert.equal(m.window_s, 40, "the windows add up: pauses between repeats do not count");
  assert.equal(m.requests_per_second, 200 / 40);
  assert.equal(m.latency.count, 200);
  assert.equal(m.latency.min, 0.1);
  assert.equal(m.latency.max, 0.4);
  assert.equal(m.latencies.length, 200, "the pooled result keeps every latency");
  const s = pooled.extra.slo!;
  assert.equal(s.requests, 200);
  assert.equal(s.met, 140);
  assert.equal(s.attainment_pct, 70);
  assert.equal(s.missed_by["ttft=100ms"], 60);
  // Goodput: 140 met requests over 40 s of windows.
  assert.ok(Math.abs(s.goodput_rps - 140 / 40) < 1e-12, String(s.goodput_rps));
  assert.equal(pooled.extra.schedule_kept, false, "kept only when every repeat kept it");
  assert.equal(pooled.extra.achieved_rate, (10 * 10 + 6 * 30) / 40);
  assert.equal(pooled.repeat!.runs.length, 2);
  assert.deepEqual(pooled.repeat!.seeds, [7, 8]);
  assert.equal(pooled.repeat!.runs[1].metrics.requests_per_second, 100 / 30);
  assert.match(pooled.notes.at(-1)!, /pooled over 2 repeats \(seeds 7, 8; 1 s pause/);
});

Deno.test("a repeat keeps a quantile sample of its latencies; one run asked once is unchanged", () => {
  const big = fakeTest({ latencies: spread(5000, 0.1, 0.5) });
  const pooled = poolRepeats([big, big], { ...HOW, count: 2, seeds: [1, 2] });
  assert.equal(pooled.metrics.latencies.length, 10_000);
  assert.equal(pooled.repeat!.runs[0].metrics.latencies.length, SAMPLE_POINTS);
  assert.equal(pooled.repeat!.runs[0].repeat, undefined);
  const once = fakeTest();
  assert.equal(poolRepeats([once], { ...HOW, count: 1, seeds: [1] }), once);
  // Interrupted after one of three: still pooled, and the note says so.
  const cut = poolRepeats([once], HOW);
  assert.equal(cut.repeat!.runs.length, 1);
  assert.match(cut.notes.at(-1)!, /1 repeat of 3 asked for \(interrupted\)/);
});

Deno.test("pooled repeats state the worst repeat's stamping error, when every repeat has one", async () => {
  const { poolExtra } = await import("../../capacity/repeat.ts");
  const health = (lag: number, p99?: number) => ({
    event_loop_lag_p99_ms: lag,
    cpu_pct: 50,
    saturated: false,
    ...(p99 === undefined
      ? {}
      : { stamp_error_p50_ms: p99 / 10, stamp_error_p99_ms: p99, stamp_error_samples: 100 * p99 }),
  });
  const pooled = poolExtra([
    { client_health: health(2, 1.5) },
    { client_health: health(3, 4.5) },
    { client_health: health(1, 0.5) },
  ], [1, 1, 1]);
  assert.deepEqual(pooled.client_health, {
    event_loop_lag_p99_ms: 3,
    cpu_pct: 50,
    saturated: false,
    stamp_error_p50_ms: 0.45,
    stamp_error_p99_ms: 4.5,
    stamp_error_samples: 450,
  });
  // One repeat without the canary: no stamping error is claimed for the pool.
  const mixed = poolExtra([{ client_health: health(2, 1.5) }, { client_health: health(3) }], [
    1,
    1,
  ]);
  assert.equal(mixed.client_health?.stamp_error_p99_ms, undefined);
});
