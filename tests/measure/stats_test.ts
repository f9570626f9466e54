import assert from "node:assert/strict";
import { percentile, summarize } from "../../measure/summary.ts";
import { Distribution } from "../../measure/distribution.ts";
import { RecordAggregator } from "../../measure/aggregate.ts";
import { jainIndex, linearFit } from "../../measure/fit.ts";
import { emptyRecord } from "../../measure/record.ts";

// Reference values computed with numpy 2.4 (`np.percentile(v, p)`, linear method; `np.std`).
const NUMPY: { values: number[]; p: number[]; std: number; mean: number }[] = [
  {
    values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    p: [5.5, 9.1, 9.549999999999999, 9.91, 9.991000000000001],
    std: 2.8722813232690143,
    mean: 5.5,
  },
  {
    values: [0.013, 0.5, 0.021, 7.25, 3.3, 3.3, 0.0001],
    p: [0.5, 4.880000000000001, 6.064999999999997, 7.012999999999998, 7.226300000000003],
    std: 2.5364664367773444,
    mean: 2.0548714285714285,
  },
  { values: [42], p: [42, 42, 42, 42, 42], std: 0, mean: 42 },
  { values: [5, 1], p: [3, 4.6, 4.8, 4.96, 4.996], std: 2, mean: 3 },
];

const close = (a: number, b: number, eps = 1e-9) =>
  assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} != ${b}`);

Deno.test("percentiles match numpy's linear method", () => {
  for (const c of NUMPY) {
    const s = summarize(c.values);
    [s.p50, s.p90, s.p95, s.p99, s.p999].forEach((v, i) => close(v, c.p[i]));
    close(s.stdev, c.std);
    close(s.mean, c.mean);
    assert.equal(s.count, c.values.length);
    assert.equal(s.min, Math.min(...c.values));
    assert.equal(s.max, Math.max(...c.values));
    assert.equal(s.source, "exact");
  }
});

Deno.test("percentile of an empty list is 0 and p bounds clamp", () => {
  assert.equal(percentile([], 0.5), 0);
  assert.equal(percentile([3, 1, 2], 0), 1);
  assert.equal(percentile([3, 1, 2], 1), 3);
  assert.equal(summarize([]).count, 0);
});

Deno.test("a distribution past its raw cap keeps exact count, mean, min and max", () => {
  const d = new Distribution(10);
  for (let i = 1; i <= 100; i++) d.add(i);
  const s = d.summary();
  assert.equal(s.count, 100);
  close(s.mean, 50.5);
  assert.equal(s.min, 1);
  assert.equal(s.max, 100);
  assert.equal(s.source, "histogram");
  assert.equal(d.exact, false);
});

Deno.test("failed requests never enter latency statistics but are counted by class", () => {
  const agg = new RecordAggregator();
  const ok = emptyRecord(0);
  ok.e2e = 0.1;
  ok.tEnd = 1;
  ok.outputTokens = 10;
  ok.inputTokens = 5;
  const bad = emptyRecord(0.5);
  bad.outcome = "timeout";
  bad.e2e = 60;
  bad.tEnd = 0.9;
  bad.error = "timed out";
  agg.add(ok);
  agg.add(bad);
  const m = agg.metrics();
  assert.equal(m.total_requests, 2);
  assert.equal(m.successful_requests, 1);
  assert.equal(m.outcomes.timeout, 1);
  assert.equal(m.latency.count, 1);
  assert.equal(m.latency.max, 0.1);
  assert.equal(m.window_s, 1);
  assert.equal(m.output_tokens_per_second, 10);
  assert.equal(m.total_tokens_per_second, 15);
  assert.deepEqual(m.error_samples, ["timeout: timed out"]);
  const sum = Object.values(m.outcomes).reduce((a, b) => a + b, 0);
  assert.equal(sum, m.total_requests);
});

Deno.test("open-loop records give corrected latency from the intended send time", () => {
  const agg = new RecordAggregator();
  const r = emptyRecord(1.5, 1.0);
  r.e2e = 0.2;
  r.ttft = 0.05;
  r.tEnd = 1.7;
  r.outputTokens = 3;
  agg.add(r);
  const m = agg.metrics();
  close(m.latency.p50, 0.2);
  close(m.latency_corrected!.p50, 0.7);
  close(m.ttft_corrected!.p50, 0.55);
  close(m.queue_delay!.p50, 0.5);
});

Deno.test("linear fit recovers a known line", () => {
  const xs = [0, 1, 2, 3, 4];
  const fit = linearFit(xs, xs.map((x) => 3 + 2 * x));
  close(fit.slope, 2);
  close(fit.intercept, 3);
  close(fit.r2, 1);
});

Deno.test("Jain's index: one of four workers busy scores 0.25, even spread 1", () => {
  close(jainIndex([100, 0, 0, 0]), 0.25);
  close(jainIndex([25, 25, 25, 25]), 1);
  assert.equal(jainIndex([]), 0);
});

Deno.test("input tokens the server did not report are unknown, not 0: total tokens/s is NaN, JSON null", () => {
  const agg = new RecordAggregator();
  for (let i = 0; i < 3; i++) {
    const r = emptyRecord(i, null);
    r.tEnd = i + 0.5;
    r.e2e = 0.5;
    r.outputTokens = 10;
    r.inputTokens = i === 0 ? 7 : null; // two answers without usage.prompt_tokens
    agg.add(r);
  }
  const m = agg.metrics();
  assert.equal(m.input_tokens_missing, true);
  assert.ok(Number.isNaN(m.total_input_tokens));
  assert.ok(Number.isNaN(m.total_tokens_per_second));
  assert.ok(m.output_tokens_per_second > 0, "output tokens are still known");
  const json = JSON.parse(JSON.stringify(m));
  assert.equal(json.total_input_tokens, null);
  assert.equal(json.total_tokens_per_second, null);
});
