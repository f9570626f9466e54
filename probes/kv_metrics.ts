/**
 * The server's own KV-cache counters: `GET /kv-cache/metrics` (FakeAI's schema) read into a
 * snapshot, the difference of two snapshots, and `POST /kv-cache/reset`. Servers without
 * these endpoints give `null` / `false`, never zeros.
 *
 * @module
 */

import { BODY_LIMITS, getBounded } from "../net/bounded.ts";

/** One worker's counters in a snapshot. */
export interface KvWorkerCounters {
  /** Requests ever routed to the worker. */
  total_requests: number;
  /** Prompt + completion tokens the worker processed. */
  tokens_processed: number;
  /** Blocks in the worker's cache now. */
  cached_blocks: number;
  /** Requests in flight on the worker now. */
  active_requests: number;
}

/** The counters of one `/kv-cache/metrics` answer. */
export interface KvSnapshot {
  /** Cache lookups with cached tokens > 0. */
  total_cache_hits: number;
  /** Cache lookups without cached tokens. */
  total_cache_misses: number;
  /** Prompt tokens looked up. */
  total_tokens_processed: number;
  /** Prompt tokens served from cache. */
  cached_tokens_reused: number;
  /** Per-worker counters by worker name; null when the server does not list workers. */
  workers: Record<string, KvWorkerCounters> | null;
}

/** What changed between two snapshots (names as in FakeAI's `cache_performance`). */
export interface KvMetricsDelta {
  /** Hits during the interval. */
  total_cache_hits: number;
  /** Misses during the interval. */
  total_cache_misses: number;
  /** hits ÷ (hits + misses) × 100; null when there was no lookup. */
  cache_hit_rate: number | null;
  /** Prompt tokens looked up during the interval. */
  total_tokens_processed: number;
  /** Prompt tokens served from cache during the interval. */
  cached_tokens_reused: number;
  /** cached ÷ processed × 100; null when nothing was processed. */
  token_reuse_rate: number | null;
  /** cached ÷ hits; 0 when there was no hit. */
  average_prefix_length: number;
  /** Per-worker changes (every worker the server lists, idle ones included), or null. */
  workers: Record<string, { total_requests: number; tokens_processed: number }> | null;
}

function num(x: unknown): number | null {
  return typeof x === "number" && Number.isFinite(x) ? x : null;
}

function headers(apiKey: string | null): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

/**
 * Parse a `/kv-cache/metrics` body into a snapshot.
 *
 * @returns the snapshot, or null when the body lacks FakeAI's cache counters.
 */
export function parseKvMetrics(body: unknown): KvSnapshot | null {
  if (!body || typeof body !== "object") return null;
  const perf = (body as Record<string, unknown>).cache_performance;
  if (!perf || typeof perf !== "object") return null;
  const p = perf as Record<string, unknown>;
  const hits = num(p.total_cache_hits);
  const misses = num(p.total_cache_misses);
  const processed = num(p.total_tokens_processed);
  const reused = num(p.cached_tokens_reused);
  if (hits === null || misses === null || processed === null || reused === null) return null;
  let workers: Record<string, KvWorkerCounters> | null = null;
  const router = (body as Record<string, unknown>).smart_router;
  const ws = router && typeof router === "object"
    ? (router as Record<string, unknown>).workers
    : undefined;
  if (ws && typeof ws === "object") {
    workers = {};
    for (const [name, w] of Object.entries(ws as Record<string, unknown>)) {
      const o = (w && typeof w === "object" ? w : {}) as Record<string, unknown>;
      workers[name] = {
        total_requests: num(o.total_requests) ?? 0,
        tokens_processed: num(o.tokens_processed) ?? 0,
        cached_blocks: num(o.cached_blocks) ?? 0,
        active_requests: num(o.active_requests) ?? 0,
      };
    }
  }
  return {
    total_cache_hits: hits,
    total_cache_misses: misses,
    total_tokens_processed: processed,
    cached_tokens_reused: reused,
    workers,
  };
}

/**
 * Read the server's KV-cache counters.
 *
 * @returns a snapshot, or null when the server does not offer them (any error, non-2xx
 *   status or unknown schema).
 */
export async function fetchKvMetrics(
  baseUrl: string,
  apiKey: string | null,
  timeoutMs = 5000,
): Promise<KvSnapshot | null> {
  try {
    const res = await getBounded(`${baseUrl}/kv-cache/metrics`, {
      headers: headers(apiKey),
      timeoutMs,
      maxBytes: BODY_LIMITS.kvMetrics,
      what: "/kv-cache/metrics body",
    });
    if (res.status < 200 || res.status >= 300) return null;
    return parseKvMetrics(JSON.parse(res.text));
  } catch {
    return null;
  }
}

/**
 * Ask the server to drop its KV cache (`POST /kv-cache/reset`).
 *
 * @returns true when the server answered 2xx.
 */
export async function resetKvCache(
  baseUrl: string,
  apiKey: string | null,
  timeoutMs = 5000,
): Promise<boolean> {
  try {
    const res = await getBounded(`${baseUrl}/kv-cache/reset`, {
      method: "POST",
      headers: headers(apiKey),
      timeoutMs,
      maxBytes: BODY_LIMITS.error,
      what: "/kv-cache/reset body",
    });
    return res.status >= 200 && res.status < 300;
  } catch {
    return false;
  }
}

/** The change from `before` to `after`, with rates computed over the interval. */
export function kvMetricsDelta(before: KvSnapshot, after: KvSnapshot): KvMetricsDelta {
  const hits = after.total_cache_hits - before.total_cache_hits;
  const misses = after.total_cache_misses - before.total_cache_misses;
  const processed = after.total_tokens_processed - before.total_tokens_processed;
  const reused = after.cached_tokens_reused - before.cached_tokens_reused;
  let workers: KvMetricsDelta["workers"] = null;
  if (after.workers) {
    workers = {};
    const names = Object.keys(after.workers).sort(workerOrder);
    for (const name of names) {
      const a = after.workers[name];
      const b = before.workers?.[name];
      workers[name] = {
        total_requests: a.total_requests - (b?.total_requests ?? 0),
        tokens_processed: a.tokens_processed - (b?.tokens_processed ?? 0),
      };
    }
  }
  return {
    total_cache_hits: hits,
    total_cache_misses: misses,
    cache_hit_rate: hits + misses > 0 ? (hits / (hits + misses)) * 100 : null,
    total_tokens_processed: processed,
    cached_tokens_reused: reused,
    token_reuse_rate: processed > 0 ? (reused / processed) * 100 : null,
    average_prefix_length: hits > 0 ? reused / hits : 0,
    workers,
  };
}

/** Order worker names by their number when they have one (`worker-2` before `worker-10`). */
export function workerOrder(a: string, b: string): number {
  const na = Number(a.match(/(\d+)$/)?.[1] ?? NaN);
  const nb = Number(b.match(/(\d+)$/)?.[1] ?? NaN);
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
