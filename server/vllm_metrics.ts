/**
 * vLLM's Prometheus metrics, with vLLM's names and meanings, for the engine profile:
 * scheduler gauges, KV-cache usage, prefix-cache token counters, preemptions, token counters
 * and the TTFT / inter-token / end-to-end / queue-time histograms. A benchmark that reads a
 * vLLM server's `/metrics` reads the embedded server's the same way.
 *
 * @module
 */

import type { EngineCore } from "../twin/engine.ts";

/** A cumulative histogram with fixed upper bounds (seconds), as Prometheus exposes it. */
export class Histogram {
  /** Upper bounds of the buckets, ascending. */
  readonly bounds: readonly number[];
  readonly #counts: Float64Array;
  /** Observations. */
  count = 0;
  /** Sum of the observations. */
  sum = 0;

  /** A histogram with these bucket bounds (a `+Inf` bucket is implied). */
  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.#counts = new Float64Array(bounds.length);
  }

  /** Record one value. */
  observe(v: number): void {
    this.count++;
    this.sum += v;
    for (let i = 0; i < this.bounds.length; i++) {
      if (v <= this.bounds[i]) {
        this.#counts[i]++;
        return;
      }
    }
  }

  /** Exposition lines of `name` with `labels` (`model_name="m"`). */
  lines(name: string, labels: string): string[] {
    const out: string[] = [];
    let cum = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cum += this.#counts[i];
      out.push(`${name}_bucket{${labels},le="${this.bounds[i]}"} ${cum}`);
    }
    out.push(`${name}_bucket{${labels},le="+Inf"} ${this.count}`);
    out.push(`${name}_sum{${labels}} ${this.sum}`, `${name}_count{${labels}} ${this.count}`);
    return out;
  }
}

/** vLLM's TTFT buckets (seconds). */
const TTFT_BUCKETS = [
  0.001,
  0.005,
  0.01,
  0.02,
  0.04,
  0.06,
  0.08,
  0.1,
  0.25,
  0.5,
  0.75,
  1,
  2.5,
  5,
  7.5,
  10,
  20,
  40,
  80,
  160,
  640,
  2560,
];
/** vLLM's inter-token latency buckets (seconds). */
const ITL_BUCKETS = [
  0.01,
  0.025,
  0.05,
  0.075,
  0.1,
  0.15,
  0.2,
  0.3,
  0.4,
  0.5,
  0.75,
  1,
  2.5,
  5,
  7.5,
  10,
  20,
  40,
  80,
];
/** vLLM's request latency buckets (seconds). */
const REQUEST_BUCKETS = [
  0.3,
  0.5,
  0.8,
  1,
  1.5,
  2,
  2.5,
  5,
  10,
  15,
  20,
  30,
  40,
  50,
  60,
  120,
  240,
  480,
  960,
  1920,
  7680,
];

/** The vLLM-named counters and histograms of one server. */
export class VllmMetrics {
  /** Prompt tokens of admitted requests. */
  promptTokens = 0;
  /** Finished requests by reason. */
  finished = 0;
  /** Time to first token, from arrival. */
  readonly ttft = new Histogram(TTFT_BUCKETS);
  /** Gaps between consecutive tokens of a request. */
  readonly itl = new Histogram(ITL_BUCKETS);
  /** Arrival to last token. */
  readonly e2e = new Histogram(REQUEST_BUCKETS);
  /** Arrival to first admission into the batch. */
  readonly queue = new Histogram(REQUEST_BUCKETS);

  /** Exposition of every vLLM metric, summed (counters) or averaged (usage) over replicas. */
  prometheus(cores: readonly EngineCore[], model: string): string {
    const labels = `model_name="${model.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, lines: string[]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
    };
    const sum = (f: (c: EngineCore) => number) => cores.reduce((a, c) => a + f(c), 0);
    metric("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", [
      `vllm:num_requests_running{${labels}} ${sum((c) => c.running.length)}`,
    ]);
    metric("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", [
      `vllm:num_requests_waiting{${labels}} ${sum((c) => c.waiting.length)}`,
    ]);
    metric("vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.", [
      `vllm:kv_cache_usage_perc{${labels}} ${
        cores.length ? sum((c) => c.usage) / cores.length : 0
      }`,
    ]);
    metric(
      "vllm:prefix_cache_queries",
      "counter",
      "Prefix cache queries, in terms of number of queried tokens.",
      [`vllm:prefix_cache_queries_total{${labels}} ${sum((c) => c.queriedTokens)}`],
    );
    metric(
      "vllm:prefix_cache_hits",
      "counter",
      "Prefix cache hits, in terms of number of cached tokens.",
      [`vllm:prefix_cache_hits_total{${labels}} ${sum((c) => c.hitTokens)}`],
    );
    metric("vllm:num_preemptions", "counter", "Cumulative number of preemption from the engine.", [
      `vllm:num_preemptions_total{${labels}} ${sum((c) => c.preemptions)}`,
    ]);
    metric("vllm:prompt_tokens", "counter", "Number of prefill tokens processed.", [
      `vllm:prompt_tokens_total{${labels}} ${this.promptTokens}`,
    ]);
    metric("vllm:generation_tokens", "counter", "Number of generation tokens processed.", [
      `vllm:generation_tokens_total{${labels}} ${sum((c) => c.generatedTokens)}`,
    ]);
    metric(
      "vllm:time_to_first_token_seconds",
      "histogram",
      "Histogram of time to first token in seconds.",
      this.ttft.lines("vllm:time_to_first_token_seconds", labels),
    );
    metric(
      "vllm:inter_token_latency_seconds",
      "histogram",
      "Histogram of inter-token latency in seconds.",
      this.itl.lines("vllm:inter_token_latency_seconds", labels),
    );
    metric(
      "vllm:e2e_request_latency_seconds",
      "histogram",
      "Histogram of e2e request latency in seconds.",
      this.e2e.lines("vllm:e2e_request_latency_seconds", labels),
    );
    metric(
      "vllm:request_queue_time_seconds",
      "histogram",
      "Histogram of time spent in WAITING phase for request.",
      this.queue.lines("vllm:request_queue_time_seconds", labels),
    );
    return out.join("\n") + "\n";
  }
}
