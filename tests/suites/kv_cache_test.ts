import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { kvMetricsDelta, parseKvMetrics } from "../../probes/kv_metrics.ts";
import { emptyRecord, type RequestRecord } from "../../measure/record.ts";
import type { KvCacheTestResult } from "../../suites/kv_cache/tests.ts";
import {
  cacheStats,
  coldWarmStats,
  longSystemPrompt,
  routerStats,
} from "../../suites/kv_cache/tests.ts";
import { embedded, noCacheServer, runKv, SMALL_KV } from "./_kv.ts";

const byName = (tests: KvCacheTestResult[], name: string) => {
  const t = tests.find((x) => x.name === name);
  assert.ok(t, `test ${name} ran`);
  return t;
};

openTest(
  "kv-cache suite: hit rate and token reuse agree with the server's metric deltas",
  async () => {
    const server = await embedded({ prefillMsPerToken: 0.2 });
    try {
      const suite = await runKv(server.url);
      assert.equal(suite.error, null);
      assert.equal(suite.tests.length, 4);
      for (const t of suite.tests) {
        const e = t.extra;
        const d = e.server_metrics_delta as ReturnType<typeof kvMetricsDelta>;
        assert.ok(d, `${t.name}: server deltas`);
        assert.equal(e.cache_reported, true);
        assert.equal(t.metrics.failed_requests, 0);
        assert.equal(e.cache_hits, d.total_cache_hits, `${t.name}: hits`);
        assert.equal(e.cache_misses, d.total_cache_misses, `${t.name}: misses`);
        assert.equal(e.hit_rate, d.cache_hit_rate, `${t.name}: hit rate`);
        assert.equal(e.cached_tokens_reused, d.cached_tokens_reused, `${t.name}: cached`);
        assert.equal(e.total_prompt_tokens, d.total_tokens_processed, `${t.name}: prompt`);
        assert.ok(Math.abs((e.token_reuse_rate as number) - d.token_reuse_rate!) < 1e-9);
        assert.ok((e.avg_prefix_length as number) >= 256, `${t.name}: long prefixes`);
        assert.deepEqual(t.notes, [], t.name);
        // Every test records the client's health, the cache experiments too.
        assert.equal(typeof e.client_health?.event_loop_lag_p99_ms, "number", t.name);
      }
      // Only the first request of each prefix misses.
      const hr = byName(suite.tests, "Cache Hit Rate Test");
      assert.equal(hr.metrics.total_requests, 3 * 4 * SMALL_KV.iterations);
      assert.equal(hr.extra.cache_misses, 3);
      const ps = byName(suite.tests, "Prefix Sharing Test");
      assert.equal(ps.metrics.total_requests, 15);
      assert.equal(ps.extra.hit_rate, 80);
      // Hits skip ~330 prompt tokens of prefill at 0.2 ms each: TTFT drops by ~65 ms.
      const hit = (ps.extra.ttft_hit_s as { p50: number }).p50;
      const miss = (ps.extra.ttft_miss_s as { p50: number }).p50;
      const expect = 0.2e-3 * (ps.extra.avg_prefix_length as number);
      assert.ok(Math.abs(miss - hit - expect) < 0.3 * expect, `saved ${miss - hit} s`);

      // Router: 3 prefixes stay on 3 workers; the idle 4th counts, so Jain = 0.75.
      const router = byName(suite.tests, "Smart Router Test");
      const dist = router.extra.worker_distribution as Record<string, number>;
      assert.deepEqual(Object.keys(dist), ["worker-0", "worker-1", "worker-2", "worker-3"]);
      assert.equal(Object.values(dist).reduce((a, b) => a + b, 0), SMALL_KV.routerRequests);
      assert.deepEqual(Object.values(dist).sort(), [0, 4, 4, 4]);
      assert.ok(Math.abs((router.extra.load_balance_score as number) - 75) < 1e-9);
      assert.equal(router.extra.cache_affinity, 100);
      assert.equal(router.extra.worker_distribution_source, "server_metrics");

      // Cold vs Warm: warm TTFT is below cold by what 0.2 ms per cached token predicts.
      const cw = byName(suite.tests, "Cold vs Warm Test");
      assert.equal(cw.extra.cache_reset, true);
      const cold = cw.extra.cold_ttft_s as number[];
      const warm = cw.extra.warm_ttft_s as number[];
      const warmCached = cw.extra.warm_cached_tokens as number[];
      assert.equal(cold.length, SMALL_KV.coldWarmPrompts);
      assert.deepEqual(cw.extra.cold_cached_tokens, cold.map(() => 0));
      let saved = 0, predicted = 0;
      for (let i = 0; i < cold.length; i++) {
        assert.ok(warmCached[i] >= 512, `prompt ${i} cached ${warmCached[i]}`);
        const p = 0.2e-3 * warmCached[i];
        assert.ok(cold[i] - warm[i] > 0.5 * p, `prompt ${i}: saved ${cold[i] - warm[i]} s`);
        saved += cold[i] - warm[i];
        predicted += p;
      }
      assert.ok(
        Math.abs(saved - predicted) < 0.2 * predicted,
        `saved ${saved}, predicted ${predicted}`,
      );
      const slope = cw.extra.ms_saved_per_1k_cached_tokens as number;
      assert.ok(Math.abs(slope - 200) < 40, `ms per 1k cached tokens ${slope}`);
      assert.equal(cw.extra.hit_rate, 50);
    } finally {
      await server.shutdown();
    }
  },
);

openTest(
  "kv-cache suite with the server's cache off: every hit rate is 0, reported by server",
  async () => {
    const server = await embedded({ kvCache: false });
    try {
      const suite = await runKv(server.url, { ...SMALL_KV, iterations: 1, routerRequests: 6 });
      assert.equal(suite.tests.length, 4);
      for (const t of suite.tests) {
        assert.equal(t.extra.cache_reported, true, t.name);
        assert.equal(t.extra.hit_rate, 0, t.name);
        assert.equal(t.extra.cache_hits, 0, t.name);
        assert.equal(t.extra.token_reuse_rate, 0, t.name);
        assert.equal(t.extra.latency_improvement, null, t.name);
        assert.equal(t.extra.ttft_hit_s, null, t.name);
        assert.ok(t.extra.ttft_miss_s, t.name);
        const d = t.extra.server_metrics_delta as { total_cache_hits: number };
        assert.equal(d.total_cache_hits, 0);
      }
      const cw = byName(suite.tests, "Cold vs Warm Test");
      assert.equal(cw.extra.ms_saved_per_1k_cached_tokens, null);
    } finally {
      await server.shutdown();
    }
  },
);

Deno.test("kv-cache suite against a server without cache fields: not reported, latencies kept", async () => {
  const mock = noCacheServer();
  try {
    const suite = await runKv(mock.url, { ...SMALL_KV, iterations: 1, routerRequests: 3 });
    assert.equal(suite.tests.length, 4);
    for (const t of suite.tests) {
      assert.equal(t.extra.cache_reported, false, t.name);
      assert.equal(t.extra.hit_rate, null);
      assert.equal(t.extra.cache_hits, null);
      assert.equal(t.extra.token_reuse_rate, null);
      assert.equal(t.extra.server_metrics_delta, null);
      assert.equal(t.metrics.successful_requests, t.metrics.total_requests);
      assert.ok(t.metrics.ttft.count > 0 && t.metrics.ttft.mean > 0.004);
      assert.ok(t.notes.some((n) => n.includes("not reported by server")), t.name);
    }
    const router = byName(suite.tests, "Smart Router Test");
    assert.equal(router.extra.worker_distribution, null);
    assert.equal(router.extra.load_balance_score, null);
    assert.equal(router.extra.cache_affinity, null);
    const cw = byName(suite.tests, "Cold vs Warm Test");
    assert.equal(cw.extra.cache_reset, false);
    assert.equal(cw.extra.ms_saved_per_1k_cached_tokens, null);
    assert.equal((cw.extra.cold_ttft_s as number[]).length, SMALL_KV.coldWarmPrompts);
  } finally {
    await mock.close();
  }
});

Deno.test("quick mode runs Prefix Sharing only", async () => {
  const mock = noCacheServer();
  try {
    const suite = await runKv(mock.url, SMALL_KV, { quick: true, warmup: 0 });
    assert.deepEqual(suite.tests.map((t) => t.name), ["Prefix Sharing Test"]);
  } finally {
    await mock.close();
  }
});

function rec(over: Partial<RequestRecord>): RequestRecord {
  return { ...emptyRecord(0), outcome: "ok", e2e: 0.1, ttft: 0.05, ...over };
}

Deno.test("a router sending all traffic to one of four workers scores 25 on load balance", () => {
  const delta = kvMetricsDelta(
    parseKvMetrics({
      cache_performance: {
        total_cache_hits: 0,
        total_cache_misses: 0,
        total_tokens_processed: 0,
        cached_tokens_reused: 0,
      },
      smart_router: {
        workers: Object.fromEntries(
          [0, 1, 2, 3].map((i) => [`worker-${i}`, { total_requests: 5 }]),
        ),
      },
    })!,
    parseKvMetrics({
      cache_performance: {
        total_cache_hits: 97,
        total_cache_misses: 3,
        total_tokens_processed: 30000,
        cached_tokens_reused: 28800,
      },
      smart_router: {
        workers: {
          "worker-0": { total_requests: 5 },
          "worker-1": { total_requests: 5 },
          "worker-2": { total_requests: 105 },
          "worker-3": { total_requests: 5 },
        },
      },
    })!,
  );
  const samples = Array.from({ length: 100 }, (_, i) => ({
    group: i % 3,
    rec: rec({ worker: "worker-2" }),
  }));
  const r = routerStats(samples, delta);
  assert.deepEqual(r.worker_distribution, {
    "worker-0": 0,
    "worker-1": 0,
    "worker-2": 100,
    "worker-3": 0,
  });
  assert.equal(r.load_balance_score, 25);
  assert.equal(r.cache_affinity, 100);
  // An even spread scores 100; a 2-of-4 spread 50.
  const even = routerStats([], {
    ...delta,
    workers: Object.fromEntries([0, 1, 2, 3].map((i) => [`worker-${i}`, {
      total_requests: 25,
      tokens_processed: 0,
    }])),
  });
  assert.equal(even.load_balance_score, 100);
  const half = routerStats([], {
    ...delta,
    workers: Object.fromEntries([0, 1, 2, 3].map((i) => [`worker-${i}`, {
      total_requests: i < 2 ? 50 : 0,
      tokens_processed: 0,
    }])),
  });
  assert.equal(half.load_balance_score, 50);
});

Deno.test("cache affinity is the share of each prefix's requests on its most-used worker", () => {
  const samples = [
    { group: 0, rec: rec({ worker: "worker-0" }) },
    { group: 0, rec: rec({ worker: "worker-0" }) },
    { group: 0, rec: rec({ worker: "worker-1" }) },
    { group: 1, rec: rec({ worker: "worker-3" }) },
  ];
  const r = routerStats(samples, null);
  assert.equal(r.cache_affinity, 75);
  assert.equal(r.worker_distribution_source, "header");
  assert.deepEqual(r.worker_distribution, { "worker-0": 2, "worker-1": 1, "worker-3": 1 });
});

Deno.test("cache statistics: hits by cached_tokens > 0, reuse over prompt tokens, failures apart", () => {
  const s = cacheStats([
    rec({ cachedTokens: 0, inputTokens: 400, ttft: 0.1 }),
    rec({ cachedTokens: 384, inputTokens: 400, ttft: 0.02 }),
    rec({ cachedTokens: 368, inputTokens: 400, ttft: 0.03 }),
    rec({ outcome: "http_5xx", cachedTokens: null }),
  ], null);
  assert.equal(s.cache_hits, 2);
  assert.equal(s.cache_misses, 1);
  assert.ok(Math.abs(s.hit_rate! - 200 / 3) < 1e-9);
  assert.equal(s.token_reuse_rate, (752 / 1200) * 100);
  assert.equal(s.avg_prefix_length, 376);
  assert.ok(Math.abs(s.latency_improvement! - 75) < 1e-9);
  // Absent cached_tokens are "not reported", never 0%.
  const none = cacheStats([rec({ inputTokens: 400 })], null);
  assert.equal(none.cache_reported, false);
  assert.equal(none.hit_rate, null);
  assert.equal(none.cache_hits, null);
});

Deno.test("cold vs warm slope: ms saved per 1000 cached tokens from a fit of TTFT on cached", () => {
  const cold = [-1, 0, 1].map((i) => rec({ cachedTokens: 0, ttft: 0.2 + i * 1e-3 }));
  const warm = [-1, 1].map((i) => rec({ cachedTokens: 1000, ttft: 0.1 + i * 1e-3 }));
  const s = coldWarmStats(cold, [...warm, rec({ outcome: "timeout" })]);
  assert.ok(Math.abs(s.ms_saved_per_1k_cached_tokens! - 100) < 1e-6);
  assert.equal(s.warm_ttft_s[2], null);
  assert.equal(s.fit_n, 5);
  assert.equal(coldWarmStats(cold, cold).ms_saved_per_1k_cached_tokens, null);
});

Deno.test("long system prompts are deterministic per seed and distinct per tag from the start", () => {
  const a = longSystemPrompt(42, "x-0", "You are a helpful assistant.", 300);
  assert.equal(a, longSystemPrompt(42, "x-0", "You are a helpful assistant.", 300));
  const b = longSystemPrompt(42, "x-1", "You are a helpful assistant.", 300);
  const c = longSystemPrompt(43, "x-0", "You are a helpful assistant.", 300);
  assert.notEqual(a.split(" ")[0], b.split(" ")[0]);
  assert.notEqual(a.split(" ")[0], c.split(" ")[0]);
  assert.ok(a.split(/\s+/).length >= 300);
});
