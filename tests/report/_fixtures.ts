/**
 * Synthetic results for report tests: tests built from given samples, and a run around them.
 *
 * @module
 */

import type {
  LoadSpec,
  RunResult,
  SuiteName,
  SuiteResult,
  TestResult,
} from "../../measure/result.ts";
import { emptySummary, summarize } from "../../measure/summary.ts";
import { planRecord, type RunPlan } from "../../plan/plan.ts";
import { emptyHistograms, quantileSample, type TestMetrics } from "../../measure/aggregate.ts";

/** Options of a synthetic test. */
export interface FakeTest {
  suite?: SuiteName;
  name?: string;
  streaming?: boolean;
  model?: string;
  latencies?: number[];
  ttft?: number[];
  itl?: number[];
  failed?: number;
  windowS?: number;
  outputTokens?: number;
  load?: LoadSpec;
  extra?: Record<string, unknown>;
}

/** A test result whose metrics are computed from the given samples (seconds). */
export function fakeTest(o: FakeTest = {}): TestResult {
  const lat = [...(o.latencies ?? [0.1, 0.2, 0.3, 0.4])].sort((a, b) => a - b);
  const ttft = [...(o.ttft ?? (o.streaming ? lat.map((x) => x / 4) : []))].sort((a, b) => a - b);
  const itl = [...(o.itl ?? (o.streaming ? lat.map((x) => x / 50) : []))].sort((a, b) => a - b);
  const failed = o.failed ?? 0;
  const window = o.windowS ?? 10;
  const out = o.outputTokens ?? lat.length * 50;
  const metrics: TestMetrics = {
    total_requests: lat.length + failed,
    successful_requests: lat.length,
    failed_requests: failed,
    outcomes: { ok: lat.length, http_5xx: failed } as TestMetrics["outcomes"],
    window_s: window,
    requests_per_second: lat.length / window,
    output_tokens_per_second: out / window,
    total_tokens_per_second: (out * 1.2) / window,
    total_input_tokens: out / 5,
    total_output_tokens: out,
    output_tokens_estimated: false,
    input_tokens_missing: false,
    latency: summarize(lat),
    ttft: summarize(ttft),
    ttfc: summarize(ttft),
    tpot: o.streaming ? summarize(itl) : emptySummary(),
    itl: summarize(itl),
    latency_corrected: null,
    ttft_corrected: null,
    queue_delay: null,
    latencies: lat,
    error_samples: failed ? ["http_5xx: HTTP 500"] : [],
    ttft_samples: quantileSample(ttft),
    itl_samples: quantileSample(itl),
    tpot_samples: o.streaming ? quantileSample(itl) : [],
    window_start_epoch_s: 1_700_000_000,
    window_end_epoch_s: 1_700_000_000 + window,
    histograms: emptyHistograms(),
  };
  return {
    suite: o.suite ?? "throughput",
    name: o.name ?? "Test",
    payload: "small",
    streaming: o.streaming ?? false,
    model: o.model ?? "m",
    model_substituted_for: null,
    max_tokens: 50,
    load: o.load ?? { kind: "closed", requests: lat.length, concurrency: 5, warmup: 0 },
    metrics,
    interrupted: false,
    notes: [],
    extra: o.extra ?? {},
  };
}

/** A suite of the given tests. */
export function fakeSuite(suite: SuiteName, tests: TestResult[]): SuiteResult {
  return {
    suite,
    tests: tests.map((t) => ({ ...t, suite })),
    started_at: "2026-01-01T00:00:00.000Z",
    finished_at: "2026-01-01T00:01:00.000Z",
    skipped: null,
    error: null,
    interrupted: false,
  };
}

/** A quick run's plan against the embedded server, every option at its default. */
export function fakePlan(): RunPlan {
  return {
    target: {
      url: null,
      httpClient: "native",
      timeoutMs: 120_000,
      maxBodyBytes: 64 * 1024 * 1024,
      maxEventBytes: 1024 * 1024,
      model: null,
      apiKey: null,
      apiKeySource: null,
    },
    inferencePerf: null,
    embedded: { profile: "engine", twin: null },
    serverMetrics: { enabled: true, url: null },
    suites: {
      names: ["throughput", "kv-cache", "concurrent", "memory"],
      explicit: false,
      quick: true,
      ramp: false,
      memory: { serverPid: null, metricsUrl: null, leakThresholdKb: null },
    },
    scenario: null,
    load: {
      seed: 42,
      warmup: 3,
      maxQueueDelayMs: null,
      maxErrorRate: null,
      maxConsecutiveTimeouts: 3,
      shard: null,
      workers: 1,
      startAtMs: null,
    },
    repeat: { count: 1, pauseS: 2, maxCvPct: 10 },
    slos: [],
    outputs: { specs: [], tags: {} },
    dashboardPort: null,
    gates: [],
    output: { dir: "/tmp/run", quiet: false },
    acceptFailures: false,
    resume: null,
  };
}

/** A run of the given suites. */
export function fakeRun(suites: SuiteResult[], models = ["m"]): RunResult {
  return {
    tool_version: "0.1.0",
    run_id: "00000000-0000-4000-8000-000000000000",
    started_at: "2026-01-01T00:00:00.000Z",
    finished_at: "2026-01-01T00:01:00.000Z",
    mode: "quick",
    plan: planRecord(fakePlan()),
    server: {
      base_url: "http://127.0.0.1:8000",
      embedded: true,
      pid: 1,
      models,
      server_header: null,
      health_status: 200,
    },
    host: { hostname: "h", os: "linux", arch: "x86_64", cpus: 2, deno: "2.9.6" },
    suites,
    interrupted: false,
  };
}

/** Evenly spread samples from `lo` to `hi` (seconds). */
export function spread(n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / Math.max(1, n - 1));
}

/** A run with every suite's contract data (kv cold/warm and workers, bursts, memory). */
export function fullFakeRun(model = "m"): RunResult {
  const snaps = [];
  for (let i = 0; i < 5; i++) {
    snaps.push({ t_s: i, phase: "baseline", requests: 0, rss_mb: 100, value_mb: 100 });
  }
  for (let i = 0; i < 30; i++) {
    snaps.push({
      t_s: 5 + i,
      phase: "load",
      requests: i * 10,
      rss_mb: 100 + i * 0.2,
      value_mb: 100 + i * 0.2,
    });
  }
  for (let i = 0; i < 5; i++) {
    snaps.push({ t_s: 35 + i, phase: "drain", requests: 290, rss_mb: 105.8, value_mb: 105.8 });
  }
  return fakeRun([
    fakeSuite("throughput", [
      fakeTest({ name: "Small - Non-Streaming", model, latencies: spread(40, 0.2, 0.3) }),
      fakeTest({
        name: "Small - Streaming",
        model,
        streaming: true,
        latencies: spread(40, 0.2, 0.3),
      }),
    ]),
    fakeSuite("kv-cache", [
      fakeTest({
        name: "Prefix Sharing Test",
        streaming: true,
        extra: { hit_rate: 80, token_reuse_rate: 55.5 },
      }),
      fakeTest({
        name: "Smart Router Test",
        extra: { worker_distribution: { "worker-0": 34, "worker-1": 33, "worker-2": 33 } },
      }),
      fakeTest({
        name: "Cold vs Warm",
        streaming: true,
        extra: { cold_ttft_s: spread(10, 0.2, 0.25), warm_ttft_s: spread(10, 0.05, 0.07) },
      }),
    ]),
    fakeSuite(
      "concurrent",
      [10, 50, 100].map((c) =>
        fakeTest({
          name: `${c} Concurrent Connections`,
          latencies: spread(50, 0.1 + c / 1000, 0.2 + c / 500),
          load: { kind: "closed", requests: 50, concurrency: c, warmup: 0 },
          extra: { concurrent_connections: c, success_rate: 100 },
        })
      ),
    ),
    fakeSuite("memory", [
      fakeTest({
        name: "Low Load (5 RPS)",
        extra: {
          snapshots: snaps,
          intercept_mb: 100,
          slope_kb_per_request: 20.48,
          ci_low_kb_per_request: 19,
          ci_high_kb_per_request: 22,
          verdict: "leak",
          verdict_reason: "the slope's 95% interval is above the threshold",
          ci_confidence: 0.95,
          slope_mb_per_min: 1,
          requests_per_min: 600,
          baseline_mb: 100,
          load_end_mb: 105.8,
          drain_mb: 105.8,
          peak_mb: 105.8,
          drain_returned_fraction: 0,
          threshold_kb_per_request: 4,
          fit_points: 30,
          warmup_s: 6,
          memory_source: {
            kind: "proc",
            pid: 1234,
            command: "fakeai-bench serve",
            url: null,
            how: "the embedded server's process",
          },
          memory_kind: "rss_anon_swap",
          baseline_s: 5,
          drain_s: 10,
          sample_interval_s: 1,
          load_start_s: 1,
          load_end_s: 30,
          completed_requests: 290,
        },
      }),
    ]),
  ], [model]);
}
