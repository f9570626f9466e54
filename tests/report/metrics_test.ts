import assert from "node:assert/strict";
import { closeMatches, editDistance } from "../../analysis/catalogue.ts";
import { pooledPercentile } from "../../analysis/noise.ts";
import { memoryGrowth } from "../../suites/memory/analysis.ts";
import { CATALOGUE } from "../../suites/registry.ts";
import type { SuiteResult } from "../../measure/result.ts";

const runMetricValues = (s: SuiteResult[]) => CATALOGUE.runValues(s);
const lookupMetric = (name: string) => CATALOGUE.lookup(name);
const allMetricNames = () => CATALOGUE.allMetricNames();
import { percentile } from "../../measure/summary.ts";
import { UsageError } from "../../util/errors.ts";
import { fakeSuite, fakeTest, fullFakeRun, spread } from "./_fixtures.ts";

Deno.test("pooled percentiles of complete groups equal the percentile of all samples", () => {
  const a = [0.3, 0.1, 0.2].sort(), b = [0.9, 0.5, 0.7, 0.4].sort();
  for (const p of [0.5, 0.9, 0.99]) {
    assert.equal(
      pooledPercentile([{ values: a, count: 3 }, { values: b, count: 4 }], p),
      percentile([...a, ...b], p),
    );
  }
  // A group standing for 100 requests with 2 kept samples outweighs one with 1 of 1.
  assert.equal(
    pooledPercentile([{ values: [1, 2], count: 100 }, { values: [9], count: 1 }], 0.9),
    2,
  );
  assert.equal(pooledPercentile([], 0.5), null);
});

Deno.test("suite metrics are request-weighted over the suite's tests", () => {
  const suite = fakeSuite("throughput", [
    fakeTest({ name: "a", latencies: spread(90, 0.1, 0.1), windowS: 9 }),
    fakeTest({ name: "b", latencies: spread(10, 1, 1), windowS: 1, failed: 5 }),
  ]);
  const v = runMetricValues([suite]);
  // 100 successes over 10 s of windows.
  assert.equal(v.get("throughput.rps")!.value, 10);
  // 90 requests at 100 ms and 10 at 1000 ms: the pooled median is 100 ms, p99 is 1000 ms
  // (a mean of the two tests' medians would say 550 ms).
  assert.equal(v.get("throughput.latency_p50_ms")!.value, 100);
  assert.equal(v.get("throughput.latency_p99_ms")!.value, 1000);
  assert.equal(v.get("throughput.error_rate")!.value, 5 / 105);
  // No streaming test: no TTFT.
  assert.equal(v.get("throughput.ttft_p99_ms")!.value, null);
});

Deno.test("suite-specific metrics follow the kv-cache, concurrent and memory contracts", () => {
  const v = runMetricValues(fullFakeRun().suites);
  assert.equal(v.get("kv_cache.hit_rate")!.value, 80);
  assert.equal(v.get("kv_cache.token_reuse_rate")!.value, 55.5);
  // Median cold 225 ms, warm 60 ms: (225 − 60) / 225.
  assert.ok(Math.abs(v.get("kv_cache.ttft_improvement_pct")!.value! - (165 / 225) * 100) < 1e-9);
  assert.ok(Math.abs(v.get("kv_cache.router_fairness")!.value! - 10000 / (3 * 3334)) < 1e-9);
  assert.equal(v.get("concurrent.max_ok_concurrency")!.value, 100);
  assert.equal(v.get("concurrent.success_rate_pct")!.value, 100);
  assert.equal(v.get("memory.slope_kb_per_request")!.value, 20.48);
  assert.equal(v.get("memory.leaks")!.value, 1);
  const g = memoryGrowth(fullFakeRun().suites[3].tests[0])!;
  assert.ok(Math.abs(g.mb - 5.8) < 1e-9, `${g.mb}`);
  // 29 s of load between the first and last load snapshots.
  assert.ok(Math.abs(g.perMin - 5.8 / (29 / 60)) < 1e-9);
});

Deno.test("unknown metric names are usage errors naming close matches", () => {
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(lookupMetric("kv-cache.hit_rate").qualified, "kv_cache.hit_rate");
  assert.equal(lookupMetric("kv_cache.hit_rate").suite, "kv-cache");
  assert.throws(() => lookupMetric("throughput.ttft_p99"), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /unknown metric 'throughput\.ttft_p99'.*throughput\.ttft_p99_ms/);
    return true;
  });
  assert.throws(() => lookupMetric("ttft_p99_ms"), /write suite\.metric/);
  assert.deepEqual(closeMatches("concurent.eror_rate", allMetricNames(), 1), [
    "concurrent.error_rate",
  ]);
});
