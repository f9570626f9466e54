/**
 * What the kv-cache suite's tests add to a test's `extra`: cache, router and cold/warm
 * statistics.
 *
 * @module
 */

import type { TestExtra, TestResult } from "../../measure/result.ts";
import type { Summary } from "../../measure/summary.ts";
import type { KvMetricsDelta } from "../../probes/kv_metrics.ts";

/** Cache statistics of one test. */
export interface CacheStats {
  /** True when the server reported cached tokens (in usage or in its metrics). */
  cache_reported: boolean;
  /** `usage` (per request), `server_metrics` (deltas only) or null (not reported). */
  hit_rate_source: "usage" | "server_metrics" | null;
  /** Successful requests whose usage carried cached_tokens. */
  reported_requests: number;
  /** Requests with cached tokens > 0; null when not reported. */
  cache_hits: number | null;
  /** Requests with no cached token; null when not reported. */
  cache_misses: number | null;
  /** hits ÷ (hits + misses) × 100; null when not reported. */
  hit_rate: number | null;
  /** Σ prompt tokens of the reported requests; null when not reported. */
  total_prompt_tokens: number | null;
  /** Σ cached tokens; null when not reported. */
  cached_tokens_reused: number | null;
  /** Σ cached ÷ Σ prompt tokens × 100; null when not reported. */
  token_reuse_rate: number | null;
  /** Mean cached tokens of the hits (0 without hits); null when not reported. */
  avg_prefix_length: number | null;
  /** TTFT of hits (s); null when not reported or no hit. */
  ttft_hit_s: Summary | null;
  /** TTFT of misses (s); null when not reported or no miss. */
  ttft_miss_s: Summary | null;
  /** (mean TTFT of misses − of hits) ÷ of misses × 100; null without both. */
  latency_improvement: number | null;
  /** End-to-end latencies of hits (s), in request order. */
  latencies_with_cache: number[];
  /** End-to-end latencies of misses (s), in request order. */
  latencies_without_cache: number[];
  /** `/kv-cache/metrics` after − before, or null when the server does not offer it. */
  server_metrics_delta: KvMetricsDelta | null;
}

/** Router statistics of one test. */
export interface RouterStats {
  /** Requests per worker, every worker listed (idle ones with 0); null when unknown. */
  worker_distribution: Record<string, number> | null;
  /** `server_metrics` (all workers) or `header` (only workers seen); null when unknown. */
  worker_distribution_source: "server_metrics" | "header" | null;
  /** Jain's fairness index of the distribution × 100 (25 = one of four workers). */
  load_balance_score: number | null;
  /** Share of each prefix's requests on its most-used worker, request-weighted (%). */
  cache_affinity: number | null;
  /** Requests per worker for each prefix, from the worker header; null without header. */
  workers_by_prefix: Record<string, Record<string, number>> | null;
}

/** Results of the Cold vs Warm experiment. */
export interface ColdWarmStats {
  /** TTFT of each cold request in prompt order (s); null for a failed request. */
  cold_ttft_s: (number | null)[];
  /** TTFT of each warm request in prompt order (s); null for a failed request. */
  warm_ttft_s: (number | null)[];
  /** Cached tokens of each cold request (null when not reported). */
  cold_cached_tokens: (number | null)[];
  /** Cached tokens of each warm request (null when not reported). */
  warm_cached_tokens: (number | null)[];
  /** −slope × 10⁶ of TTFT (s) fitted against cached tokens; null when not measurable. */
  ms_saved_per_1k_cached_tokens: number | null;
  /** r² of that fit (null with it). */
  fit_r2: number | null;
  /** Requests the fit used. */
  fit_n: number;
}

/** The kv-cache suite's fields of a test's `extra`: cache, router and cold/warm statistics. */
export interface KvCacheExtra
  extends TestExtra, Partial<CacheStats>, Partial<RouterStats>, Partial<ColdWarmStats> {
  /** `hit_rate`, `prefix_sharing`, `router` or `cold_warm`. */
  test_kind?: string;
  /** Distinct prefixes (system prompts) the test used. */
  prefixes?: number;
  /** Suffixes per prefix (Cache Hit Rate). */
  suffixes?: number;
  /** Passes over every prefix × suffix (Cache Hit Rate). */
  iterations?: number;
  /** Queries per prefix (Prefix Sharing). */
  queries?: number;
  /** Prompts of the Cold vs Warm experiment. */
  prompts?: number;
  /** True when `/kv-cache/reset` emptied the cache before the cold pass. */
  cache_reset?: boolean;
  /** True when cold prompts were salted because the cache could not be reset. */
  cold_salted?: boolean;
}

/** A test of the kv-cache suite. */
export type KvCacheTestResult = TestResult<KvCacheExtra>;
