/**
 * The engine profile over HTTP, held against the model's own numbers: TPOT at batch 1 and at
 * `max-num-seqs`, saturation throughput against `/engine/prediction`, preemption with a small
 * KV cache, and vLLM's metric names. The server runs as a child process, so the client's work
 * does not share its event loop.
 */
import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { SMALL_ENGINE, spawnServe } from "../e2e/_run.ts";
import { testContext } from "../e2e/_ctx.ts";
import { runClosedTest } from "../../runner/runner.ts";
import type { RequestRecord } from "../../measure/record.ts";
import type { Payload } from "../../workload/payload.ts";

const payload = (maxTokens: number): Payload => ({
  label: "engine",
  model: "openai/gpt-oss-120b",
  messages: [{ role: "user", content: "Tell me about continuous batching in serving engines." }],
  max_tokens: maxTokens,
  stream: true,
});

/** Records of a closed-loop test against `url`. */
async function closed(url: string, requests: number, concurrency: number, maxTokens: number) {
  const recs: RequestRecord[] = [];
  const r = await runClosedTest(testContext(url, { warmup: 0 }), {
    suite: "throughput",
    name: "engine",
    payload: payload(maxTokens),
    requests,
    concurrency,
    onRecord: (rec) => recs.push(rec),
  });
  assert.equal(r.metrics.failed_requests, 0, JSON.stringify(r.metrics.outcomes));
  return recs;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

openTest(
  "engine profile: TPOT at batch 1 and at max-num-seqs within 10% of the model",
  async () => {
    const server = await spawnServe([...SMALL_ENGINE]);
    try {
      // Batch 1: step = 2 + 0.5 × 1 = 2.5 ms per token.
      const one = await closed(server.url, 5, 1, 40);
      const tpot1 = median(one.map((r) => r.tpot!)) * 1000;
      assert.ok(Math.abs(tpot1 - 2.5) / 2.5 < 0.1, `TPOT at batch 1: ${tpot1} ms`);
      // Batch 8 (8 in flight at once, long outputs so prefill steps are a small share):
      // step = 2 + 0.5 × 8 = 6 ms per token.
      const full = await closed(server.url, 16, 8, 120);
      const tpot8 = median(full.map((r) => r.tpot!)) * 1000;
      assert.ok(Math.abs(tpot8 - 6) / 6 < 0.1, `TPOT at batch 8: ${tpot8} ms`);
    } finally {
      await server.stop();
    }
  },
);

openTest(
  "engine profile: measured saturation throughput within 10% of /engine/prediction",
  async () => {
    const server = await spawnServe([...SMALL_ENGINE]);
    try {
      // Twice max-num-seqs in flight keeps the batch full and a queue waiting.
      const osl = 24;
      const recs = await closed(server.url, 320, 16, osl);
      const isl = recs[0].inputTokens!;
      // Steady state: completions between the 20th and the 80th percentile of end times.
      const ends = recs.map((r) => r.tEnd).sort((a, b) => a - b);
      const t20 = ends[Math.floor(ends.length * 0.2)], t80 = ends[Math.floor(ends.length * 0.8)];
      const inWindow = recs.filter((r) => r.tEnd > t20 && r.tEnd <= t80);
      const measured = inWindow.reduce((s, r) => s + r.outputTokens, 0) / (t80 - t20);
      const res = await fetch(`${server.url}/engine/prediction?isl=${isl}&osl=${osl}`);
      const prediction = await res.json();
      const predicted = prediction.output_tokens_per_second;
      const err = Math.abs(measured - predicted) / predicted;
      assert.ok(err < 0.1, `measured ${measured.toFixed(0)} vs predicted ${predicted} tokens/s`);
      // The server's own gauges say the batch was full and requests waited.
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      for (
        const name of [
          "vllm:num_requests_running",
          "vllm:num_requests_waiting",
          "vllm:kv_cache_usage_perc",
          "vllm:prefix_cache_queries_total",
          "vllm:prefix_cache_hits_total",
          "vllm:num_preemptions_total",
          "vllm:prompt_tokens_total",
          "vllm:generation_tokens_total",
          "vllm:time_to_first_token_seconds_bucket",
          "vllm:inter_token_latency_seconds_bucket",
          "vllm:e2e_request_latency_seconds_count",
        ]
      ) assert.match(metrics, new RegExp(`^${name}\\{model_name="[^"]+"`, "m"), name);
      const gen = Number(metrics.match(/^vllm:generation_tokens_total\{[^}]*\} (\d+)/m)![1]);
      assert.equal(gen, 320 * osl);
      const ttftCount = Number(
        metrics.match(/^vllm:time_to_first_token_seconds_count\{[^}]*\} (\d+)/m)![1],
      );
      assert.equal(ttftCount, 320);
    } finally {
      await server.stop();
    }
  },
);

openTest(
  "engine profile: a small KV cache preempts, and every request still completes",
  async () => {
    const server = await spawnServe([...SMALL_ENGINE, "--num-gpu-blocks", "24", "--no-kv-cache"]);
    try {
      const recs = await closed(server.url, 24, 8, 100);
      assert.ok(recs.every((r) => r.outcome === "ok" && r.outputTokens === 100));
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      const preempted = Number(metrics.match(/^vllm:num_preemptions_total\{[^}]*\} (\d+)/m)![1]);
      assert.ok(preempted > 0, "no preemption with 24 blocks for 8 sequences of ~110 tokens");
      // A request that can never fit is refused, not queued forever.
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "openai/gpt-oss-120b",
          messages: [{ role: "user", content: "hi" }],
          max_tokens: 1000,
        }),
      });
      assert.equal(res.status, 400);
      assert.match((await res.json()).error.message, /KV cache/);
    } finally {
      await server.stop();
    }
  },
);
