/**
 * KV-cache suite: does the server's prefix cache hit, how much prompt does it reuse, how much
 * TTFT does it save, and does its router spread load while keeping cache affinity.
 *
 * Every number comes from the server: hits and cached tokens from
 * `usage.prompt_tokens_details.cached_tokens` (hit = cached tokens > 0), and, where offered,
 * the deltas of `GET /kv-cache/metrics` taken around each test; worker ids from the
 * `x-fakeai-worker` header and the server's per-worker counters. Requests stream, so TTFT
 * shows the cache's effect, and run one at a time. System prompts are long (≥ 256 tokens),
 * deterministic for a seed, and open with an id unique to the seed, test and prefix, so no
 * test's prompts share a block with another's, with warm-up prompts or with other suites'.
 *
 * @module
 */

import { ChatClient, type ChatMessage } from "../../net/client.ts";
import {
  fetchKvMetrics,
  type KvMetricsDelta,
  kvMetricsDelta,
  type KvSnapshot,
  resetKvCache,
  workerOrder,
} from "../../probes/kv_metrics.ts";
import type { RequestRecord } from "../../measure/record.ts";
import type {
  CacheStats,
  ColdWarmStats,
  KvCacheExtra,
  KvCacheTestResult,
  RouterStats,
} from "./result.ts";

export type { CacheStats, ColdWarmStats, KvCacheExtra, KvCacheTestResult, RouterStats };
import {
  clientOptions,
  DEFAULT_MAX_CONSECUTIVE_TIMEOUTS,
  type SuiteContext,
  WedgeGuard,
} from "../../runner/runner.ts";
import { type Payload, resolveModel, warmupBody } from "../../workload/payload.ts";
import { summarize } from "../../measure/summary.ts";
import { RecordAggregator } from "../../measure/aggregate.ts";
import { jainIndex, linearFit } from "../../measure/fit.ts";
import type { Suite, TestDef } from "../suite.ts";
import type { ScenarioTest } from "../../plan/scenario.ts";
import { runScenarioTest } from "../scenario.ts";
import { fnv1a, Prng } from "../../util/prng.ts";
import { type HealthProbe, startHealthProbe, withStampError } from "../../load/health.ts";
import type { CanaryWindow, StampError } from "../../load/canary.ts";

/** The model the original suite asked for. */
export const KV_MODEL = "openai/gpt-oss-120b";

/** Sizes of the suite's tests; the defaults are the original's counts. */
export interface KvCacheOptions {
  /** Cache Hit Rate Test iterations over 3 prefixes × 4 suffixes (original: 5). */
  iterations: number;
  /** Smart Router Test requests over 3 prefixes (original: 100). */
  routerRequests: number;
  /** Cold vs Warm Test: distinct long prompts, each sent cold then warm. */
  coldWarmPrompts: number;
  /** `max_tokens` of every request (original: 100). */
  maxTokens: number;
  /** Words of generated text in each system prefix (≥ 256 tokens with the opening). */
  prefixWords: number;
  /** Words of generated text in each Cold vs Warm prompt. */
  coldWarmWords: number;
}

/** The original's counts; Cold vs Warm uses 10 prompts of about 1000 tokens. */
export const DEFAULT_KV_OPTIONS: Readonly<KvCacheOptions> = {
  iterations: 5,
  routerRequests: 100,
  coldWarmPrompts: 10,
  maxTokens: 100,
  prefixWords: 300,
  coldWarmWords: 1000,
};

/** Cache Hit Rate Test system prefixes (the original's openings). */
export const HIT_RATE_PREFIXES = [
  "You are a helpful AI assistant specialized in Python programming.",
  "You are an expert in data science and machine learning.",
  "You are a creative writer helping with story development.",
] as const;

/** Cache Hit Rate Test user suffixes. */
export const HIT_RATE_SUFFIXES = [
  "Tell me about lists.",
  "Explain dictionaries.",
  "What are generators?",
  "How do decorators work?",
] as const;

/** Prefix Sharing Test system prompts (the original's openings). */
export const SHARING_SYSTEMS = [
  "You are a helpful AI assistant. Be concise and accurate.",
  "You are an expert programmer. Provide code examples when relevant.",
  "You are a friendly chatbot. Be conversational and engaging.",
] as const;

/** Prefix Sharing Test user queries. */
export const SHARING_QUERIES = [
  "What is Python?",
  "Explain async programming",
  "Write a hello world program",
  "What are design patterns?",
  "How do I use decorators?",
] as const;

/** Smart Router Test system prefixes (the original's openings). */
export const ROUTER_PREFIXES = [
  "You are a helpful assistant.",
  "You are an expert programmer.",
  "You are a creative writer.",
] as const;

const WORDS = (
  "the a system request cache token prefix model server worker router block memory " +
  "latency answer question document section paragraph reference context example detail " +
  "result value number table record field schema query index batch stream channel queue " +
  "signal window buffer layer kernel tensor vector matrix weight gradient epoch sample " +
  "dataset feature label metric score report chart summary review policy rule guide note " +
  "always never often carefully quickly clearly briefly exactly simply gently directly " +
  "explain describe compare measure verify compute return collect estimate reduce extend " +
  "check update store share reuse route balance observe record keep follow write read " +
  "large small early late simple complex stable fast slow new old first last every each " +
  "other useful careful precise honest shared local remote public private distinct common " +
  "with from into over under about between through before after during within without"
).split(" ");

/**
 * Deterministic filler text of `words` words in sentences, the same for the same seed and tag.
 */
export function longText(seed: number, tag: string, words: number): string {
  const prng = new Prng(fnv1a(`${seed}\u0000${tag}`));
  const out: string[] = [];
  let left = words;
  while (left > 0) {
    const len = Math.min(left, 8 + prng.int(8));
    const sentence: string[] = [];
    for (let i = 0; i < len; i++) sentence.push(WORDS[prng.int(WORDS.length)]);
    sentence[0] = sentence[0][0].toUpperCase() + sentence[0].slice(1);
    out.push(sentence.join(" ") + ".");
    left -= len;
  }
  return out.join(" ");
}

/**
 * A long system prompt: an id unique to (seed, tag) first, so no other prompt shares even its
 * first block, then the original's opening sentence, then `words` words of filler.
 */
export function longSystemPrompt(
  seed: number,
  tag: string,
  opening: string,
  words: number,
): string {
  const id = fnv1a(`${seed}|${tag}`).toString(16).padStart(8, "0");
  return `${id} ${opening} ${longText(seed, tag, words)}`;
}

/** One counted request of a cache test and the prefix group it belongs to. */
export interface CacheSample {
  /** Index of the prefix (or prompt) the request used. */
  group: number;
  /** What the request measured. */
  rec: RequestRecord;
}

/**
 * Cache statistics from the requests of a test and the server's metric deltas. Only
 * successful requests count; a request without `cached_tokens` is neither hit nor miss.
 * When no response carried `cached_tokens` but the server's metrics moved, the counts come
 * from the metrics (no per-request TTFT split then).
 */
export function cacheStats(
  recs: readonly RequestRecord[],
  delta: KvMetricsDelta | null,
): CacheStats {
  const reported = recs.filter((r) => r.outcome === "ok" && r.cachedTokens !== null);
  const stats: CacheStats = {
    cache_reported: false,
    hit_rate_source: null,
    reported_requests: reported.length,
    cache_hits: null,
    cache_misses: null,
    hit_rate: null,
    total_prompt_tokens: null,
    cached_tokens_reused: null,
    token_reuse_rate: null,
    avg_prefix_length: null,
    ttft_hit_s: null,
    ttft_miss_s: null,
    latency_improvement: null,
    latencies_with_cache: [],
    latencies_without_cache: [],
    server_metrics_delta: delta,
  };
  if (reported.length > 0) {
    const hits = reported.filter((r) => (r.cachedTokens ?? 0) > 0);
    const misses = reported.filter((r) => (r.cachedTokens ?? 0) === 0);
    let cached = 0, prompt = 0, cachedWithPrompt = 0;
    for (const r of reported) {
      cached += r.cachedTokens ?? 0;
      if (r.inputTokens !== null) {
        prompt += r.inputTokens;
        cachedWithPrompt += r.cachedTokens ?? 0;
      }
    }
    const ttft = (rs: RequestRecord[]) => {
      const xs = rs.flatMap((r) => (r.ttft === null ? [] : [r.ttft]));
      return xs.length ? summarize(xs) : null;
    };
    stats.cache_reported = true;
    stats.hit_rate_source = "usage";
    stats.cache_hits = hits.length;
    stats.cache_misses = misses.length;
    stats.hit_rate = (hits.length / reported.length) * 100;
    stats.total_prompt_tokens = prompt;
    stats.cached_tokens_reused = cached;
    stats.token_reuse_rate = prompt > 0 ? (cachedWithPrompt / prompt) * 100 : null;
    stats.avg_prefix_length = hits.length ? cached / hits.length : 0;
    stats.ttft_hit_s = ttft(hits);
    stats.ttft_miss_s = ttft(misses);
    if (stats.ttft_hit_s && stats.ttft_miss_s && stats.ttft_miss_s.mean > 0) {
      stats.latency_improvement = ((stats.ttft_miss_s.mean - stats.ttft_hit_s.mean) /
        stats.ttft_miss_s.mean) * 100;
    }
    stats.latencies_with_cache = hits.map((r) => r.e2e);
    stats.latencies_without_cache = misses.map((r) => r.e2e);
  } else if (delta && delta.total_cache_hits + delta.total_cache_misses > 0) {
    stats.cache_reported = true;
    stats.hit_rate_source = "server_metrics";
    stats.cache_hits = delta.total_cache_hits;
    stats.cache_misses = delta.total_cache_misses;
    stats.hit_rate = delta.cache_hit_rate;
    stats.total_prompt_tokens = delta.total_tokens_processed;
    stats.cached_tokens_reused = delta.cached_tokens_reused;
    stats.token_reuse_rate = delta.token_reuse_rate;
    stats.avg_prefix_length = delta.average_prefix_length;
  }
  return stats;
}

/** Load balance score: Jain's fairness index over every worker (idle ones included) × 100. */
export function loadBalanceScore(counts: readonly number[]): number {
  return jainIndex(counts) * 100;
}

/**
 * Worker distribution (from the server's per-worker counters, else from the worker header),
 * load balance and cache affinity of a test.
 */
export function routerStats(
  samples: readonly CacheSample[],
  delta: KvMetricsDelta | null,
): RouterStats {
  const byPrefix = new Map<number, Map<string, number>>();
  const seen = new Map<string, number>();
  for (const { group, rec } of samples) {
    if (rec.worker === null) continue;
    seen.set(rec.worker, (seen.get(rec.worker) ?? 0) + 1);
    const m = byPrefix.get(group) ?? new Map<string, number>();
    m.set(rec.worker, (m.get(rec.worker) ?? 0) + 1);
    byPrefix.set(group, m);
  }
  let distribution: Record<string, number> | null = null;
  let source: RouterStats["worker_distribution_source"] = null;
  if (delta?.workers && Object.keys(delta.workers).length > 0) {
    distribution = {};
    for (const [name, w] of Object.entries(delta.workers)) distribution[name] = w.total_requests;
    source = "server_metrics";
  } else if (seen.size > 0) {
    distribution = {};
    for (const name of [...seen.keys()].sort(workerOrder)) distribution[name] = seen.get(name)!;
    source = "header";
  }
  let affinity: number | null = null;
  let perPrefix: RouterStats["workers_by_prefix"] = null;
  if (byPrefix.size > 0) {
    let top = 0, total = 0;
    perPrefix = {};
    for (const [group, m] of [...byPrefix.entries()].sort((a, b) => a[0] - b[0])) {
      const counts = [...m.values()];
      top += Math.max(...counts);
      total += counts.reduce((a, b) => a + b, 0);
      perPrefix[`prefix-${group}`] = Object.fromEntries(
        [...m.entries()].sort((a, b) => workerOrder(a[0], b[0])),
      );
    }
    affinity = total > 0 ? (top / total) * 100 : null;
  }
  return {
    worker_distribution: distribution,
    worker_distribution_source: source,
    load_balance_score: distribution ? loadBalanceScore(Object.values(distribution)) : null,
    cache_affinity: affinity,
    workers_by_prefix: perPrefix,
  };
}

/**
 * Cold vs Warm statistics. The saving per 1000 cached tokens is the slope of an ordinary
 * least-squares fit of TTFT against cached tokens over every request of the experiment
 * that reported both; it is null when cached tokens are not reported or never vary.
 */
export function coldWarmStats(
  cold: readonly RequestRecord[],
  warm: readonly RequestRecord[],
): ColdWarmStats {
  const ttftOf = (r: RequestRecord) => (r.outcome === "ok" ? r.ttft : null);
  const cachedOf = (r: RequestRecord) => (r.outcome === "ok" ? r.cachedTokens : null);
  const xs: number[] = [], ys: number[] = [];
  for (const r of [...cold, ...warm]) {
    if (r.outcome === "ok" && r.ttft !== null && r.cachedTokens !== null) {
      xs.push(r.cachedTokens);
      ys.push(r.ttft);
    }
  }
  const variesX = xs.some((x) => x !== xs[0]);
  const fit = variesX ? linearFit(xs, ys) : null;
  return {
    cold_ttft_s: cold.map(ttftOf),
    warm_ttft_s: warm.map(ttftOf),
    cold_cached_tokens: cold.map(cachedOf),
    warm_cached_tokens: warm.map(cachedOf),
    ms_saved_per_1k_cached_tokens: fit ? -fit.slope * 1e6 : null,
    fit_r2: fit ? fit.r2 : null,
    fit_n: xs.length,
  };
}

interface Item {
  group: number;
  messages: ChatMessage[];
}

interface SequentialSpec {
  name: string;
  /** The test's requests; `resetOk` says whether the server's cache was reset first. */
  items: (resetOk: boolean) => Item[];
  /** Reset the server's cache before the counted requests (when it supports it). */
  reset?: boolean;
}

interface SequentialRun {
  samples: CacheSample[];
  result: KvCacheTestResult;
  resetOk: boolean;
  delta: KvMetricsDelta | null;
}

function payloadOf(o: KvCacheOptions): Payload {
  return {
    label: "long-prefix",
    model: KV_MODEL,
    messages: [],
    max_tokens: o.maxTokens,
    stream: true,
  };
}

/**
 * Run a test's requests one at a time after an uncounted warm-up, reading the server's
 * metrics before the first and after the last counted request.
 */
async function runSequential(
  ctx: SuiteContext,
  o: KvCacheOptions,
  spec: SequentialSpec,
): Promise<SequentialRun> {
  const payload = payloadOf(o);
  const { model, substitutedFor } = resolveModel(ctx.target, payload.model);
  const client = new ChatClient({ ...clientOptions(ctx), poolSize: 1 });
  const agg = new RecordAggregator();
  const samples: CacheSample[] = [];
  let interrupted = false;
  let resetOk = false;
  let stoppedEarly: string | null = null;
  let before: KvSnapshot | null = null, after: KvSnapshot | null = null;
  let items: Item[] = [];
  // The client's health over the counted requests, as every other test records it.
  let health: HealthProbe | null = null;
  let stamps: CanaryWindow | null = null;
  let stampError: StampError | null = null;
  try {
    for (let i = 0; i < ctx.warmup && !ctx.stop.aborted; i++) {
      await client.chat(warmupBody(payload, model, i, ctx.seed), { signal: ctx.abort });
    }
    if (spec.reset) resetOk = await resetKvCache(ctx.client.baseUrl, ctx.client.apiKey);
    items = spec.items(resetOk);
    before = await fetchKvMetrics(ctx.client.baseUrl, ctx.client.apiKey);
    health = startHealthProbe();
    stamps = ctx.canary?.window() ?? null;
    const progress = ctx.progress(spec.name, items.length);
    const wedge = new WedgeGuard(ctx.maxConsecutiveTimeouts ?? DEFAULT_MAX_CONSECUTIVE_TIMEOUTS);
    try {
      for (const [i, item] of items.entries()) {
        if (ctx.stop.aborted) {
          interrupted = true;
          break;
        }
        const rec = await client.chat({
          model,
          messages: item.messages,
          max_tokens: o.maxTokens,
          stream: true,
        }, { signal: ctx.abort });
        agg.add(rec);
        samples.push({ group: item.group, rec });
        progress.update(i + 1);
        if (wedge.add(rec)) {
          stoppedEarly = wedge.why(performance.now() / 1000);
          break;
        }
      }
    } finally {
      progress.finish();
    }
    if (before) after = await fetchKvMetrics(ctx.client.baseUrl, ctx.client.apiKey);
  } finally {
    client.close();
    stampError = stamps?.stop() ?? null;
  }
  const delta = before && after ? kvMetricsDelta(before, after) : null;
  const notes: string[] = [];
  if (substitutedFor) notes.push(`model ${substitutedFor} not served; used ${model}`);
  if (stoppedEarly) notes.push(stoppedEarly);
  const result: KvCacheTestResult = {
    suite: "kv-cache",
    name: spec.name,
    payload: payload.label,
    streaming: true,
    model,
    model_substituted_for: substitutedFor,
    max_tokens: o.maxTokens,
    load: { kind: "sequential", requests: items.length, warmup: ctx.warmup },
    metrics: agg.metrics(),
    interrupted: interrupted || ctx.stop.aborted,
    notes,
    extra: {
      ...(health ? { client_health: withStampError(health.stop(), stampError) } : {}),
      ...(stoppedEarly ? { stopped_early: stoppedEarly } : {}),
    },
  };
  return { samples, result, resetOk, delta };
}

/** Put the cache statistics into a result's `extra` and add the notes they call for. */
function applyCacheStats(run: SequentialRun, kind: string): CacheStats {
  const { result, samples, delta } = run;
  const stats = cacheStats(samples.map((s) => s.rec), delta);
  result.extra.test_kind = kind;
  Object.assign(result.extra, stats);
  const failed = result.metrics.failed_requests;
  if (failed > 0) {
    result.notes.push(`${failed} request(s) failed; they count neither as hit nor as miss`);
  }
  if (!stats.cache_reported) {
    result.notes.push(
      "cache not reported by server: no usage.prompt_tokens_details.cached_tokens and no " +
        "/kv-cache/metrics counters; latencies are still measured",
    );
  } else if (stats.hit_rate_source === "server_metrics") {
    result.notes.push(
      "responses carry no cached_tokens; hits and tokens come from /kv-cache/metrics deltas",
    );
  }
  if (delta === null) {
    result.notes.push("server offers no /kv-cache/metrics: no server-side deltas");
  } else if (stats.hit_rate_source === "usage") {
    const okServer = delta.total_cache_hits === stats.cache_hits &&
      delta.cached_tokens_reused === stats.cached_tokens_reused;
    if (!okServer) {
      result.notes.push(
        `server metrics differ from the responses: server ${delta.total_cache_hits} hits / ` +
          `${delta.cached_tokens_reused} cached tokens, responses ${stats.cache_hits} hits / ` +
          `${stats.cached_tokens_reused} cached tokens (other traffic during the test?)`,
      );
    }
  }
  // A prefix's first request can only hit if the server cached it before the test.
  const firstOf = new Map<number, RequestRecord>();
  for (const s of samples) if (!firstOf.has(s.group)) firstOf.set(s.group, s.rec);
  const preHits = [...firstOf.values()].filter((r) => (r.cachedTokens ?? 0) > 0).length;
  if (preHits > 0 && kind !== "cold_warm") {
    result.notes.push(
      `${preHits} prefix(es) hit on their first request: the server had them cached before ` +
        "the test (an earlier run with the same --seed?)",
    );
  }
  return stats;
}

/** Cache Hit Rate Test: 3 prefixes × 4 suffixes × `iterations`, iteration → prefix → suffix. */
export function cacheHitRateTest(o: KvCacheOptions): TestDef<KvCacheExtra> {
  const name = "Cache Hit Rate Test";
  return {
    name,
    run: async (ctx) => {
      const systems = HIT_RATE_PREFIXES.map((p, k) =>
        longSystemPrompt(ctx.seed, `hit-rate-${k}`, p, o.prefixWords)
      );
      const run = await runSequential(ctx, o, {
        name,
        items: () => {
          const items: Item[] = [];
          for (let it = 0; it < o.iterations; it++) {
            systems.forEach((system, k) => {
              for (const suffix of HIT_RATE_SUFFIXES) {
                const user = it === 0 ? suffix : `${suffix} (iteration ${it})`;
                items.push({
                  group: k,
                  messages: [{ role: "system", content: system }, { role: "user", content: user }],
                });
              }
            });
          }
          return items;
        },
      });
      applyCacheStats(run, "cache");
      run.result.extra.prefixes = HIT_RATE_PREFIXES.length;
      run.result.extra.suffixes = HIT_RATE_SUFFIXES.length;
      run.result.extra.iterations = o.iterations;
      return run.result;
    },
  };
}

/** Prefix Sharing Test: 3 system prompts × 5 queries. */
export function prefixSharingTest(o: KvCacheOptions): TestDef<KvCacheExtra> {
  const name = "Prefix Sharing Test";
  return {
    name,
    run: async (ctx) => {
      const run = await runSequential(ctx, o, {
        name,
        items: () =>
          SHARING_SYSTEMS.flatMap((p, k) => {
            const system = longSystemPrompt(ctx.seed, `sharing-${k}`, p, o.prefixWords);
            return SHARING_QUERIES.map((q) => ({
              group: k,
              messages: [{ role: "system", content: system }, { role: "user", content: q }],
            }));
          }),
      });
      applyCacheStats(run, "cache");
      run.result.extra.prefixes = SHARING_SYSTEMS.length;
      run.result.extra.queries = SHARING_QUERIES.length;
      return run.result;
    },
  };
}

/** Smart Router Test: `routerRequests` requests, request i on prefix i mod 3. */
export function smartRouterTest(o: KvCacheOptions): TestDef<KvCacheExtra> {
  const name = "Smart Router Test";
  return {
    name,
    run: async (ctx) => {
      const systems = ROUTER_PREFIXES.map((p, k) =>
        longSystemPrompt(ctx.seed, `router-${k}`, p, o.prefixWords)
      );
      const run = await runSequential(ctx, o, {
        name,
        items: () =>
          Array.from({ length: o.routerRequests }, (_, i) => ({
            group: i % systems.length,
            messages: [
              { role: "system", content: systems[i % systems.length] },
              { role: "user", content: `Request ${i}` },
            ],
          })),
      });
      applyCacheStats(run, "router");
      const r = routerStats(run.samples, run.delta);
      Object.assign(run.result.extra, r);
      if (r.worker_distribution_source === "header") {
        run.result.notes.push(
          "worker distribution from x-fakeai-worker headers: idle workers are unknown, so the " +
            "load balance counts only the workers seen",
        );
      } else if (r.worker_distribution === null) {
        run.result.notes.push("worker distribution not reported by server");
      }
      run.result.extra.prefixes = ROUTER_PREFIXES.length;
      return run.result;
    },
  };
}

/**
 * Cold vs Warm Test: `coldWarmPrompts` distinct long prompts sent cold, then the same prompts
 * warm. The cache is reset first when the server supports it; otherwise every prompt starts
 * with a random salt so the cold pass cannot hit anything cached before.
 */
export function coldWarmTest(o: KvCacheOptions): TestDef<KvCacheExtra> {
  const name = "Cold vs Warm Test";
  return {
    name,
    run: async (ctx) => {
      const n = o.coldWarmPrompts;
      const run = await runSequential(ctx, o, {
        name,
        reset: true,
        items: (resetOk) => {
          const prompts = Array.from({ length: n }, (_, k) => {
            const doc = longSystemPrompt(
              ctx.seed,
              `cold-warm-${k}`,
              "You are a careful reader of long documents.",
              o.coldWarmWords,
            );
            return resetOk ? doc : `${crypto.randomUUID()} ${doc}`;
          });
          const pass = prompts.map((content, k) => ({
            group: k,
            messages: [
              { role: "system", content },
              { role: "user", content: "Summarize the document above." },
            ],
          }));
          return [...pass, ...pass];
        },
      });
      applyCacheStats(run, "cold_warm");
      const recs = run.samples.map((s) => s.rec);
      const cw = coldWarmStats(recs.slice(0, n), recs.slice(n));
      Object.assign(run.result.extra, cw);
      run.result.extra.prompts = n;
      run.result.extra.cache_reset = run.resetOk;
      run.result.extra.cold_salted = !run.resetOk;
      if (!run.resetOk) {
        run.result.notes.push("no cache reset endpoint: cold prompts start with a random salt");
      }
      return run.result;
    },
  };
}

/** The tests for a mode: quick runs Prefix Sharing only. */
export function kvCacheTests(
  quick: boolean,
  o: KvCacheOptions = DEFAULT_KV_OPTIONS,
): TestDef<KvCacheExtra>[] {
  if (quick) return [prefixSharingTest(o)];
  return [cacheHitRateTest(o), prefixSharingTest(o), smartRouterTest(o), coldWarmTest(o)];
}

/**
 * A scenario's kv-cache test: its own load, with the server's metrics read around it and the
 * suite's cache statistics. No warm-up unless the file asks, so the deltas are the test's own.
 */
export function scenarioKvTest(t: ScenarioTest): TestDef<KvCacheExtra> {
  return {
    name: t.name,
    run: async (ctx) => {
      const before = await fetchKvMetrics(ctx.client.baseUrl, ctx.client.apiKey);
      const samples: CacheSample[] = [];
      const result = await runScenarioTest(ctx, t, (rec) => samples.push({ group: 0, rec }), 0);
      const after = before ? await fetchKvMetrics(ctx.client.baseUrl, ctx.client.apiKey) : null;
      const delta = before && after ? kvMetricsDelta(before, after) : null;
      applyCacheStats({ samples, result, resetOk: false, delta }, "cache");
      return result;
    },
  };
}

/** A kv-cache suite with the given sizes (tests use small ones). */
export function makeKvCacheSuite(o: KvCacheOptions = DEFAULT_KV_OPTIONS): Suite<KvCacheExtra> {
  return {
    name: "kv-cache",
    title: "KV CACHE BENCHMARKS",
    // One stream of requests against one cache: splitting it over shards would change what
    // the cache sees, so it runs whole on shard 0.
    shardable: false,
    tests: (ctx) => kvCacheTests(ctx.quick, o),
    custom: scenarioKvTest,
  };
}

/** The kv-cache suite with the original's counts. */
export const kvCacheSuite: Suite<KvCacheExtra> = makeKvCacheSuite();
