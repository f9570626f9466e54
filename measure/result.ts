/**
 * The shapes that flow from suites to reports: one {@linkcode TestResult} per test, one
 * {@linkcode SuiteResult} per suite, one {@linkcode RunResult} per run.
 *
 * @module
 */

import type { TestMetrics } from "./aggregate.ts";
import type { ServerSeries } from "./server_series.ts";
import type { WorkloadStats } from "./workload_stats.ts";
import type { SloStats } from "./slo.ts";
import type { SteadyState } from "./steady.ts";
import type { FailureTime } from "./failures.ts";
import type { Outcome } from "./record.ts";

/**
 * Name of a suite (`throughput`, `kv-cache`…). Which suites exist is the registry's business
 * (`suites/registry.ts`); results carry the name as a plain string.
 */
export type SuiteName = string;

/** How a test's load was offered. */
export type LoadSpec =
  | {
    /** Closed loop: `requests` at `concurrency`. */
    kind: "closed";
    /** Counted requests. */
    requests: number;
    /** Requests in flight at once. */
    concurrency: number;
    /** Uncounted warm-up requests. */
    warmup: number;
  }
  | {
    /** Open loop: arrivals at `rate` per second for `duration_s` or `requests`. */
    kind: "open";
    /** Offered arrivals per second. */
    rate: number;
    /** Length of the schedule in seconds, when bounded by time. */
    duration_s: number | null;
    /** Number of arrivals, when bounded by count. */
    requests: number | null;
    /** Arrival process. */
    arrival: "constant" | "poisson";
    /** Cap on requests in flight (null = none). */
    max_in_flight: number | null;
    /** Uncounted warm-up requests. */
    warmup: number;
  }
  | {
    /** Sequential requests, one at a time (cache experiments). */
    kind: "sequential";
    /** Counted requests. */
    requests: number;
    /** Uncounted warm-up requests. */
    warmup: number;
  };

/** How the client itself fared during a test (`extra.client_health`). */
export interface ClientHealth {
  /** Median of how late the probe timer fired (ms); absent in runs of older versions. */
  event_loop_lag_p50_ms?: number;
  /** 99th percentile of how late the probe timer fired (ms). */
  event_loop_lag_p99_ms: number;
  /** Process CPU time over wall time during the test, in % of one core. */
  cpu_pct: number;
  /** True when lag or CPU says the client may have limited the measurement. */
  saturated: boolean;
  /**
   * Median absolute error of the client's stamps over the test (ms): a gap between two chunks
   * of the stamping canary as stamped on arrival, against the gap between their send times.
   * Absent without the canary (tests run outside the program, older versions).
   */
  stamp_error_p50_ms?: number;
  /** 99th percentile of that error (ms). */
  stamp_error_p99_ms?: number;
  /** Gaps the canary measured over the test. */
  stamp_error_samples?: number;
}

/** What an open-loop test adds to `extra`: how its schedule was offered and kept. */
export interface OpenLoopFields {
  /** Offered arrivals per second (nominal). */
  offered_rate: number;
  /** Sends per second over the send span. */
  achieved_rate: number;
  /** Arrivals the schedule offered. */
  scheduled_requests: number;
  /** The rate this schedule actually offered (a Poisson draw differs from the nominal). */
  scheduled_rate: number;
  /** True when the queue-delay p99 stayed within its bound. */
  schedule_kept: boolean;
  /** That bound (ms). */
  max_queue_delay_ms: number;
}

/**
 * `extra` fields any test may carry, whatever its suite. Each suite's result type extends
 * this with its own fields (`suites/<name>/result.ts`).
 */
export interface TestExtra extends Partial<OpenLoopFields> {
  /** The client's health over the test (every test the runner ran records it). */
  client_health?: ClientHealth;
  /** The scenario file a test came from. */
  scenario?: string;
  /** The server's own metrics over the test, when it exposes them. */
  server_metrics?: ServerSeries;
  /** A workload test's workload and requested-against-delivered lengths. */
  workload?: WorkloadStats;
  /** Attainment and goodput against the run's SLOs (`--slo`), when it has any. */
  slo?: SloStats;
  /** A sweep's point: which sweep, what varies, the level. */
  sweep?: { id: string; kind: "rate" | "concurrency"; level: number };
  /** Why this test was past saturation, when it was (a sweep stops after it). */
  saturated_because?: string | null;
  /** A max-load search's probes and answer (the test's own metrics are its best probe's). */
  search?: SearchResult;
  /** A closed loop's figures over its steady state (null: too short to have one). */
  steady_state?: SteadyState | null;
  /** How long failed requests took to fail, per error class (null: none failed). */
  failure_times?: Partial<Record<Outcome, FailureTime>> | null;
  /** Why the test ended early (`--max-error-rate`), or absent. */
  stopped_early?: string;
  /** The engine twin that predicted this test (`predict`), or absent for a measured one. */
  predicted?: PredictedBy;
}

/** The engine twin behind a predicted test (`extra.predicted`). */
export interface PredictedBy {
  /** The model. */
  model: string;
  /** The GPU's short name. */
  gpu: string;
  /** Tensor-parallel GPUs. */
  tp: number;
  /** vLLM's `--max-num-seqs`. */
  max_num_seqs: number;
  /** vLLM's `--max-num-batched-tokens`. */
  max_num_batched_tokens: number;
  /** vLLM's `--max-model-len`. */
  max_model_len: number;
  /** The twin's coefficients. */
  coefficients: Record<string, number>;
}

/** What a max-load search found (`extra.search`). */
export interface SearchResult {
  /** `rate` or `concurrency`. */
  kind: "rate" | "concurrency";
  /** Target attainment, in %. */
  target_pct: number;
  /** Every probe, in the order it ran: level, counts, attainment and its 95% interval (%). */
  probes: {
    level: number;
    requests: number;
    met: number;
    attainment_pct: number;
    low_pct: number;
    high_pct: number;
    pass: boolean;
  }[];
  /** The highest level that reached the target, or null. */
  sustained: number | null;
  /** The lowest level above it that did not, or null. */
  failed_at: number | null;
  /** Why the search stopped. */
  stopped: string;
  /**
   * The capacity probe a rate search began with (a closed loop of `concurrency` requests in
   * flight, and the requests per second it completed), or null when it began at `--rate`.
   */
  capacity?: { concurrency: number; rps: number } | null;
}

/** What one test measured; `E` is its suite's `extra` fields. */
export interface TestResult<E extends TestExtra = TestExtra> {
  /** Suite the test belongs to. */
  suite: SuiteName;
  /** Test name, as in the original suite where it has one. */
  name: string;
  /** Payload label (`small`, `medium`, `large`, or a scenario's name). */
  payload: string;
  /** Whether requests streamed. */
  streaming: boolean;
  /** Model actually requested. */
  model: string;
  /** Model the test asked for, when another one had to be used instead. */
  model_substituted_for: string | null;
  /** `max_tokens` of the payload. */
  max_tokens: number | null;
  /** How load was offered. */
  load: LoadSpec;
  /** Aggregated measurements. */
  metrics: TestMetrics;
  /** True when the run was interrupted during this test. */
  interrupted: boolean;
  /** Remarks the report must show (model substitution, schedule not kept…). */
  notes: string[];
  /** Suite-specific fields, written into that suite's JSON and Markdown. */
  extra: E;
  /**
   * `--repeat`: how the test was repeated and each repeat's own result; the fields above are
   * then pooled over the repeats (capacity/repeat.ts). Absent when it ran once.
   */
  repeat?: RepeatInfo<E>;
}

/** How a test was repeated (`TestResult.repeat`). */
export interface RepeatInfo<E extends TestExtra = TestExtra> {
  /** Repeats asked for (`--repeat`); `runs` holds fewer when the run was interrupted. */
  count: number;
  /** Pause between repeats (s). */
  pause_s: number;
  /** The seed of each repeat that ran. */
  seeds: number[];
  /** CV (%) above which a metric is marked unstable (`--max-cv`). */
  max_cv_pct: number;
  /**
   * Each repeat's own result, in the order they ran (their `latencies` cut to a quantile
   * sample: the pooled result above holds them all).
   */
  runs: TestResult<E>[];
}

/** What one suite produced. */
export interface SuiteResult<E extends TestExtra = TestExtra> {
  /** Which suite. */
  suite: SuiteName;
  /** Its tests, in run order. */
  tests: TestResult<E>[];
  /** Wall-clock start (ISO 8601, UTC). */
  started_at: string;
  /** Wall-clock end (ISO 8601, UTC). */
  finished_at: string;
  /** Set when the suite did not run, with the reason. */
  skipped: string | null;
  /** Set when the suite failed, with the error. */
  error: string | null;
  /** True when interrupted. */
  interrupted: boolean;
}

/** Identity of the benchmarked server, as far as it can be learnt. */
export interface ServerIdentity {
  /** Base URL (no credentials). */
  base_url: string;
  /** True when the tool started its own embedded server. */
  embedded: boolean;
  /** PID of the server, when known. */
  pid: number | null;
  /** Model ids the server lists. */
  models: string[];
  /** `server` header, when sent. */
  server_header: string | null;
  /** HTTP status of `/health` (null when it did not answer). */
  health_status: number | null;
  /**
   * The server's Prometheus metrics sampled during tests: where and which engine's names; null
   * when it offered none (or `--no-server-metrics`). Absent in runs of older versions.
   */
  metrics?: { url: string; engine: string } | null;
}

/** Everything one run produced, as `run.json` records it. */
export interface RunResult<E extends TestExtra = TestExtra> {
  /** Tool version. */
  tool_version: string;
  /** Unique id of the run. */
  run_id: string;
  /** Start time (ISO 8601, UTC). */
  started_at: string;
  /** End time (ISO 8601, UTC). */
  finished_at: string;
  /** Quick or full mode. */
  mode: "quick" | "full";
  /**
   * The run's plan as recorded (`plan/plan.ts`, `planRecord`): versioned, snake_case, no
   * secret. Absent in runs of older versions, which have `config` instead.
   */
  plan?: Record<string, unknown>;
  /** Runs of older versions: their effective configuration (no secrets). */
  config?: Record<string, unknown>;
  /** When this run is the merge of shard runs: how many, their ids and hosts. */
  merged?: { shards: number; run_ids: string[]; hosts: string[] } | null;
  /** The target. */
  server: ServerIdentity;
  /** The machine the client ran on. */
  host: { hostname: string; os: string; arch: string; cpus: number; deno: string };
  /** Per-suite results, in run order. */
  suites: SuiteResult<E>[];
  /** True when the run was interrupted. */
  interrupted: boolean;
  /**
   * Set when the target no longer answered at the end of a run whose requests failed to
   * connect: why (absent in runs of older versions).
   */
  target_lost?: string | null;
  /** Set when the run was predicted by the engine twin (`predict`), not measured. */
  predicted?: PredictedBy | null;
}
