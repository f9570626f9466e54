/**
 * The shape of a server's own metrics over one test, as `probes/server_metrics.ts` samples
 * them and a test result carries them (`extra.server_metrics`).
 *
 * @module
 */

/** Serving engines whose metric names are known. */
export type EngineFamily = "vllm" | "sglang" | "tgi" | "llamacpp" | "nim";

/** Percentiles of what a server histogram recorded during a test (seconds). */
export interface ServerHistogramSummary {
  /** The histogram's name. */
  metric: string;
  /** Observations during the test. */
  count: number;
  /** Mean (from the sum). */
  mean: number;
  /** Percentiles interpolated within buckets, as Prometheus' histogram_quantile does. */
  p50: number;
  p90: number;
  p99: number;
}

/** The server's metrics over one test. */
export interface ServerSeries {
  /** The engine whose names matched, or null (only generic samples). */
  engine: EngineFamily | null;
  /** Where they were scraped (credentials removed by the caller). */
  url: string;
  /** Sample times, seconds since the test started (client clock). */
  t_s: number[];
  /** Requests running (summed over label sets), per sample. */
  running: (number | null)[];
  /** Requests waiting. */
  waiting: (number | null)[];
  /** KV-cache usage in [0, 1]. */
  kv_usage: (number | null)[];
  /** Prefix-cache hit rate in [0, 1] over the test so far (token counters), or the gauge. */
  prefix_hit_rate: (number | null)[];
  /** Preemptions since the test started. */
  preemptions: (number | null)[];
  /** Server TTFT over the test. */
  ttft: ServerHistogramSummary | null;
  /** Server inter-token latency over the test. */
  itl: ServerHistogramSummary | null;
  /** Server end-to-end latency over the test. */
  e2e: ServerHistogramSummary | null;
  /** Server queue time over the test. */
  queue: ServerHistogramSummary | null;
  /** Scrapes that failed (the series has a gap there). */
  failed_scrapes: number;
  /**
   * Prompt and output tokens the server counted over the test (its own counters' deltas), when
   * it has such counters; absent in older runs.
   */
  tokens?: { prompt: number | null; output: number | null } | null;
}
