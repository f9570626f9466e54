import assert from "node:assert/strict";
import { kneeOf, paretoFrontier, parseSweep, type SweepPoint } from "../../capacity/sweep.ts";
import { UsageError } from "../../util/errors.ts";

Deno.test("--sweep reads lists and geometric ranges; bad ones are usage errors", () => {
  assert.deepEqual(parseSweep("rate:4,1,2"), { kind: "rate", levels: [1, 2, 4] });
  assert.deepEqual(parseSweep("concurrency:1..64x2").levels, [1, 2, 4, 8, 16, 32, 64]);
  assert.deepEqual(parseSweep("rate:0.5..4x2").levels, [0.5, 1, 2, 4]);
  for (
    const bad of [
      "rate",
      "qps:1,2",
      "rate:1",
      "rate:0,1",
      "concurrency:1.5,3",
      "rate:4..1x2",
      "rate:1..4x1",
    ]
  ) {
    assert.throws(() => parseSweep(bad), UsageError, bad);
  }
});

const pt = (level: number, tps: number, p99: number, user: number | null): SweepPoint => ({
  level,
  rps: tps / 32,
  output_tps: tps,
  per_user_tps: user,
  latency_p50: p99 / 2,
  latency_p99: p99,
  ttft_p50: null,
  tpot_p50: null,
  error_rate: 0,
});

Deno.test("the knee is the first level after which throughput gains < 5% while p99 climbs > 50%", () => {
  const pts = [
    pt(10, 320, 0.09, 400),
    pt(20, 630, 0.1, 330),
    pt(40, 1230, 0.2, 170),
    pt(80, 1290, 3, 160),
  ];
  assert.equal(kneeOf(pts), 2);
  // Latency climbing while throughput still rises is not a knee.
  assert.equal(kneeOf([pt(1, 100, 0.1, 1), pt(2, 190, 0.3, 1)]), null);
});

Deno.test("the Pareto frontier keeps the levels no other beats in both total and per-user tokens/s", () => {
  const pts = [
    pt(10, 320, 0.09, 400),
    pt(20, 630, 0.1, 330),
    pt(40, 1230, 0.2, 170),
    pt(80, 1200, 3, 160),
  ];
  assert.deepEqual(paretoFrontier(pts), [0, 1, 2], "80 is beaten by 40 in both");
  assert.deepEqual(paretoFrontier([pt(1, 10, 1, null)]), []);
});
