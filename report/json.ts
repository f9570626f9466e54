/**
 * JSON building blocks shared by the per-suite JSON files and `run.json`.
 *
 * @module
 */

import type { TestResult } from "../measure/result.ts";
import type { TestMetrics } from "../measure/aggregate.ts";
import { type SuiteAnalysis, testRepeatOf } from "../analysis/run.ts";

/** Version of every JSON document this tool writes. Bumped on incompatible changes. */
export const SCHEMA_VERSION = "1.0.0";

/**
 * The original suite's timing and throughput fields of a test, in its order: window, rate,
 * latency statistics (seconds, successes only) and tokens (input + output, from usage).
 */
export function originalTimingJson(m: TestMetrics): Record<string, number> {
  return {
    total_time: m.window_s,
    requests_per_second: m.requests_per_second,
    avg_latency: m.latency.mean,
    min_latency: m.latency.min,
    max_latency: m.latency.max,
    p50_latency: m.latency.p50,
    p90_latency: m.latency.p90,
    p95_latency: m.latency.p95,
    p99_latency: m.latency.p99,
    p999_latency: m.latency.p999,
    total_tokens: m.total_input_tokens + m.total_output_tokens,
    tokens_per_second: m.total_tokens_per_second,
  };
}

/** The fields every per-test JSON object carries besides the suite's original fields. */
export function commonTestJson(t: TestResult, a?: SuiteAnalysis): Record<string, unknown> {
  const m = t.metrics;
  return {
    schema_version: SCHEMA_VERSION,
    model: t.model,
    model_substituted_for: t.model_substituted_for,
    max_tokens: t.max_tokens,
    load: t.load,
    interrupted: t.interrupted,
    outcomes: m.outcomes,
    error_messages: m.error_samples,
    window_s: m.window_s,
    output_tokens_per_second: m.output_tokens_per_second,
    total_tokens_per_second: m.total_tokens_per_second,
    total_input_tokens: m.total_input_tokens,
    total_output_tokens: m.total_output_tokens,
    output_tokens_estimated: m.output_tokens_estimated,
    output_tokens_counted_by: m.output_tokens_counted_by ?? null,
    latency: m.latency,
    ttft: t.streaming ? m.ttft : null,
    ttfc: t.streaming ? m.ttfc : null,
    tpot: t.streaming ? m.tpot : null,
    itl: t.streaming ? m.itl : null,
    latency_corrected: m.latency_corrected,
    ttft_corrected: m.ttft_corrected,
    queue_delay: m.queue_delay,
    ttft_samples: t.streaming ? m.ttft_samples ?? null : null,
    itl_samples: t.streaming ? m.itl_samples ?? null : null,
    tpot_samples: t.streaming ? m.tpot_samples ?? null : null,
    notes: t.notes,
    client_health: t.extra.client_health ?? null,
    server_metrics: t.extra.server_metrics ?? null,
    workload: t.extra.workload ?? null,
    slo: t.extra.slo ?? null,
    sweep: t.extra.sweep ?? null,
    search: t.extra.search ?? null,
    steady_state: t.extra.steady_state ?? null,
    failure_times: t.extra.failure_times ?? null,
    stopped_early: t.extra.stopped_early ?? null,
    repeat: testRepeatOf(a, t),
    units: "seconds",
    window_start_epoch_s: m.window_start_epoch_s,
    window_end_epoch_s: m.window_end_epoch_s,
    histograms: m.histograms,
  };
}
