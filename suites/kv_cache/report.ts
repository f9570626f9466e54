/**
 * `kv_cache_results.md` / `.json` and the KV Cache section of `BENCHMARK_SUMMARY.md`: the
 * original layout (Cache Performance, Detailed Cache Results, Smart Router Performance,
 * Detailed Router Results) with the server's own numbers, TTFT of hits vs misses, the
 * server's metric deltas, Jain's load balance, cache affinity and a Cold vs Warm section.
 * A server that reports no cache fields reads "not reported by server", never 0%.
 *
 * @module
 */

import type { SuiteResult, TestResult } from "../../measure/result.ts";
import type { Summary } from "../../measure/summary.ts";
import type { SuiteAnalysis } from "../../analysis/run.ts";
import type { SuiteReporter } from "../../report/reporter.ts";
import type { CacheStats, ColdWarmStats, KvCacheExtra, RouterStats } from "./result.ts";
import {
  coldWarmTtft,
  meanAndMedian,
  suiteHitShare,
  workerCounts,
  workerFairness,
} from "./analysis.ts";
import { barChart, cdfChart, type Chart } from "../../report/charts.ts";
import { fixed, mdCell, ms, NAMING_NOTE, pct } from "../../report/format.ts";
import {
  type Block,
  field,
  heading,
  list,
  note,
  para,
  reportTitle,
  table,
  type Text,
} from "../../report/doc.ts";
import { commonTestJson } from "../../report/json.ts";
import { outcomeLine } from "../../report/common.ts";
import { clientHealthItem } from "../../report/health.ts";
import { repeatBlocks } from "../../report/repeat.ts";

type KvSuite = SuiteResult<KvCacheExtra>;
type KvTest = TestResult<KvCacheExtra>;

/** What a report shows when the server gave no cache signal. */
export const NOT_REPORTED = "not reported by server";

/** Every field of `T` may also be null (absent from a test of another kind). */
type OrNull<T> = { [K in keyof T]: T[K] | null };

/**
 * The kv-cache fields of a test's `extra`, typed: the suite's own statistics types, with the
 * fields a test of another kind (or a result read back from JSON) lacks reading as null.
 */
export type KvExtra =
  & CacheStats
  & OrNull<RouterStats>
  & OrNull<ColdWarmStats>
  & {
    /** `cache`, `router` or `cold_warm`. */
    test_kind: string | null;
    /** Whether the cache was reset before the cold pass. */
    cache_reset: boolean | null;
  };

/** Read a test's kv-cache fields. */
export function kvExtra(t: KvTest): KvExtra {
  const e = t.extra;
  return {
    test_kind: e.test_kind ?? null,
    cache_reported: e.cache_reported ?? false,
    hit_rate_source: e.hit_rate_source ?? null,
    reported_requests: e.reported_requests ?? 0,
    hit_rate: e.hit_rate ?? null,
    cache_hits: e.cache_hits ?? null,
    cache_misses: e.cache_misses ?? null,
    total_prompt_tokens: e.total_prompt_tokens ?? null,
    cached_tokens_reused: e.cached_tokens_reused ?? null,
    token_reuse_rate: e.token_reuse_rate ?? null,
    avg_prefix_length: e.avg_prefix_length ?? null,
    ttft_hit_s: e.ttft_hit_s ?? null,
    ttft_miss_s: e.ttft_miss_s ?? null,
    latency_improvement: e.latency_improvement ?? null,
    latencies_with_cache: e.latencies_with_cache ?? [],
    latencies_without_cache: e.latencies_without_cache ?? [],
    server_metrics_delta: e.server_metrics_delta ?? null,
    worker_distribution: e.worker_distribution ?? null,
    worker_distribution_source: e.worker_distribution_source ?? null,
    load_balance_score: e.load_balance_score ?? null,
    cache_affinity: e.cache_affinity ?? null,
    workers_by_prefix: e.workers_by_prefix ?? null,
    cold_ttft_s: e.cold_ttft_s ?? null,
    warm_ttft_s: e.warm_ttft_s ?? null,
    cold_cached_tokens: e.cold_cached_tokens ?? null,
    warm_cached_tokens: e.warm_cached_tokens ?? null,
    ms_saved_per_1k_cached_tokens: e.ms_saved_per_1k_cached_tokens ?? null,
    fit_r2: e.fit_r2 ?? null,
    fit_n: e.fit_n ?? null,
    cache_reset: e.cache_reset ?? null,
  };
}

const meanOf = (xs: readonly number[]): number | null =>
  xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;

/** One test as a `kv_cache_results.json` object: original fields first, then the new ones. */
export function kvCacheTestJson(t: KvTest, a?: SuiteAnalysis): Record<string, unknown> {
  const k = kvExtra(t);
  const m = t.metrics;
  const out: Record<string, unknown> = {
    test_name: t.name,
    total_requests: m.total_requests,
    cache_hits: k.cache_hits,
    cache_misses: k.cache_misses,
    hit_rate: k.hit_rate,
    avg_latency_with_cache: meanOf(k.latencies_with_cache),
    avg_latency_without_cache: meanOf(k.latencies_without_cache),
    latency_improvement: k.latency_improvement,
    total_tokens_processed: k.total_prompt_tokens,
    cached_tokens_reused: k.cached_tokens_reused,
    token_reuse_rate: k.token_reuse_rate,
    avg_prefix_length: k.avg_prefix_length,
    latencies_with_cache: k.latencies_with_cache,
    latencies_without_cache: k.latencies_without_cache,
    total_time: m.window_s,
    requests_per_second: m.requests_per_second,
    successful_requests: m.successful_requests,
    failed_requests: m.failed_requests,
    test_kind: k.test_kind,
    cache_reported: k.cache_reported,
    hit_rate_source: k.hit_rate_source,
    ttft_hit_s: k.ttft_hit_s,
    ttft_miss_s: k.ttft_miss_s,
    server_metrics_delta: k.server_metrics_delta,
  };
  if (k.test_kind === "router") {
    const reported = k.cache_reported && k.cached_tokens_reused !== null;
    Object.assign(out, {
      worker_distribution: k.worker_distribution,
      avg_cache_overlap: reported && m.successful_requests > 0
        ? k.cached_tokens_reused! / m.successful_requests
        : null,
      load_balance_score: k.load_balance_score,
      worker_distribution_source: k.worker_distribution_source,
      cache_affinity: k.cache_affinity,
      workers_by_prefix: k.workers_by_prefix,
    });
  }
  if (k.test_kind === "cold_warm") {
    Object.assign(out, {
      cold_ttft_s: k.cold_ttft_s,
      warm_ttft_s: k.warm_ttft_s,
      cold_cached_tokens: k.cold_cached_tokens,
      warm_cached_tokens: k.warm_cached_tokens,
      ms_saved_per_1k_cached_tokens: k.ms_saved_per_1k_cached_tokens,
      fit_r2: k.fit_r2,
      fit_n: k.fit_n,
      cache_reset: k.cache_reset,
    });
  }
  return { ...out, ...commonTestJson(t, a) };
}

/** The suite's JSON document: an array of per-test objects. */
export function kvCacheJson(suite: KvSuite, a?: SuiteAnalysis): Record<string, unknown>[] {
  return suite.tests.map((t) => kvCacheTestJson(t, a));
}

/** A hit rate for display: the value, "0.00% (server reported 0 hits)", or not reported. */
export function hitRateText(k: KvExtra): string {
  if (!k.cache_reported || k.hit_rate === null) return NOT_REPORTED;
  if (k.cache_hits === 0) return `${pct(0)} (server reported 0 hits)`;
  return pct(k.hit_rate);
}

function reuseText(k: KvExtra): string {
  if (!k.cache_reported) return NOT_REPORTED;
  return k.token_reuse_rate === null ? "n/a" : pct(k.token_reuse_rate);
}

function improvementText(k: KvExtra): string {
  if (!k.cache_reported) return NOT_REPORTED;
  if (k.latency_improvement !== null) return pct(k.latency_improvement);
  if (k.cache_hits === 0) return "n/a (no hits)";
  if (k.cache_misses === 0) return "n/a (no misses)";
  return "n/a";
}

function prefixText(k: KvExtra): string {
  if (!k.cache_reported || k.avg_prefix_length === null) return NOT_REPORTED;
  return `${fixed(k.avg_prefix_length, 0)} tokens`;
}

const summaryText = (s: Summary | null) =>
  s ? `mean ${ms(s.mean)}, P50 ${ms(s.p50)}, P99 ${ms(s.p99)} (n=${s.count})` : "n/a";

function serverBlock(k: KvExtra): Block {
  const d = k.server_metrics_delta;
  if (!d) {
    return para(field("Server Metrics (/kv-cache/metrics)", "not offered by the server"));
  }
  const items = [
    `Hits / Misses: ${d.total_cache_hits} / ${d.total_cache_misses}` +
    ` (hit rate ${d.cache_hit_rate === null ? "n/a" : pct(d.cache_hit_rate)})`,
    `Tokens Processed / Cached Reused: ${d.total_tokens_processed} / ` +
    `${d.cached_tokens_reused} (reuse ${
      d.token_reuse_rate === null ? "n/a" : pct(d.token_reuse_rate)
    })`,
    `Avg Prefix Length: ${fixed(d.average_prefix_length, 0)} tokens`,
  ];
  if (k.hit_rate_source === "usage") {
    const agree = d.total_cache_hits === k.cache_hits &&
      d.cached_tokens_reused === k.cached_tokens_reused;
    items.push(
      `Agreement with the responses: ${
        agree ? "yes" : `no (responses: ${k.cache_hits} hits, ${k.cached_tokens_reused} tokens)`
      }`,
    );
  }
  return list(items, { strong: "Server Metrics (/kv-cache/metrics, after − before):" });
}

/** The items every test's detail starts with: its request count and failures. */
function detailHead(t: KvTest): Text[] {
  return [
    field("Total Requests", String(t.metrics.total_requests)),
    field("Failed", `${t.metrics.failed_requests} (${outcomeLine(t)})`),
    ...clientHealthItem(t),
  ];
}

function detailCache(t: KvTest): Block[] {
  const k = kvExtra(t);
  const m = t.metrics;
  const latency: string[] = [];
  if (k.hit_rate_source === "usage") {
    const e2eHit = meanOf(k.latencies_with_cache);
    const e2eMiss = meanOf(k.latencies_without_cache);
    latency.push(
      `TTFT With Cache (hits): ${summaryText(k.ttft_hit_s)}`,
      `TTFT Without Cache (misses): ${summaryText(k.ttft_miss_s)}`,
      `Improvement (mean TTFT): ${improvementText(k)}`,
      `End-to-end With Cache: ${e2eHit === null ? "n/a" : ms(e2eHit)}`,
      `End-to-end Without Cache: ${e2eMiss === null ? "n/a" : ms(e2eMiss)}`,
    );
  } else {
    latency.push(`Improvement: ${improvementText(k)}`);
  }
  latency.push(
    `TTFT (all requests): ${summaryText(m.ttft.count ? m.ttft : null)}`,
    `End-to-end (all requests): ${summaryText(m.latency.count ? m.latency : null)}`,
  );
  return [
    heading(4, t.name),
    list([
      ...detailHead(t),
      field("Cache Hits", k.cache_reported ? String(k.cache_hits) : NOT_REPORTED),
      field("Cache Misses", k.cache_reported ? String(k.cache_misses) : NOT_REPORTED),
      field("Hit Rate", hitRateText(k)),
    ]),
    list(latency, { strong: "Latency:" }),
    list(
      [
        `Total Processed (prompt tokens): ${
          k.total_prompt_tokens === null ? NOT_REPORTED : k.total_prompt_tokens
        }`,
        `Cached Reused: ${k.cached_tokens_reused === null ? NOT_REPORTED : k.cached_tokens_reused}`,
        `Reuse Rate: ${reuseText(k)}`,
        `Avg Prefix Length: ${prefixText(k)}`,
      ],
      { strong: "Tokens:" },
    ),
    serverBlock(k),
    ...t.notes.map((n) => note(n)),
  ];
}

function detailRouter(t: KvTest): Block[] {
  const k = kvExtra(t);
  const m = t.metrics;
  const out: Block[] = [
    heading(4, t.name),
    list([
      ...detailHead(t),
      field(
        "Load Balance Score",
        `${
          k.load_balance_score === null ? NOT_REPORTED : `${fixed(k.load_balance_score)}/100`
        } (Jain's fairness index × 100 over ${
          k.worker_distribution_source === "header"
            ? "the workers seen"
            : "all workers, idle included"
        }; 100 = even, 100/N = all on one of N)`,
      ),
      field(
        "Cache Affinity",
        `${
          k.cache_affinity === null ? NOT_REPORTED : pct(k.cache_affinity)
        } (share of each prefix's requests on its most-used worker)`,
      ),
      field("Hit Rate", hitRateText(k)),
      field("Requests/sec", fixed(m.requests_per_second)),
      field("TTFT", summaryText(m.ttft.count ? m.ttft : null)),
    ]),
  ];
  if (k.worker_distribution) {
    const total = Object.values(k.worker_distribution).reduce((a, b) => a + b, 0);
    out.push(
      list(
        Object.entries(k.worker_distribution).map(([w, c]) =>
          `${w}: ${c} (${pct(total ? (c / total) * 100 : 0, 1)})`
        ),
        [
          { strong: "Worker Distribution" },
          ` (${
            k.worker_distribution_source === "server_metrics"
              ? "server's per-worker counters"
              : "x-fakeai-worker headers"
          }):`,
        ],
      ),
    );
  } else {
    out.push(para(field("Worker Distribution", NOT_REPORTED)));
  }
  if (k.workers_by_prefix) {
    out.push(
      list(
        Object.entries(k.workers_by_prefix).map(([p, ws]) =>
          `${p}: ${Object.entries(ws).map(([w, c]) => `${w} ${c}`).join(", ")}`
        ),
        { strong: "Workers per Prefix:" },
      ),
    );
  }
  out.push(serverBlock(k), ...t.notes.map((n) => note(n)));
  return out;
}

function coldWarmSection(t: KvTest): Block[] {
  const k = kvExtra(t);
  const cold = (k.cold_ttft_s ?? []).filter((x): x is number => x !== null);
  const warm = (k.warm_ttft_s ?? []).filter((x): x is number => x !== null);
  const c = meanAndMedian(cold), w = meanAndMedian(warm);
  const cachedMean = (xs: (number | null)[] | null) => {
    if (!k.cache_reported || !xs) return NOT_REPORTED;
    const v = meanOf(xs.filter((x): x is number => x !== null));
    return v === null ? "n/a" : fixed(v, 0);
  };
  const saved = c.mean !== null && w.mean !== null ? c.mean - w.mean : null;
  const out: Block[] = [
    heading(3, t.name),
    para(
      `${k.cold_ttft_s?.length ?? 0} distinct long prompts sent cold, then the same prompts ` +
        "warm, one at a time. " +
        (k.cache_reset
          ? "The server's cache was reset (POST /kv-cache/reset) before the cold pass."
          : "The server offers no cache reset, so every prompt starts with a random salt."),
    ),
    table(
      ["Pass", "Requests", "TTFT Mean", "TTFT P50", "Cached Tokens (mean)"],
      [
        [
          "Cold",
          String(cold.length),
          c.mean === null ? "n/a" : ms(c.mean),
          ms(c.p50),
          cachedMean(k.cold_cached_tokens),
        ],
        [
          "Warm",
          String(warm.length),
          w.mean === null ? "n/a" : ms(w.mean),
          ms(w.p50),
          cachedMean(k.warm_cached_tokens),
        ],
      ],
    ),
    list([
      field("TTFT saved (cold − warm, mean)", saved === null ? "n/a" : ms(saved)),
      field(
        "ms saved per 1000 cached tokens",
        k.ms_saved_per_1k_cached_tokens === null
          ? (k.cache_reported ? "n/a (cached tokens never varied)" : NOT_REPORTED)
          : `${fixed(k.ms_saved_per_1k_cached_tokens)} ms (fitted slope of TTFT against cached ` +
            `tokens over ${k.fit_n} requests, r² ${fixed(k.fit_r2 ?? 0, 3)})`,
      ),
      field("Hit Rate", hitRateText(k)),
    ]),
  ];
  const pairs = Math.min(k.cold_ttft_s?.length ?? 0, k.warm_ttft_s?.length ?? 0);
  if (pairs > 0) {
    const cell = (
      x: number | null | undefined,
    ) => (x === null || x === undefined ? "failed" : ms(x));
    const tok = (x: number | null | undefined) => x === null || x === undefined ? "—" : String(x);
    out.push(
      table(
        ["Prompt", "Cold TTFT", "Warm TTFT", "Cold Cached", "Warm Cached"],
        Array.from({ length: pairs }, (_, i) => [
          String(i + 1),
          cell(k.cold_ttft_s![i]),
          cell(k.warm_ttft_s![i]),
          tok(k.cold_cached_tokens?.[i]),
          tok(k.warm_cached_tokens?.[i]),
        ]),
      ),
    );
  }
  out.push(serverBlock(k), ...t.notes.map((n) => note(n)));
  return out;
}

/** `kv_cache_results.md` as blocks. */
export function kvCacheDoc(
  suite: KvSuite,
  a: SuiteAnalysis,
  now: Date = new Date(),
): Block[] {
  const out: Block[] = reportTitle("KV Cache Benchmark Results", suite, now);
  out.push(
    para([
      "Hits and cached tokens are the server's own: ",
      { code: "usage.prompt_tokens_details.cached_tokens" },
      " per response (hit = cached tokens > 0) and the deltas of ",
      { code: "GET /kv-cache/metrics" },
      " taken before and after each test. Requests stream, one at a time; latency improvement " +
      "compares the mean TTFT of misses with that of hits. Token reuse = Σ cached ÷ Σ prompt " +
      "tokens.",
    ]),
    para({ em: NAMING_NOTE }),
  );
  const cacheTests = suite.tests.filter((t) => kvExtra(t).test_kind !== "router");
  const routerTests = suite.tests.filter((t) => kvExtra(t).test_kind === "router");
  const coldWarm = suite.tests.filter((t) => kvExtra(t).test_kind === "cold_warm");
  if (cacheTests.length) {
    out.push(
      heading(2, "Cache Performance"),
      table(
        [
          "Test",
          "Hit Rate",
          "Latency Improvement",
          "Token Reuse Rate",
          "Avg Prefix",
          "TTFT Hit P50",
          "TTFT Miss P50",
        ],
        cacheTests.map((t) => {
          const k = kvExtra(t);
          return [
            t.name,
            hitRateText(k),
            improvementText(k),
            reuseText(k),
            prefixText(k),
            k.ttft_hit_s ? ms(k.ttft_hit_s.p50) : "—",
            k.ttft_miss_s ? ms(k.ttft_miss_s.p50) : "—",
          ];
        }),
      ),
      heading(3, "Detailed Cache Results"),
    );
    for (const t of cacheTests) {
      if (kvExtra(t).test_kind !== "cold_warm") out.push(...detailCache(t));
    }
  }
  if (routerTests.length) {
    out.push(
      heading(2, "Smart Router Performance"),
      table(
        ["Test", "Requests", "RPS", "Load Balance Score", "Cache Affinity", "Hit Rate"],
        routerTests.map((t) => {
          const k = kvExtra(t);
          return [
            t.name,
            String(t.metrics.total_requests),
            fixed(t.metrics.requests_per_second),
            k.load_balance_score === null ? NOT_REPORTED : `${fixed(k.load_balance_score)}/100`,
            k.cache_affinity === null ? NOT_REPORTED : pct(k.cache_affinity),
            hitRateText(k),
          ];
        }),
      ),
      para(
        "Load Balance Score = Jain's fairness index of requests per worker × 100 (100 = even; " +
          "25 = everything on one of four workers). Cache Affinity = share of each prefix's " +
          "requests on its most-used worker.",
      ),
      heading(3, "Detailed Router Results"),
    );
    for (const t of routerTests) out.push(...detailRouter(t));
  }
  if (coldWarm.length) {
    out.push(heading(2, "Cold vs Warm"));
    for (const t of coldWarm) out.push(...coldWarmSection(t));
  }
  out.push(...repeatBlocks(a.repeat));
  return out;
}

/** The KV Cache section of `BENCHMARK_SUMMARY.md`: request-weighted over every test. */
export function kvCacheSummary(suite: KvSuite): string {
  const tests = suite.tests;
  if (tests.length === 0) return "No test completed.";
  let hits = 0, lookups = 0, cached = 0, prompt = 0;
  let hitN = 0, hitSum = 0, missN = 0, missSum = 0;
  let reported = 0;
  for (const t of tests) {
    const k = kvExtra(t);
    if (!k.cache_reported || k.cache_hits === null || k.cache_misses === null) continue;
    reported++;
    hits += k.cache_hits;
    lookups += k.cache_hits + k.cache_misses;
    if (k.total_prompt_tokens !== null && k.cached_tokens_reused !== null) {
      cached += k.cached_tokens_reused;
      prompt += k.total_prompt_tokens;
    }
    if (k.ttft_hit_s) {
      hitN += k.ttft_hit_s.count;
      hitSum += k.ttft_hit_s.mean * k.ttft_hit_s.count;
    }
    if (k.ttft_miss_s) {
      missN += k.ttft_miss_s.count;
      missSum += k.ttft_miss_s.mean * k.ttft_miss_s.count;
    }
  }
  const lines: string[] = [];
  if (reported === 0) {
    lines.push(
      `- **Hit Rate:** ${NOT_REPORTED}`,
      `- **Token Reuse Rate:** ${NOT_REPORTED}`,
      `- **Latency Improvement:** ${NOT_REPORTED}`,
    );
  } else {
    const scope = `request-weighted over ${reported} test${reported === 1 ? "" : "s"}`;
    lines.push(
      `- **Hit Rate:** ${
        hits === 0 ? `${pct(0)} (server reported 0 hits)` : pct((hits / lookups) * 100)
      } (${hits} of ${lookups} requests; ${scope})`,
      `- **Token Reuse Rate:** ${prompt > 0 ? pct((cached / prompt) * 100) : "n/a"} (${cached} ` +
        `of ${prompt} prompt tokens cached)`,
    );
    if (hitN > 0 && missN > 0) {
      const h = hitSum / hitN, m = missSum / missN;
      lines.push(
        `- **Latency Improvement:** ${pct(m > 0 ? ((m - h) / m) * 100 : 0)} (mean TTFT ` +
          `${ms(h)} on hits vs ${ms(m)} on misses)`,
      );
    } else {
      lines.push(`- **Latency Improvement:** n/a (${hitN === 0 ? "no hits" : "no misses"})`);
    }
  }
  for (const t of tests) {
    const k = kvExtra(t);
    if (k.test_kind === "router") {
      lines.push(
        `- **Router Load Balance:** ${
          k.load_balance_score === null ? NOT_REPORTED : `${fixed(k.load_balance_score)}/100`
        } (Jain), **Cache Affinity:** ${
          k.cache_affinity === null ? NOT_REPORTED : pct(k.cache_affinity)
        } (${mdCell(t.name)})`,
      );
    }
    if (k.test_kind === "cold_warm") {
      lines.push(
        `- **TTFT Saved per 1000 Cached Tokens:** ${
          k.ms_saved_per_1k_cached_tokens === null
            ? (k.cache_reported ? "n/a" : NOT_REPORTED)
            : `${fixed(k.ms_saved_per_1k_cached_tokens)} ms`
        } (${mdCell(t.name)})`,
      );
    }
  }
  lines.push(`- **Total Requests:** ${tests.reduce((a, t) => a + t.metrics.total_requests, 0)}`);
  return lines.join("\n");
}

/** The Cold vs Warm and worker-distribution charts of a test. */
function kvCharts(t: KvTest, file: (base: string) => string, slug: string): Chart[] {
  const charts: Chart[] = [];
  const cw = coldWarmTtft(t);
  if (cw) {
    const title = `Cache TTFT, cold vs warm: ${t.name}`;
    charts.push({
      file: file(`cache-ttft-${slug}`),
      title,
      kind: "cache",
      svg: cdfChart(
        title,
        `${cw.cold.length} cold, ${cw.warm.length} warm requests · median TTFT ${
          cw.savedPct >= 0 ? "saved" : "added"
        } ${Math.abs(cw.savedPct).toFixed(1)}%`,
        [{ label: "cold", sorted: cw.cold }, { label: "warm", sorted: cw.warm }],
        "time to first token (ms)",
      ),
    });
  }
  const workers = workerCounts(t);
  if (workers.length > 0) {
    const title = `Worker distribution: ${t.name}`;
    const total = workers.reduce((s, [, c]) => s + c, 0);
    charts.push({
      file: file(`workers-${slug}`),
      title,
      kind: "workers",
      svg: barChart(
        title,
        `${total} requests over ${workers.length} workers · Jain's fairness index ${
          workerFairness(t)!.toFixed(3)
        }`,
        workers.map(([label, value]) => ({ label, value })),
        "requests",
      ),
    });
  }
  return charts;
}

/** The kv-cache suite's reports. */
export const KV_CACHE_REPORTER: SuiteReporter<KvCacheExtra> = {
  file: "kv_cache_results",
  title: "KV Cache",
  doc: (s, _run, a, now) => kvCacheDoc(s, a, now),
  json: (s, _run, a) => kvCacheJson(s, a),
  summary: (s) => kvCacheSummary(s),
  recommendations(suite) {
    const h = suiteHitShare(suite);
    return h && h.share < 0.5
      ? [
        `- ⚠️ Cache hit rate is ${(h.share * 100).toFixed(1)}% over ${h.known} ` +
        `requests; check that the server's prefix cache is on and that its block size ` +
        `fits the shared prefixes.`,
      ]
      : [];
  },
  consoleRows(t) {
    const rows: [string, string][] = [];
    const e = t.extra;
    if (typeof e.cache_reported === "boolean") {
      rows.push([
        "Cache hit rate / token reuse",
        e.cache_reported
          ? `${e.hit_rate == null ? "n/a" : pct(e.hit_rate)} / ` +
            `${e.token_reuse_rate == null ? "n/a" : pct(e.token_reuse_rate)}`
          : "not reported by server",
      ]);
    }
    if (typeof e.load_balance_score === "number") {
      rows.push(["Load balance (Jain)", `${fixed(e.load_balance_score)}/100`]);
    }
    return rows;
  },
  testCharts: kvCharts,
};
