import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { suiteJson, suiteMarkdown } from "./_render.ts";
import { join } from "node:path";
import type { SuiteResult, TestResult } from "../../measure/result.ts";
import { emptySummary, summarize } from "../../measure/summary.ts";
import { RecordAggregator } from "../../measure/aggregate.ts";
import { SCHEMA_VERSION } from "../../report/json.ts";
import { kvCacheSummary, NOT_REPORTED } from "../../suites/kv_cache/report.ts";
import { runInProcess } from "../e2e/_run.ts";
import { embedded, noCacheServer, runKv, SMALL_KV } from "../suites/_kv.ts";

const SMALLER = { ...SMALL_KV, iterations: 1, routerRequests: 6, coldWarmPrompts: 2 };

/** The Hit Rate cell of each row of the Cache Performance table. */
function hitRateCells(md: string): string[] {
  const section = md.split("## Cache Performance")[1].split("###")[0];
  return section.split("\n").filter((l) => /^\| [^-]/.test(l) && !l.startsWith("| Test"))
    .map((l) => l.split("|")[2].trim());
}

openTest("kv report with the server's cache off says 0% reported by the server", async () => {
  const server = await embedded({ kvCache: false });
  try {
    const suite = await runKv(server.url, SMALLER);
    const md = suiteMarkdown(suite);
    const cells = hitRateCells(md);
    assert.equal(cells.length, 3);
    for (const c of cells) assert.equal(c, "0.00% (server reported 0 hits)");
    assert.ok(!md.includes(NOT_REPORTED), "the server did report");
    assert.match(md, /Load Balance Score/);
    assert.match(md, /- Hits \/ Misses: 0 \/ \d+/);
    assert.match(kvCacheSummary(suite), /Hit Rate:\*\* 0\.00% \(server reported 0 hits\)/);
    const json = suiteJson(suite);
    assert.equal(json.length, 4);
    for (const t of json) {
      assert.equal(t.hit_rate, 0);
      assert.equal(t.cache_reported, true);
      assert.equal(t.schema_version, SCHEMA_VERSION);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("kv report against a server without cache fields says not reported, never 0%", async () => {
  const mock = noCacheServer();
  try {
    const suite = await runKv(mock.url, SMALLER);
    const md = suiteMarkdown(suite);
    for (const c of hitRateCells(md)) assert.equal(c, NOT_REPORTED);
    assert.ok(!/0\.00%/.test(md), "no 0% anywhere");
    assert.match(md, /Load Balance Score +\| Cache Affinity/);
    assert.match(md, /\*\*Worker Distribution:\*\* not reported by server/);
    assert.match(md, /TTFT \(all requests\): mean \d+\.\d\dms/, "latencies still reported");
    const summary = kvCacheSummary(suite);
    assert.match(summary, /Hit Rate:\*\* not reported by server/);
    for (const t of suiteJson(suite)) {
      assert.equal(t.hit_rate, null);
      assert.equal(t.token_reuse_rate, null);
      assert.ok((t.latency as { mean: number }).mean > 0);
    }
  } finally {
    await mock.close();
  }
});

function fakeTest(name: string, hits: number, misses: number, hitTtft: number, missTtft: number) {
  const agg = new RecordAggregator();
  return {
    suite: "kv-cache",
    name,
    payload: "long-prefix",
    streaming: true,
    model: "m",
    model_substituted_for: null,
    max_tokens: 4,
    load: { kind: "sequential", requests: hits + misses, warmup: 0 },
    metrics: { ...agg.metrics(), total_requests: hits + misses },
    interrupted: false,
    notes: [],
    extra: {
      test_kind: "cache",
      cache_reported: true,
      hit_rate: (hits / (hits + misses)) * 100,
      cache_hits: hits,
      cache_misses: misses,
      total_prompt_tokens: (hits + misses) * 100,
      cached_tokens_reused: hits * 96,
      token_reuse_rate: 96 * hits / (hits + misses),
      avg_prefix_length: hits ? 96 : 0,
      ttft_hit_s: hits ? summarize(Array(hits).fill(hitTtft)) : null,
      ttft_miss_s: misses ? summarize(Array(misses).fill(missTtft)) : null,
      server_metrics_delta: null,
    },
  } as TestResult;
}

Deno.test("the KV summary is request-weighted, not a mean of means", () => {
  const suite: SuiteResult = {
    suite: "kv-cache",
    tests: [fakeTest("A", 10, 0, 0.01, 0), fakeTest("B", 0, 90, 0, 0.1)],
    started_at: "",
    finished_at: "",
    skipped: null,
    error: null,
    interrupted: false,
  };
  const s = kvCacheSummary(suite);
  // Mean of means would say 50% hit rate and 48% reuse.
  assert.match(s, /Hit Rate:\*\* 10\.00% \(10 of 100 requests/);
  assert.match(s, /Token Reuse Rate:\*\* 9\.60%/);
  assert.match(s, /Latency Improvement:\*\* 90\.00% \(mean TTFT 10\.00ms on hits vs 100\.00ms/);
  assert.match(s, /Total Requests:\*\* 100/);
  assert.ok(emptySummary().count === 0);
});

openTest(
  "quick kv-cache run writes kv_cache_results.md/.json and the KV summary section",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const code = await runInProcess(
        ["--server-profile", "constant", "--quick", "--suite", "kv-cache", "--output-dir", dir],
        ["--itl-ms", "0.5", "--prefill-ms-per-token", "0.2"],
      );
      assert.equal(code, 0);
      const json = JSON.parse(await Deno.readTextFile(join(dir, "kv_cache_results.json")));
      assert.equal(json.length, 1);
      const t = json[0];
      assert.equal(t.test_name, "Prefix Sharing Test");
      assert.equal(t.total_requests, 15);
      assert.equal(t.cache_hits, 12);
      assert.equal(t.hit_rate, 80);
      assert.equal(t.server_metrics_delta.total_cache_hits, 12);
      assert.ok(t.latency_improvement > 50, `improvement ${t.latency_improvement}%`);
      for (
        const k of [
          "avg_latency_with_cache",
          "avg_latency_without_cache",
          "total_tokens_processed",
          "cached_tokens_reused",
          "token_reuse_rate",
          "avg_prefix_length",
          "latencies_with_cache",
          "latencies_without_cache",
          "schema_version",
        ]
      ) assert.ok(k in t, k);
      const md = await Deno.readTextFile(join(dir, "kv_cache_results.md"));
      assert.match(md, /^# KV Cache Benchmark Results/);
      assert.match(
        md,
        /\| Test +\| Hit Rate +\| Latency Improvement +\| Token Reuse Rate +\| Avg Prefix/,
      );
      assert.match(md, /\| Prefix Sharing Test +\| 80\.00% +\|/);
      assert.match(md, /#### Prefix Sharing Test/);
      const summary = await Deno.readTextFile(join(dir, "BENCHMARK_SUMMARY.md"));
      assert.match(summary, /### KV Cache\n\n- \*\*Hit Rate:\*\* 80\.00% \(12 of 15 requests/);
      assert.match(summary, /kv_cache_results\.md/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
