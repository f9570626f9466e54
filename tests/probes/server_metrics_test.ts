import assert from "node:assert/strict";
import {
  detectEngine,
  histogramQuantile,
  probeServerMetrics,
  startServerSampler,
} from "../../probes/server_metrics.ts";
import { parsePrometheus } from "../../probes/prom.ts";
import { FakeClock } from "../../util/clock.ts";

/** A vLLM-style document with the given gauges, counters and TTFT histogram counts. */
function vllm(o: {
  running: number;
  waiting: number;
  usage: number;
  queries: number;
  hits: number;
  preempt: number;
  ttft: [number, number, number]; // cumulative counts at le 0.1, 0.5, +Inf
  ttftSum: number;
}): string {
  const l = 'model_name="m"';
  return [
    `vllm:num_requests_running{${l}} ${o.running}`,
    `vllm:num_requests_waiting{${l}} ${o.waiting}`,
    `vllm:kv_cache_usage_perc{${l}} ${o.usage}`,
    `vllm:prefix_cache_queries_total{${l}} ${o.queries}`,
    `vllm:prefix_cache_hits_total{${l}} ${o.hits}`,
    `vllm:num_preemptions_total{${l}} ${o.preempt}`,
    `vllm:time_to_first_token_seconds_bucket{${l},le="0.1"} ${o.ttft[0]}`,
    `vllm:time_to_first_token_seconds_bucket{${l},le="0.5"} ${o.ttft[1]}`,
    `vllm:time_to_first_token_seconds_bucket{${l},le="+Inf"} ${o.ttft[2]}`,
    `vllm:time_to_first_token_seconds_sum{${l}} ${o.ttftSum}`,
    `vllm:time_to_first_token_seconds_count{${l}} ${o.ttft[2]}`,
  ].join("\n") + "\n";
}

Deno.test("histogramQuantile interpolates inside the bucket, as Prometheus does", () => {
  const le = new Map([[0.1, 10], [0.5, 30], [Infinity, 40]]);
  assert.equal(histogramQuantile(le, 0.25), 0.1); // rank 10: the end of the first bucket
  assert.ok(Math.abs(histogramQuantile(le, 0.5) - 0.3) < 1e-12); // rank 20: half of (0.1, 0.5]
  assert.equal(histogramQuantile(le, 0.9), 0.5); // in +Inf: its lower bound
  assert.ok(Number.isNaN(histogramQuantile(new Map([[Infinity, 0]]), 0.5)));
});

Deno.test("the engine is told by its metric names", () => {
  const doc = (text: string) => parsePrometheus(text);
  assert.equal(detectEngine(doc('vllm:num_requests_running{model_name="m"} 1\n')), "vllm");
  assert.equal(detectEngine(doc('sglang:num_queue_reqs{model_name="m"} 0\n')), "sglang");
  assert.equal(detectEngine(doc("tgi_queue_size 3\n")), "tgi");
  assert.equal(detectEngine(doc("process_resident_memory_bytes 1\n")), null);
});

Deno.test("the sampler: gauges as sampled, counters and histograms as deltas over the test", async () => {
  const clock = new FakeClock(5000);
  const docs = [
    // The first sample, when the test starts: counters and histograms hold earlier traffic.
    vllm({
      running: 0,
      waiting: 0,
      usage: 0,
      queries: 1000,
      hits: 100,
      preempt: 2,
      ttft: [5, 5, 5],
      ttftSum: 0.2,
    }),
    // The last one, at stop().
    vllm({
      running: 8,
      waiting: 3,
      usage: 0.5,
      queries: 1400,
      hits: 300,
      preempt: 3,
      ttft: [9, 15, 15],
      ttftSum: 2.2,
    }),
  ];
  let i = 0;
  const sampler = startServerSampler({
    url: "http://127.0.0.1:1/metrics",
    intervalMs: 3_600_000, // no timer sample during the test: the two above only
    now: () => clock.now(),
    scrape: () => Promise.resolve(docs[i++]),
  });
  await clock.advanceTo(7500);
  const series = await sampler.stop();
  assert.equal(series.engine, "vllm");
  assert.deepEqual(series.t_s, [0, 2.5]);
  assert.deepEqual(series.running, [0, 8]);
  assert.deepEqual(series.waiting, [0, 3]);
  assert.deepEqual(series.kv_usage, [0, 0.5]);
  // Prefix hit rate over the test: (300 − 100) / (1400 − 1000); none before any query.
  assert.deepEqual(series.prefix_hit_rate, [null, 0.5]);
  assert.deepEqual(series.preemptions, [0, 1]);
  // TTFT recorded during the test: 10 observations, 4 up to 0.1 s, 6 in (0.1, 0.5].
  assert.equal(series.ttft!.count, 10);
  assert.ok(Math.abs(series.ttft!.mean - 0.2) < 1e-12);
  assert.ok(Math.abs(series.ttft!.p50 - (0.1 + 0.4 * (1 / 6))) < 1e-12);
  assert.equal(series.failed_scrapes, 0);
});

Deno.test("a failed scrape leaves a gap and is counted; the probe says when nothing is there", async () => {
  let n = 0;
  const sampler = startServerSampler({
    url: "http://127.0.0.1:1/metrics",
    intervalMs: 60_000,
    scrape: () => (n++ === 0
      ? Promise.reject(new Error("refused"))
      : Promise.resolve("tgi_queue_size 4\n")),
  });
  const s = await sampler.stop();
  assert.equal(s.failed_scrapes, 1);
  assert.deepEqual(s.waiting, [4]);
  assert.equal(s.engine, "tgi");
  assert.equal(await probeServerMetrics("x", () => Promise.resolve("tgi_queue_size 1\n")), "tgi");
  assert.equal(await probeServerMetrics("x", () => Promise.resolve("up 1\n")), null);
  assert.equal(await probeServerMetrics("x", () => Promise.reject(new Error("404"))), false);
});
