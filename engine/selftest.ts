/**
 * Measurements of the client itself, shared by `fakeai-bench selftest` and `deno task perf`:
 * request capacity and latency against a given server, streaming timestamp error against the
 * server's chunk send stamps, and SSE parsing speed.
 *
 * @module
 */

import { type ChatBody, ChatClient, type HttpClientKind } from "../net/client.ts";
import { type ClientHealth, cpuTimeMs, startHealthProbe } from "../load/health.ts";
import { runClosedLoop } from "../load/loops.ts";
import { SampleList } from "../measure/samples.ts";
import { SseParser } from "../net/sse.ts";
import { percentileSorted } from "../measure/summary.ts";
import { RecordAggregator } from "../measure/aggregate.ts";

/**
 * `serve` flags for a server with no simulated latency at all: no fixed delay, TTFT, ITL or
 * prefill cost, so every answer is as fast as the server's own code.
 */
export const ZERO_LATENCY_SERVE_FLAGS: readonly string[] = [
  "--latency-ms",
  "0",
  "--ttft-ms",
  "0",
  "--itl-ms",
  "0",
  "--prefill-ms-per-token",
  "0",
];

/** A small chat body (one short user message). */
export function smallBody(
  stream: boolean,
  maxTokens: number,
  model = "openai/gpt-oss-120b",
): ChatBody {
  return {
    model,
    messages: [{ role: "user", content: "hi" }],
    max_tokens: maxTokens,
    stream,
    ...(stream ? {} : {}),
  };
}

/** Options of {@linkcode measureClientLoad}. */
export interface ClientLoadOptions {
  /** Target base URL. */
  url: string;
  /** HTTP implementation. */
  http: HttpClientKind;
  /** Requests in flight. */
  concurrency: number;
  /** Counted seconds. */
  seconds: number;
  /** Uncounted warm-up seconds first (default 0.5). */
  warmupS?: number;
  /** The request body. */
  body: ChatBody;
  /** Keep server stamps (streaming timestamp error). */
  keepStamps?: boolean;
  /** Per-request timeout (ms, default 30 000). */
  timeoutMs?: number;
}

/** What {@linkcode measureClientLoad} measured. */
export interface ClientLoadResult {
  /** Counted requests. */
  requests: number;
  /** Failed requests. */
  failed: number;
  /** Successes per second of window. */
  rps: number;
  /** Latency percentiles of successes (ms). */
  p50_ms: number;
  /** 99th percentile latency (ms). */
  p99_ms: number;
  /** Mean latency (ms). */
  mean_ms: number;
  /** Client CPU time per counted request (µs). */
  cpu_us_per_request: number;
  /** Client health over the counted span. */
  health: ClientHealth;
  /** Streaming timestamp error, when stamps were kept. */
  stamps: TimestampError | null;
  /** First error samples. */
  errors: string[];
}

/** Client inter-token gaps against the server's send-stamp gaps. */
export interface TimestampError {
  /** Gap pairs compared. */
  samples: number;
  /** Median |client gap − server gap| (ms). */
  abs_p50_ms: number;
  /** 99th percentile |client gap − server gap| (ms). */
  abs_p99_ms: number;
  /** Largest |client gap − server gap| (ms). */
  abs_max_ms: number;
  /** Mean signed error (ms). */
  mean_ms: number;
  /** Median server send → client arrival (ms, both on the wall clock). */
  delivery_p50_ms: number;
  /** 99th percentile server send → client arrival (ms). */
  delivery_p99_ms: number;
}

/**
 * Run a closed loop of `body` for `seconds` and measure rate, latency, client CPU and health;
 * with `keepStamps`, also compare every client ITL sample with the server's stamps.
 */
export async function measureClientLoad(opts: ClientLoadOptions): Promise<ClientLoadResult> {
  const client = new ChatClient({
    baseUrl: opts.url,
    timeoutMs: opts.timeoutMs ?? 30_000,
    http: opts.http,
    poolSize: opts.concurrency,
  });
  const keepStamps = opts.keepStamps === true;
  try {
    const warm = opts.warmupS ?? 0.5;
    if (warm > 0) {
      await runClosedLoop({
        requests: Number.MAX_SAFE_INTEGER,
        concurrency: opts.concurrency,
        warmup: 0,
        stop: AbortSignal.timeout(warm * 1000),
        send: () => client.chat(opts.body),
        onRecord: () => {},
      });
    }
    const agg = new RecordAggregator();
    // Typed blocks, not plain arrays: growing a plain array of 100,000 numbers lengthens
    // the garbage collector's pauses, which is the very error this measures.
    const errs = new SampleList();
    const delivery = new SampleList();
    const origin = performance.timeOrigin;
    const health = startHealthProbe();
    const cpu0 = cpuTimeMs();
    await runClosedLoop({
      requests: Number.MAX_SAFE_INTEGER,
      concurrency: opts.concurrency,
      warmup: 0,
      stop: AbortSignal.timeout(opts.seconds * 1000),
      send: () => client.chat(opts.body, { keepStamps }),
      onRecord: (r) => {
        agg.add(r);
        const s = r.serverStamps, t = r.tokenTimes;
        if (!s || !t) return;
        for (let i = 0; i < s.length; i++) {
          delivery.push(origin + t[i] * 1000 - s[i]);
          if (i > 0) errs.push((t[i] - t[i - 1]) * 1000 - (s[i] - s[i - 1]));
        }
      },
    });
    const cpu = cpuTimeMs() - cpu0;
    const h = health.stop();
    const m = agg.metrics();
    return {
      requests: m.total_requests,
      failed: m.failed_requests,
      rps: m.requests_per_second,
      p50_ms: m.latency.p50 * 1000,
      p99_ms: m.latency.p99 * 1000,
      mean_ms: m.latency.mean * 1000,
      cpu_us_per_request: m.total_requests > 0 ? (cpu * 1000) / m.total_requests : 0,
      health: h,
      stamps: keepStamps ? timestampError(errs.toFloat64Array(), delivery.toFloat64Array()) : null,
      errors: m.error_samples,
    };
  } finally {
    client.close();
  }
}

/** Summarise signed gap errors and delivery delays (ms). */
export function timestampError(
  errors: ArrayLike<number>,
  delivery: ArrayLike<number>,
): TimestampError {
  const abs = Float64Array.from(errors, Math.abs).sort();
  const del = Float64Array.from(delivery).sort();
  let sum = 0;
  for (let i = 0; i < errors.length; i++) sum += errors[i];
  return {
    samples: errors.length,
    abs_p50_ms: percentileSorted(abs, 0.5),
    abs_p99_ms: percentileSorted(abs, 0.99),
    abs_max_ms: abs.length ? abs[abs.length - 1] : 0,
    mean_ms: errors.length ? sum / errors.length : 0,
    delivery_p50_ms: percentileSorted(del, 0.5),
    delivery_p99_ms: percentileSorted(del, 0.99),
  };
}

/** An in-memory SSE byte stream of `events` chat chunks, cut into pieces of `chunkBytes`. */
export function sseFixture(events: number, chunkBytes = 4096): Uint8Array[] {
  const enc = new TextEncoder();
  let text = "";
  for (let i = 0; i < events; i++) {
    text += `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,` +
      `"model":"m","choices":[{"index":0,"delta":{"content":" tok${i % 100}"},` +
      `"finish_reason":null}]}\n\n`;
  }
  const all = enc.encode(text);
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < all.length; i += chunkBytes) pieces.push(all.subarray(i, i + chunkBytes));
  return pieces;
}

/** What {@linkcode measureSseParse} measured. */
export interface SseParseResult {
  /** Events parsed per second. */
  events_per_s: number;
  /** Megabytes parsed per second. */
  mb_per_s: number;
}

/**
 * SSE parsing speed of {@linkcode SseParser} on this thread: events/s over about `seconds`
 * of repeated parsing of an in-memory stream (parsing only: no JSON decoding of the data).
 */
export function measureSseParse(seconds = 1, eventsPerPass = 20_000): SseParseResult {
  const pieces = sseFixture(eventsPerPass);
  let bytes = 0;
  for (const p of pieces) bytes += p.length;
  let events = 0;
  const pass = () => {
    const parser = new SseParser(() => events++);
    for (const p of pieces) parser.push(p, 0);
    parser.end(0);
  };
  for (let i = 0; i < 5; i++) pass(); // warm up the JIT
  events = 0;
  let passes = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < seconds * 1000) {
    pass();
    passes++;
    t = performance.now();
  }
  const s = (t - t0) / 1000;
  return { events_per_s: events / s, mb_per_s: (passes * bytes) / s / 1e6 };
}
