import assert from "node:assert/strict";
import { percentileSorted } from "../../measure/summary.ts";
import { quantileSample, RecordAggregator } from "../../measure/aggregate.ts";
import type { RequestRecord } from "../../measure/record.ts";

Deno.test("quantileSample keeps short arrays and thins long ones to evenly spaced order statistics", () => {
  assert.deepEqual(quantileSample([1, 2, 3], 5), [1, 2, 3]);
  const long = Array.from({ length: 10_001 }, (_, i) => i / 10_000);
  const s = quantileSample(long, 101);
  assert.equal(s.length, 101);
  assert.equal(s[0], 0);
  assert.equal(s[100], 1);
  for (let j = 0; j <= 100; j++) assert.equal(s[j], long[j * 100]);
  // The thinned sample's percentiles follow the full array's.
  assert.ok(Math.abs(percentileSorted(s, 0.9) - percentileSorted(long, 0.9)) < 0.01);
});

Deno.test("the aggregator carries bounded sorted TTFT and ITL samples of successful requests", () => {
  const agg = new RecordAggregator();
  for (let i = 0; i < 1500; i++) {
    agg.add({
      tIntended: null,
      tSend: i,
      tEnd: i + 1,
      ttft: (1500 - i) / 1000,
      ttfc: 0,
      e2e: 1,
      itl: [0.01, 0.02],
      tpot: 0.01,
      outputTokens: 3,
      outputTokensEstimated: false,
      inputTokens: 1,
      cachedTokens: null,
      outcome: i === 0 ? "http_5xx" : "ok",
      status: 200,
      error: i === 0 ? "boom" : null,
      worker: null,
      serverStamps: null,
    } as unknown as RequestRecord);
  }
  const m = agg.metrics();
  assert.equal(m.ttft.count, 1499);
  assert.equal(m.ttft_samples!.length, 1000);
  assert.deepEqual(m.ttft_samples, [...m.ttft_samples!].sort((a, b) => a - b));
  assert.equal(m.ttft_samples![0], m.ttft.min);
  assert.equal(m.ttft_samples!.at(-1), m.ttft.max);
  assert.equal(m.itl_samples!.length, 1000);
  assert.equal(m.itl_samples![0], 0.01);
  assert.equal(m.itl_samples!.at(-1), 0.02);
});
