/**
 * The server's own view of a test: its Prometheus metrics sampled on a timer while the test
 * runs, for servers that expose them (the embedded server, vLLM, SGLang, TGI, llama.cpp's
 * server, NVIDIA NIM; anything else gives what it has). Gauges become time series on the
 * client's clock (requests running and waiting, KV-cache usage), counters become deltas
 * (prefix-cache hit rate, preemptions), and the server's latency histograms become percentiles
 * of what they recorded during the test, to set beside the client's: the gap is network,
 * client and HTTP time.
 *
 * @module
 */

import { BODY_LIMITS, getBounded } from "../net/bounded.ts";
import { parsePrometheus, type PromDocument, type PromSample } from "./prom.ts";
import type { EngineFamily, ServerSeries } from "../measure/server_series.ts";

export type { EngineFamily, ServerSeries };

/** The metric names of one engine. */
interface FamilyNames {
  running: string[];
  waiting: string[];
  /** KV-cache usage in [0, 1]. */
  kvUsage: string[];
  /** Counters of prompt tokens looked up and found in the prefix cache. */
  prefixQueries: string[];
  prefixHits: string[];
  /** A gauge of the hit rate in [0, 1], when the engine has no counters for it. */
  hitRateGauge: string[];
  preemptions: string[];
  ttft: string[];
  itl: string[];
  e2e: string[];
  queue: string[];
  /** Counters of prompt tokens processed and output tokens generated. */
  promptTokens: string[];
  outputTokens: string[];
}

/** Known names, newest first where an engine renamed one. */
const FAMILIES: Record<EngineFamily, FamilyNames> = {
  vllm: {
    running: ["vllm:num_requests_running"],
    waiting: ["vllm:num_requests_waiting"],
    kvUsage: ["vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"],
    prefixQueries: ["vllm:prefix_cache_queries_total", "vllm:gpu_prefix_cache_queries_total"],
    prefixHits: ["vllm:prefix_cache_hits_total", "vllm:gpu_prefix_cache_hits_total"],
    hitRateGauge: [],
    preemptions: ["vllm:num_preemptions_total"],
    ttft: ["vllm:time_to_first_token_seconds"],
    itl: ["vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"],
    e2e: ["vllm:e2e_request_latency_seconds"],
    queue: ["vllm:request_queue_time_seconds"],
    promptTokens: ["vllm:prompt_tokens_total"],
    outputTokens: ["vllm:generation_tokens_total"],
  },
  sglang: {
    running: ["sglang:num_running_reqs"],
    waiting: ["sglang:num_queue_reqs"],
    kvUsage: ["sglang:token_usage"],
    prefixQueries: [],
    prefixHits: [],
    hitRateGauge: ["sglang:cache_hit_rate"],
    preemptions: [],
    ttft: ["sglang:time_to_first_token_seconds"],
    itl: ["sglang:inter_token_latency_seconds", "sglang:time_per_output_token_seconds"],
    e2e: ["sglang:e2e_request_latency_seconds"],
    queue: ["sglang:queue_time_seconds"],
    promptTokens: ["sglang:prompt_tokens_total"],
    outputTokens: ["sglang:generation_tokens_total"],
  },
  tgi: {
    running: ["tgi_batch_current_size"],
    waiting: ["tgi_queue_size"],
    kvUsage: [],
    prefixQueries: [],
    prefixHits: [],
    hitRateGauge: [],
    preemptions: [],
    ttft: [],
    itl: ["tgi_request_mean_time_per_token_duration"],
    e2e: ["tgi_request_duration"],
    queue: ["tgi_request_queue_duration"],
    promptTokens: [],
    outputTokens: [],
  },
  // llama.cpp's server with --metrics (tools/server: llamacpp:* counters and gauges).
  llamacpp: {
    running: ["llamacpp:requests_processing"],
    waiting: ["llamacpp:requests_deferred"],
    kvUsage: ["llamacpp:kv_cache_usage_ratio"],
    prefixQueries: [],
    prefixHits: [],
    hitRateGauge: [],
    preemptions: [],
    ttft: [],
    itl: [],
    e2e: [],
    queue: [],
    promptTokens: ["llamacpp:prompt_tokens_total"],
    outputTokens: ["llamacpp:tokens_predicted_total"],
  },
  // NVIDIA NIM for LLMs: vLLM's metrics without the `vllm:` prefix.
  nim: {
    running: ["num_requests_running"],
    waiting: ["num_requests_waiting"],
    kvUsage: ["gpu_cache_usage_perc"],
    prefixQueries: [],
    prefixHits: [],
    hitRateGauge: [],
    preemptions: ["num_preemptions_total"],
    ttft: ["time_to_first_token_seconds"],
    itl: ["time_per_output_token_seconds"],
    e2e: ["e2e_request_latency_seconds"],
    queue: [],
    promptTokens: ["prompt_tokens_total"],
    outputTokens: ["generation_tokens_total"],
  },
};

/**
 * The names a sample during the load reads (gauges and the counters it takes deltas of), over
 * every engine: the rest of the exposition (histograms, mostly) is read only from the first and
 * the last scrape, once the load is over, so the thread that times the streams parses a few
 * lines a second instead of the whole exposition.
 */
const SAMPLED_NAMES: ReadonlySet<string> = new Set(
  Object.values(FAMILIES).flatMap((f) => [
    ...f.running,
    ...f.waiting,
    ...f.kvUsage,
    ...f.prefixQueries,
    ...f.prefixHits,
    ...f.hitRateGauge,
    ...f.preemptions,
  ]),
);

/** Most samples kept (a sample a second: more than a day). */
const MAX_SAMPLES = 100_000;

/** The engine whose names a document carries, if any. */
export function detectEngine(doc: PromDocument): EngineFamily | null {
  const names = new Set(doc.samples.map((s) => s.name));
  for (const [engine, f] of Object.entries(FAMILIES) as [EngineFamily, FamilyNames][]) {
    if ([...f.running, ...f.waiting].some((n) => names.has(n))) return engine;
  }
  return null;
}

/** The sum over label sets of the first of `names` present, or null. */
function total(doc: PromDocument, names: readonly string[]): number | null {
  for (const name of names) {
    let found = false, sum = 0;
    for (const s of doc.samples) {
      if (s.name === name && Number.isFinite(s.value)) {
        found = true;
        sum += s.value;
      }
    }
    if (found) return sum;
  }
  return null;
}

/** The mean over label sets of the first of `names` present (for ratios), or null. */
function mean(doc: PromDocument, names: readonly string[]): number | null {
  for (const name of names) {
    const v = doc.samples.filter((s) => s.name === name && Number.isFinite(s.value));
    if (v.length) return v.reduce((a, s) => a + s.value, 0) / v.length;
  }
  return null;
}

/** Cumulative bucket counts of a histogram, summed over label sets: `le` → count. */
interface Buckets {
  metric: string;
  le: Map<number, number>;
  count: number;
  sum: number;
}

function buckets(doc: PromDocument, names: readonly string[]): Buckets | null {
  for (const metric of names) {
    const bs = doc.samples.filter((s: PromSample) => s.name === `${metric}_bucket`);
    if (!bs.length) continue;
    const le = new Map<number, number>();
    for (const b of bs) {
      const bound = b.labels.le === "+Inf" ? Infinity : Number(b.labels.le);
      if (Number.isNaN(bound)) continue;
      le.set(bound, (le.get(bound) ?? 0) + b.value);
    }
    return {
      metric,
      le,
      count: total(doc, [`${metric}_count`]) ?? 0,
      sum: total(doc, [`${metric}_sum`]) ?? 0,
    };
  }
  return null;
}

/**
 * Percentile `q` of a cumulative histogram, interpolated linearly inside the bucket that holds
 * it (Prometheus' histogram_quantile); the open `+Inf` bucket answers with its lower bound.
 */
export function histogramQuantile(le: ReadonlyMap<number, number>, q: number): number {
  const bounds = [...le.keys()].sort((a, b) => a - b);
  const n = bounds.length ? le.get(bounds[bounds.length - 1])! : 0;
  if (n <= 0) return NaN;
  const rank = q * n;
  let prevBound = 0, prevCount = 0;
  for (const b of bounds) {
    const c = le.get(b)!;
    if (c >= rank) {
      if (!Number.isFinite(b)) return prevBound;
      if (c === prevCount) return b;
      return prevBound + (b - prevBound) * ((rank - prevCount) / (c - prevCount));
    }
    prevBound = b;
    prevCount = c;
  }
  return prevBound;
}

/** What a histogram recorded between two scrapes. */
function histogramDelta(before: Buckets | null, after: Buckets | null) {
  if (!after) return null;
  const le = new Map<number, number>();
  for (const [b, c] of after.le) le.set(b, c - (before?.le.get(b) ?? 0));
  const count = after.count - (before?.count ?? 0);
  if (count <= 0) return null;
  const sum = after.sum - (before?.sum ?? 0);
  return {
    metric: after.metric,
    count,
    mean: sum / count,
    p50: histogramQuantile(le, 0.5),
    p90: histogramQuantile(le, 0.9),
    p99: histogramQuantile(le, 0.99),
  };
}

/** A running sampler. */
export interface ServerSampler {
  /** Take the last sample and return the series. */
  stop(): Promise<ServerSeries>;
}

/** Options of {@linkcode startServerSampler}. */
export interface SamplerOptions {
  /** The metrics URL to scrape. */
  url: string;
  /** The URL as reports show it (no credentials). */
  shownUrl?: string;
  /** Milliseconds between samples (default 1000). */
  intervalMs?: number;
  /** Clock of the test (ms). */
  now?: () => number;
  /** Fetch the document text (default: `fetch` with a 2 s timeout). */
  scrape?: (url: string) => Promise<string>;
  /** Told of each sample as it is taken (a live view). */
  onSample?: (sample: ServerSample) => void;
}

/** One sample of the server's state. */
export interface ServerSample {
  /** Requests running. */
  running: number | null;
  /** Requests waiting. */
  waiting: number | null;
  /** KV-cache usage, 0–1. */
  kvUsage: number | null;
}

async function fetchText(url: string): Promise<string> {
  const res = await getBounded(url, {
    timeoutMs: 2000,
    maxBytes: BODY_LIMITS.metrics,
    what: "metrics body",
  });
  if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}`);
  return res.text;
}

/**
 * Start sampling `opts.url`: one scrape now (the baseline of counters and histograms), one
 * every interval, one at `stop()`. Scrapes never overlap; a failed one leaves a gap and is
 * counted.
 */
export function startServerSampler(opts: SamplerOptions): ServerSampler {
  const now = opts.now ?? (() => performance.now());
  const scrape = opts.scrape ?? fetchText;
  const t0 = now();
  const series: ServerSeries = {
    engine: null,
    url: opts.shownUrl ?? opts.url,
    t_s: [],
    running: [],
    waiting: [],
    kv_usage: [],
    prefix_hit_rate: [],
    preemptions: [],
    ttft: null,
    itl: null,
    e2e: null,
    queue: null,
    failed_scrapes: 0,
  };
  // The first and the latest scrape's text, parsed whole at stop(); what each sample reads.
  let firstText: string | null = null;
  let lastText: string | null = null;
  let first: PromDocument | null = null;
  let busy: Promise<void> = Promise.resolve();
  const sample = () => {
    busy = busy.then(async () => {
      const at = now();
      let text: string, doc: PromDocument;
      try {
        text = await scrape(opts.url);
        doc = parsePrometheus(text, SAMPLED_NAMES);
      } catch {
        series.failed_scrapes++;
        return;
      }
      firstText ??= text;
      lastText = text;
      first ??= doc;
      series.engine ??= detectEngine(doc);
      if (series.t_s.length >= MAX_SAMPLES) return;
      const f = series.engine ? FAMILIES[series.engine] : null;
      series.t_s.push((at - t0) / 1000);
      series.running.push(f ? total(doc, f.running) : null);
      series.waiting.push(f ? total(doc, f.waiting) : null);
      series.kv_usage.push(f ? mean(doc, f.kvUsage) : null);
      opts.onSample?.({
        running: series.running.at(-1) ?? null,
        waiting: series.waiting.at(-1) ?? null,
        kvUsage: series.kv_usage.at(-1) ?? null,
      });
      let hitRate: number | null = null;
      if (f && f.prefixQueries.length) {
        const q = (total(doc, f.prefixQueries) ?? 0) - (total(first, f.prefixQueries) ?? 0);
        const h = (total(doc, f.prefixHits) ?? 0) - (total(first, f.prefixHits) ?? 0);
        hitRate = q > 0 ? h / q : null;
      } else if (f) hitRate = mean(doc, f.hitRateGauge);
      series.prefix_hit_rate.push(hitRate);
      const pre = f ? total(doc, f.preemptions) : null;
      const pre0 = f ? total(first, f.preemptions) : null;
      series.preemptions.push(pre === null ? null : pre - (pre0 ?? 0));
    });
    return busy;
  };
  void sample();
  const timer = setInterval(() => void sample(), opts.intervalMs ?? 1000);
  Deno.unrefTimer(timer);
  return {
    async stop() {
      clearInterval(timer);
      await sample();
      const f = series.engine ? FAMILIES[series.engine] : null;
      if (f && firstText !== null && lastText !== null) {
        const from = parsePrometheus(firstText), to = parsePrometheus(lastText);
        series.ttft = histogramDelta(buckets(from, f.ttft), buckets(to, f.ttft));
        series.itl = histogramDelta(buckets(from, f.itl), buckets(to, f.itl));
        series.e2e = histogramDelta(buckets(from, f.e2e), buckets(to, f.e2e));
        series.queue = histogramDelta(buckets(from, f.queue), buckets(to, f.queue));
        const delta = (names: string[]) => {
          const a = total(from, names), b = total(to, names);
          return a === null || b === null ? null : Math.max(0, b - a);
        };
        if (f.promptTokens.length || f.outputTokens.length) {
          series.tokens = { prompt: delta(f.promptTokens), output: delta(f.outputTokens) };
        }
      }
      return series;
    },
  };
}

/**
 * Whether `url` serves Prometheus metrics worth sampling: it answers 200 with at least one
 * sample. Returns the engine family found (or null for a generic exporter), or `false`.
 */
export async function probeServerMetrics(
  url: string,
  scrape: (url: string) => Promise<string> = fetchText,
): Promise<EngineFamily | null | false> {
  try {
    const doc = parsePrometheus(await scrape(url));
    return doc.samples.length ? detectEngine(doc) : false;
  } catch {
    return false;
  }
}
