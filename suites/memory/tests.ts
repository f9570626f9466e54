/**
 * Memory suite: how the server's memory grows under open-loop load, per request, and whether
 * it leaks. Each test samples the server's memory on a timer through an idle baseline, the
 * load, and an idle drain, then fits memory against completed requests (see probes/memory.ts).
 *
 * @module
 */

import { type ChatBody, ChatClient, probeTarget } from "../../net/client.ts";
import {
  analyzeMemory,
  type MemoryProbe,
  MemorySampler,
  resolveMemorySource,
} from "../../probes/memory.ts";
import type { MemoryExtra, MemoryFields, MemoryTestResult } from "./result.ts";

export type { MemoryExtra, MemoryFields, MemoryTestResult };
import { clientOptions, runOpenTest, type SuiteContext } from "../../runner/runner.ts";
import { type Payload, resolveModel, warmupBody } from "../../workload/payload.ts";
import type { Suite, TestDef } from "../suite.ts";

/**
 * Default of `--leak-threshold-kb`. The leaks reported against real servers run from a few
 * hundred KB to megabytes per request; a few hundred requests of a garbage-collected server
 * cannot bound a slope much below a few KB per request, so 4 KB separates the two without
 * calling every short run inconclusive.
 */
export const DEFAULT_LEAK_THRESHOLD_KB = 4;

/**
 * Default of `--leak-threshold-kb` in quick mode. A garbage-collected server's heap still
 * settles over its first thousands of requests, which a one-minute test cannot outwait: the
 * clean embedded server showed 5–15 KB per request (95% upper bounds up to 17 KB) over the
 * quick test's 600 requests. Quick mode therefore resolves leaks of 32 KB per request and
 * more; the full suite's longer tests resolve {@linkcode DEFAULT_LEAK_THRESHOLD_KB}.
 */
export const QUICK_LEAK_THRESHOLD_KB = 32;

/**
 * The least slope the KV-cache overhead test can tell from a garbage-collected server's own
 * swing, in KB per request. Its 30 requests are the original's (which never judged this test
 * for a leak); the heap of a collected server rises and falls by a megabyte or two between
 * collections, which over 30 requests reads as 33-67 KB per request: the clean embedded server
 * grew 1.35 MB over them and read 32.9 KB per request (95 % [12.6, 41.4]), a "leak" at the full
 * suite's 4 KB. A leak of 64 KB per request and more still shows in it.
 */
export const CACHE_OVERHEAD_FLOOR_KB = 64;

/**
 * The threshold a test is judged at: its own or the mode's, never below the least slope its
 * request count can resolve ({@linkcode MemoryTestSpec.resolvableKbPerRequest}).
 */
export function testThresholdKb(spec: MemoryTestSpec, quick: boolean): number {
  const threshold = spec.thresholdKbPerRequest ??
    (quick ? QUICK_LEAK_THRESHOLD_KB : DEFAULT_LEAK_THRESHOLD_KB);
  return Math.max(threshold, spec.resolvableKbPerRequest ?? 0);
}

/** Timing of a memory test's phases; the suite uses {@linkcode SUITE_TIMING}. */
export interface MemoryTiming {
  /** Idle seconds sampled before the load (the suite: 5). */
  baselineS: number;
  /** Idle seconds sampled after the load (the suite: 10). */
  drainS: number;
  /** Sampling period in milliseconds (the suite: 1000). */
  intervalMs: number;
  /** Share of the load phase left out of the fit as warm-up (the suite: 0.2). */
  warmupFraction: number;
}

/** The suite's timing: 5 s baseline, 10 s drain, one sample per second, 20% warm-up. */
export const SUITE_TIMING: Readonly<MemoryTiming> = Object.freeze({
  baselineS: 5,
  drainS: 10,
  intervalMs: 1000,
  warmupFraction: 0.2,
});

/** One memory test. */
export interface MemoryTestSpec {
  /** Test name. */
  name: string;
  /** Payload. */
  payload: Payload;
  /** Offered arrivals per second. */
  rate: number;
  /** Load length in seconds (or null with `requests`). */
  durationS: number | null;
  /** Number of arrivals (or null with `durationS`). */
  requests?: number | null;
  /** Body of request i (default: the payload's). */
  body?: (i: number, model: string) => ChatBody;
  /** Phase timing (default {@linkcode SUITE_TIMING}). */
  timing?: Partial<MemoryTiming>;
  /** Uncounted warm-up requests before the baseline (default: the context's). */
  warmup?: number;
  /** Warm-up requests in flight at once (default 1). */
  warmupConcurrency?: number;
  /** Leak threshold in KB per request (default: the mode's). */
  thresholdKbPerRequest?: number;
  /**
   * The least slope (KB per request) this test's request count can tell from a collected
   * heap's own swing: the test is never judged below it, whatever the threshold.
   */
  resolvableKbPerRequest?: number;
}

/** The original's payload for the load tests. */
export const LOAD_PAYLOAD: Payload = {
  label: "hello",
  model: "meta-llama/Llama-3.1-8B-Instruct",
  messages: [{ role: "user", content: "Hello, how are you?" }],
  max_tokens: 50,
  stream: false,
};

/** Quick mode's payload. */
export const QUICK_PAYLOAD: Payload = {
  ...LOAD_PAYLOAD,
  label: "hello-quick",
  messages: [{ role: "user", content: "Hello" }],
};

/** The cache-overhead test's three system prefixes (the original's, long enough to cache). */
export const CACHE_PREFIXES: readonly string[] = [
  "You are a helpful assistant.",
  "You are an expert programmer.",
  "You are a creative writer.",
].map((p, i) =>
  `${p} ` +
  Array.from(
    { length: 40 },
    (_, k) => `Guideline ${k + 1} of persona ${i + 1}: answer with care and precision.`,
  ).join(" ")
);

/** Body of request i of the cache-overhead test: 10 iterations × 3 prefixes. */
export function cacheOverheadBody(i: number, model: string): ChatBody {
  return {
    model,
    messages: [
      { role: "system", content: CACHE_PREFIXES[i % 3] },
      { role: "user", content: `Query ${Math.floor(i / 3)}` },
    ],
    max_tokens: 100,
    stream: false,
  };
}

const probes = new WeakMap<SuiteContext, MemoryProbe>();

/** The probe {@linkcode memorySuite}'s `prepare` chose for a context, if any. */
export function memoryProbeOf(ctx: SuiteContext): MemoryProbe | undefined {
  return probes.get(ctx);
}

/** Send `count` uncounted warm-up requests, `concurrency` at a time; returns how many went. */
async function warmUp(
  ctx: SuiteContext,
  payload: Payload,
  model: string,
  count: number,
  concurrency: number,
): Promise<number> {
  if (count <= 0) return 0;
  const client = new ChatClient({ ...clientOptions(ctx), poolSize: concurrency });
  let next = 0;
  try {
    const worker = async () => {
      while (next < count && !ctx.stop.aborted) {
        const i = next++;
        await client.chat(warmupBody(payload, model, i, ctx.seed), { signal: ctx.abort });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  } finally {
    client.close();
  }
  return next;
}

/**
 * Run one memory test against a probe: warm-up (not sampled), idle baseline, open-loop load,
 * idle drain, with samples on a timer throughout; then the leak analysis. Suite-specific
 * fields go into `extra` (`memory_source`, `memory_kind`, `snapshots`, `verdict`, …).
 */
export async function runMemoryTest(
  ctx: SuiteContext,
  probe: MemoryProbe,
  spec: MemoryTestSpec,
): Promise<MemoryTestResult> {
  const timing = { ...SUITE_TIMING, ...(spec.timing ?? {}) };
  const threshold = testThresholdKb(spec, ctx.quick);
  const { model } = resolveModel(ctx.target, spec.payload.model);
  const warmed = await warmUp(
    ctx,
    spec.payload,
    model,
    spec.warmup ?? ctx.warmup,
    spec.warmupConcurrency ?? 1,
  );
  let completed = 0;
  const sampler = new MemorySampler(probe, {
    intervalMs: timing.intervalMs,
    requests: () => completed,
  });
  const t0 = performance.now();
  sampler.start();
  let result: MemoryTestResult;
  let loadStartS = 0, loadEndS = 0;
  try {
    await ctx.clock.sleepUntil(t0 + timing.baselineS * 1000, ctx.stop);
    await sampler.sampleNow();
    sampler.phase = "load";
    loadStartS = sampler.elapsedS();
    result = await runOpenTest(ctx, {
      suite: "memory",
      name: spec.name,
      payload: spec.payload,
      rate: spec.rate,
      durationS: spec.durationS,
      requests: spec.requests ?? null,
      warmup: 0,
      body: spec.body,
      onRecord: () => completed++,
    });
    loadEndS = sampler.elapsedS();
    await sampler.sampleNow();
    sampler.phase = "drain";
    const drainStart = performance.now();
    await ctx.clock.sleepUntil(drainStart + timing.drainS * 1000, ctx.stop);
    await sampler.sampleNow();
  } finally {
    await sampler.stop();
  }
  if (result.load.kind === "open") result.load = { ...result.load, warmup: warmed };
  const snapshots = sampler.snapshots;
  const a = analyzeMemory(snapshots, {
    thresholdKbPerRequest: threshold,
    warmupFraction: timing.warmupFraction,
    interrupted: ctx.stop.aborted || result.interrupted,
  });
  ctx.log(
    `memory: ${a.verdict} — ${a.slope_kb_per_request.toFixed(2)} KB/request ` +
      `(95% [${a.ci_low_kb_per_request.toFixed(2)}, ${a.ci_high_kb_per_request.toFixed(2)}]), ` +
      `baseline ${a.baseline_mb.toFixed(2)} MB, peak ${a.peak_mb.toFixed(2)} MB, ` +
      `drain ${a.drain_mb.toFixed(2)} MB`,
  );
  if (sampler.errors > 0) {
    result.notes.push(`${sampler.errors} memory reads failed (last: ${sampler.lastError})`);
  }
  if (ctx.stop.aborted) result.notes.push("interrupted: the drain phase may be cut short");
  result.interrupted ||= ctx.stop.aborted;
  const fields: MemoryFields = {
    memory_source: probe.source,
    memory_kind: probe.kind,
    snapshots,
    ...a,
    baseline_s: timing.baselineS,
    drain_s: timing.drainS,
    sample_interval_s: timing.intervalMs / 1000,
    load_start_s: loadStartS,
    load_end_s: loadEndS,
    completed_requests: completed,
  };
  Object.assign(result.extra, fields);
  return result;
}

function memoryTest(spec: MemoryTestSpec): TestDef<MemoryExtra> {
  return {
    name: spec.name,
    run: (ctx) => {
      const probe = probes.get(ctx);
      if (!probe) throw new Error("no memory source (prepare did not run)");
      return runMemoryTest(ctx, probe, spec);
    },
  };
}

/** The full suite's tests: the original's four, on open-loop load. */
export const FULL_TESTS: readonly MemoryTestSpec[] = [
  { name: "Low Load (5 RPS)", payload: LOAD_PAYLOAD, rate: 5, durationS: 60 },
  { name: "Medium Load (20 RPS)", payload: LOAD_PAYLOAD, rate: 20, durationS: 60 },
  {
    name: "KV Cache Memory Overhead",
    payload: { ...LOAD_PAYLOAD, label: "kv-prefixes", model: "openai/gpt-oss-120b" },
    rate: 2,
    durationS: null,
    requests: 30,
    body: cacheOverheadBody,
    resolvableKbPerRequest: CACHE_OVERHEAD_FLOOR_KB,
  },
  { name: "Long-Running Leak Test (10 RPS)", payload: LOAD_PAYLOAD, rate: 10, durationS: 120 },
];

/**
 * Quick mode: 300 warm-up requests (10 at a time) so the server's heap is past its first
 * growth, then 25 RPS for 24 s (600 requests), judged against the quick threshold.
 */
export const QUICK_TESTS: readonly MemoryTestSpec[] = [
  {
    name: "Quick Memory Test",
    payload: QUICK_PAYLOAD,
    rate: 25,
    durationS: 24,
    warmup: 300,
    warmupConcurrency: 10,
  },
];

/** The memory suite's own options: where to read memory, and the leak threshold. */
export interface MemoryOptions {
  /** `--server-pid`: the PID whose memory to read. */
  serverPid: number | null;
  /** `--metrics-url`: a Prometheus endpoint with `process_resident_memory_bytes`. */
  metricsUrl: string | null;
  /** `--leak-threshold-kb` (null: the mode's default). */
  leakThresholdKb: number | null;
}

/** No option given: the embedded server's process, or the target's own, and the defaults. */
export const NO_MEMORY_OPTIONS: Readonly<MemoryOptions> = Object.freeze({
  serverPid: null,
  metricsUrl: null,
  leakThresholdKb: null,
});

/** Choose the memory source for a context; a string is why there is none. */
export async function prepareMemory(
  ctx: SuiteContext,
  opts: MemoryOptions = NO_MEMORY_OPTIONS,
): Promise<string | null> {
  const found = await resolveMemorySource({
    embedded: ctx.target.embedded,
    embeddedPid: ctx.target.embedded ? ctx.target.serverPid : null,
    serverPid: opts.serverPid,
    baseUrl: ctx.client.baseUrl,
    metricsUrl: opts.metricsUrl,
    secrets: [ctx.client.apiKey],
  });
  if (!found.ok) {
    // No memory source may just mean the target is gone: say that instead of guessing.
    let reason = found.reason;
    try {
      await probeTarget(ctx.client.baseUrl, {
        apiKey: ctx.client.apiKey ?? undefined,
        http: ctx.client.http,
        timeoutMs: Math.min(ctx.client.timeoutMs, 5000),
      });
    } catch (err) {
      reason = `the target stopped answering (${err instanceof Error ? err.message : err})`;
    }
    ctx.log(`memory suite skipped: ${reason}`);
    return reason;
  }
  probes.set(ctx, found.probe);
  const s = found.probe.source;
  for (const n of found.notes) ctx.log(`memory: ${n}`);
  ctx.log(
    `memory source: ${s.how}` +
      (s.pid !== null ? ` — PID ${s.pid}${s.command ? ` (${s.command})` : ""}` : "") +
      (s.url ? ` — ${s.url}` : "") + ` · fitting ${found.probe.kind}`,
  );
  return null;
}

/** The memory suite, with its own options. */
export function memorySuite(opts: MemoryOptions = NO_MEMORY_OPTIONS): Suite<MemoryExtra> {
  const threshold = opts.leakThresholdKb ?? undefined;
  const test = (spec: MemoryTestSpec) =>
    memoryTest({ ...spec, thresholdKbPerRequest: spec.thresholdKbPerRequest ?? threshold });
  return {
    name: "memory",
    title: "MEMORY BENCHMARKS",
    // Memory over time of one server under one schedule: it runs whole on shard 0.
    shardable: false,
    prepare: (ctx) => prepareMemory(ctx, opts),
    // A scenario's memory test gets the suite's baseline, sampling, drain and verdict.
    custom: (t) => {
      if (t.load.kind !== "open") throw new RangeError(`${t.source}: memory needs an open loop`);
      return test({
        name: t.name,
        payload: t.payload,
        rate: t.load.rate,
        durationS: t.load.duration_s,
        requests: t.load.requests,
        warmup: t.load.warmup ?? undefined,
      });
    },
    tests: (ctx) => (ctx.quick ? QUICK_TESTS : FULL_TESTS).map(test),
  };
}
