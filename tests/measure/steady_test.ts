import assert from "node:assert/strict";
import { SteadyTracker } from "../../measure/steady.ts";

Deno.test("steady state: from every lane's first completion to the last moment all lanes were busy", () => {
  // 2 lanes, 1 s answers, 20 requests back to back: lane k sends at 0, 1, 2 … 9.
  const t = new SteadyTracker(2);
  for (let lane = 0; lane < 2; lane++) {
    for (let k = 0; k < 10; k++) t.add(100 + k, 101 + k, 1, 10, true);
  }
  const s = t.result()!;
  assert.equal(s.start_s, 1, "both lanes have completed one request at 1 s");
  assert.equal(s.end_s, 10, "the last sends were at 9 s; the next completion is at 10 s");
  assert.equal(s.window_s, 9);
  assert.equal(s.cut_s, 1, "the whole test was 10 s");
  assert.equal(s.requests, 18, "completions after 1 s up to 10 s");
  assert.equal(s.requests_per_second, 2);
  assert.equal(s.output_tokens_per_second, 20);
  assert.equal(s.latency_p50, 1);
});

Deno.test("steady state: a slow first wave is cut; too short a test has none", () => {
  const t = new SteadyTracker(2);
  // The first wave pays 3 s of connection set-up; later requests take 1 s.
  t.add(0, 3, 3, 10, true);
  t.add(0, 3, 3, 10, true);
  for (let k = 0; k < 12; k++) {
    t.add(3 + k, 4 + k, 1, 10, true);
    t.add(3 + k, 4 + k, 1, 10, true);
  }
  const s = t.result()!;
  assert.equal(s.latency_p99, 1, "the slow first wave is outside the window");
  assert.equal(s.cut_s, 3);
  const short = new SteadyTracker(8);
  for (let k = 0; k < 12; k++) short.add(0, 1, 1, 1, true);
  assert.equal(short.result(), null);
});
