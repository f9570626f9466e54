/**
 * One client-side measurement of the perf harness, run in its own (pinned) process so that
 * its CPU and memory are the client's alone. Takes one JSON argument, prints one JSON line.
 *
 * Modes: `load` (closed loop: rate, latency, CPU, optional timestamp error and canary), `sse` (SSE
 * parsing speed), `mem_streams` (peak RSS with N concurrent streams), `mem_growth` (RSS growth
 * over many requests).
 *
 * @module
 */

import { ChatClient, type HttpClientKind } from "../net/client.ts";
import { runClosedLoop } from "../load/loops.ts";
import { measureClientLoad, measureSseParse, smallBody } from "../engine/selftest.ts";
import { RecordAggregator } from "../measure/aggregate.ts";
import { linearFit } from "../measure/fit.ts";
import { startCanary } from "../load/canary.ts";

/** The JSON argument. */
export interface ProbeSpec {
  /** What to measure. */
  mode: "load" | "sse" | "mem_streams" | "mem_growth";
  /** Target base URL (not for `sse`). */
  url?: string;
  /** HTTP implementation (default native). */
  http?: HttpClientKind;
  /** Requests in flight. */
  concurrency?: number;
  /** Counted seconds. */
  seconds?: number;
  /** Stream or not. */
  stream?: boolean;
  /** max_tokens of the body. */
  maxTokens?: number;
  /** Keep server stamps. */
  keepStamps?: boolean;
  /**
   * `load`: run the program's stamping canary beside the load and report its error (`canary`),
   * to set against the load's own stamps.
   */
  canary?: boolean;
}

const rss = () => Deno.memoryUsage().rss / 2 ** 20;
const heap = () => Deno.memoryUsage().heapUsed / 2 ** 20;
const gc = (globalThis as { gc?: () => void }).gc;

async function memStreams(spec: ProbeSpec) {
  const base = rss();
  const client = new ChatClient({
    baseUrl: spec.url!,
    timeoutMs: 60_000,
    http: spec.http ?? "native",
    poolSize: spec.concurrency,
  });
  const agg = new RecordAggregator();
  let peak = base;
  let heapAtPeak = 0, heapTotalAtPeak = 0, externalAtPeak = 0;
  let inFlight = 0, maxInFlight = 0;
  const sampler = setInterval(() => {
    const now = rss();
    if (now > peak) {
      peak = now;
      const m = Deno.memoryUsage();
      heapAtPeak = m.heapUsed / 2 ** 20;
      heapTotalAtPeak = m.heapTotal / 2 ** 20;
      externalAtPeak = m.external / 2 ** 20;
    }
  }, 50);
  const body = smallBody(true, spec.maxTokens ?? 100);
  try {
    await runClosedLoop({
      requests: Number.MAX_SAFE_INTEGER,
      concurrency: spec.concurrency ?? 1000,
      warmup: 0,
      stop: AbortSignal.timeout((spec.seconds ?? 5) * 1000),
      send: async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const r = await client.chat(body);
        inFlight--;
        return r;
      },
      onRecord: (r) => agg.add(r),
    });
  } finally {
    clearInterval(sampler);
    client.close();
  }
  peak = Math.max(peak, rss());
  const m = agg.metrics();
  return {
    rss_base_mb: base,
    rss_peak_mb: peak,
    heap_used_at_peak_mb: heapAtPeak,
    heap_total_at_peak_mb: heapTotalAtPeak,
    /** Memory V8 knows of outside its heap (the buffers' backing stores). */
    external_at_peak_mb: externalAtPeak,
    max_in_flight: maxInFlight,
    requests: m.total_requests,
    failed: m.failed_requests,
    errors: m.error_samples,
  };
}

async function memGrowth(spec: ProbeSpec) {
  const client = new ChatClient({
    baseUrl: spec.url!,
    timeoutMs: 30_000,
    http: spec.http ?? "native",
    poolSize: spec.concurrency,
  });
  const body = smallBody(false, spec.maxTokens ?? 4);
  // Warm up (JIT, connections, the heap's growth to its working size) before the first sample.
  // No collection is forced while the growth is measured: measured side by side, a forced
  // full collection left V8 sizing its heap about 20 MB larger for the rest of the run, which
  // would read as growth per request. One is forced only after the end's RSS is taken, to read
  // the live heap.
  await runClosedLoop({
    requests: 50_000,
    concurrency: spec.concurrency ?? 50,
    warmup: 0,
    send: () => client.chat(body),
    onRecord: () => {},
  });
  const agg = new RecordAggregator(); // as every test uses it: bounded raw samples
  const start = rss();
  let done = 0;
  const xs: number[] = [], ys: number[] = [];
  const sampler = setInterval(() => {
    xs.push(done);
    ys.push(rss());
  }, 500);
  try {
    await runClosedLoop({
      requests: 1_000_000,
      concurrency: spec.concurrency ?? 50,
      warmup: 0,
      stop: AbortSignal.timeout((spec.seconds ?? 30) * 1000),
      send: () => client.chat(body),
      onRecord: (r) => {
        agg.add(r);
        done++;
      },
    });
  } finally {
    clearInterval(sampler);
    client.close();
  }
  const m = agg.metrics(); // the report step, as at the end of every test
  const end = rss();
  gc?.();
  const liveHeap = heap();
  // Slope over the second half of the samples (after the raw-sample buffers have grown).
  const half = Math.floor(xs.length / 2);
  const fit = linearFit(xs.slice(half), ys.slice(half));
  return {
    requests: done,
    failed: m.failed_requests,
    rss_start_mb: start,
    rss_end_mb: end,
    growth_mb: end - start,
    live_heap_end_mb: liveHeap,
    external_mb: Deno.memoryUsage().external / 2 ** 20,
    slope_mb_per_million: fit.slope * 1e6,
    gc_exposed: gc !== undefined,
    samples: xs.map((x, i) => [x, Math.round(ys[i] * 10) / 10]),
  };
}

async function main(spec: ProbeSpec): Promise<unknown> {
  switch (spec.mode) {
    case "sse":
      return measureSseParse(spec.seconds ?? 2);
    case "load": {
      const canary = spec.canary
        ? await startCanary(new URL("../main.ts", import.meta.url).href)
        : null;
      const window = canary?.window();
      try {
        const r = await measureClientLoad({
          url: spec.url!,
          http: spec.http ?? "native",
          concurrency: spec.concurrency ?? 50,
          seconds: spec.seconds ?? 5,
          body: smallBody(spec.stream === true, spec.maxTokens ?? 4),
          keepStamps: spec.keepStamps,
        });
        return window ? { ...r, canary: window.stop() } : r;
      } finally {
        await canary?.close();
      }
    }
    case "mem_streams":
      return await memStreams(spec);
    case "mem_growth":
      return await memGrowth(spec);
  }
}

if (import.meta.main) {
  const out = await main(JSON.parse(Deno.args[0]) as ProbeSpec);
  console.log(JSON.stringify(out));
}
