/**
 * What every suite shares to run a test: the context a suite runs in, and closed- and
 * open-loop tests from a payload to a {@linkcode TestResult}.
 *
 * @module
 */

import {
  type AnswerTally,
  ChatClient,
  type Endpoint,
  type HttpClientKind,
  type RequestBody,
  type TokenCounter,
} from "../net/client.ts";
import { bodyOf, type Payload, resolveModel, warmupBody } from "../workload/payload.ts";
import type { Clock } from "../util/clock.ts";
import {
  type ServerSample,
  type ServerSampler,
  startServerSampler,
} from "../probes/server_metrics.ts";
import { runClosedLoop, runOpenLoop } from "../load/loops.ts";
import type { RequestRecord } from "../measure/record.ts";
import type { LoadSpec, SuiteName, TestResult } from "../measure/result.ts";
import { RecordAggregator, type TestMetrics } from "../measure/aggregate.ts";
import { type Slo, SloTally } from "../measure/slo.ts";
import { SteadyTracker } from "../measure/steady.ts";
import { FailureTimes } from "../measure/failures.ts";
import { closedShare, openShare, type Shard } from "../load/shard.ts";
import { startHealthProbe, withStampError } from "../load/health.ts";
import type { StampCanary, StampError } from "../load/canary.ts";
import type { WorkloadTestSpec } from "./spec.ts";

/** Progress of one test, shown by the console (if at all). */
export interface Progress {
  /** `done` of `total` counted requests finished. */
  update(done: number): void;
  /** The test finished. */
  finish(): void;
}

/** Where requests go and how: what every client of a run shares. */
export interface ClientConfig {
  /** Target base URL. */
  baseUrl: string;
  /** API key, if any. */
  apiKey: string | null;
  /** Per-request timeout (ms). */
  timeoutMs: number;
  /** HTTP implementation of every client (`--http-client`). */
  http: HttpClientKind;
  /** Largest non-streaming body read (bytes; absent: the default). */
  maxBodyBytes?: number;
  /** Largest SSE line or event (bytes; absent: the default). */
  maxEventBytes?: number;
}

/** What the run learnt about its target. */
export interface TargetInfo {
  /** Models the target serves. */
  models: string[];
  /** `--model`, forcing one model for every request. */
  modelOverride: string | null;
  /** True when the target is the embedded server. */
  embedded: boolean;
  /** PID of the server when known. */
  serverPid: number | null;
  /**
   * The server's Prometheus metrics, sampled once a second during every test (absent or null:
   * the server offers none, or they are not wanted).
   */
  serverMetrics?: { url: string; shownUrl: string } | null;
}

/**
 * Everything a suite may use while it runs, whatever the suite; a suite's own options
 * (`--ramp`, the memory suite's source) reach it through its factory instead.
 */
export interface SuiteContext {
  /** Where requests go and how. */
  client: ClientConfig;
  /** What the run learnt about its target. */
  target: TargetInfo;
  /** Quick mode. */
  quick: boolean;
  /** Seed for prompts. */
  seed: number;
  /** Uncounted warm-up requests per test. */
  warmup: number;
  /** The clock the load loops and pauses run on. */
  clock: Clock;
  /** Aborted when no new request may be sent (interrupt). */
  stop: AbortSignal;
  /** Aborted when in-flight requests must be cancelled. */
  abort: AbortSignal;
  /** Start showing progress of a test. */
  progress(label: string, total: number): Progress;
  /** An informational line for the user (stderr). */
  log(line: string): void;
  /**
   * Open loop: the queue-delay p99 (ms) above which a test is marked as not having kept its
   * schedule (default {@linkcode DEFAULT_MAX_QUEUE_DELAY_MS}).
   */
  maxQueueDelayMs?: number;
  /** `--shard i/n`: run only this shard's part of each test's load (absent = all of it). */
  shard?: Shard;
  /** `--slo`: every test counts its requests against these (absent or empty: none). */
  slos?: readonly Slo[];
  /**
   * `--max-error-rate`: a test ends early once {@linkcode EARLY_STOP_MIN} requests are in and
   * more than this share (0–1) of them failed (absent: never).
   */
  maxErrorRate?: number;
  /**
   * `--max-consecutive-timeouts`: a test ends once this many requests in a row timed out or
   * could not connect, none succeeding between (absent: the default; 0: never).
   */
  maxConsecutiveTimeouts?: number;
  /**
   * `--repeat`: run each test `count` times, `pauseS` apart, repeat k with seed + k, and
   * pool them (absent or count 1: once). `maxCvPct` marks unstable metrics in the reports.
   */
  repeat?: { count: number; pauseS: number; maxCvPct: number };
  /**
   * Runs a workload test instead of sending it (`predict`: the engine twin in virtual time);
   * absent: workload tests are sent to the target.
   */
  runWorkload?: (ctx: SuiteContext, spec: WorkloadTestSpec) => Promise<TestResult>;
  /** The live view (`--dashboard`): sees every counted record and server sample. */
  live?: LiveTap;
  /**
   * The program's entry module: prompts that need a tokenizer library are built in a worker
   * of it, off the measuring thread (`workload/apart.ts`). Absent: built in this thread.
   */
  workerEntry?: string;
  /**
   * The stamping canary (`load/canary.ts`): each test states the client's timestamp error over
   * its span. Absent: tests state the event-loop lag only.
   */
  canary?: StampCanary;
}

/** What a live view is told while tests run. */
export interface LiveTap {
  /** A counted request ended. */
  record(rec: RequestRecord): void;
  /** The server's metrics were sampled. */
  server(sample: ServerSample): void;
  /** A test's client: how many requests it has in flight, read when a window closes. */
  inFlight(count: () => number): void;
}

/** Requests a test must have counted before `--max-error-rate` may end it. */
export const EARLY_STOP_MIN = 20;

/** Default of `--max-consecutive-timeouts`. */
export const DEFAULT_MAX_CONSECUTIVE_TIMEOUTS = 3;

/**
 * Watches for a wedged target: requests that time out (or cannot connect) one after another,
 * none succeeding between them. Once `limit` have, waiting out the rest of the test's timeouts
 * would tell nothing more.
 */
export class WedgeGuard {
  readonly #limit: number;
  #streak = 0;
  #since = 0;
  #wedged = false;

  /** A guard giving up after `limit` such failures in a row (0: never). */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** See a finished request; true once the target counts as wedged. */
  add(rec: RequestRecord): boolean {
    if (rec.outcome === "ok") this.#streak = 0;
    else if (rec.outcome === "timeout" || rec.outcome === "connect") {
      if (this.#streak++ === 0) this.#since = rec.tSend;
      if (this.#limit > 0 && this.#streak >= this.#limit) this.#wedged = true;
    }
    return this.#wedged;
  }

  /** True once the limit was reached. */
  get wedged(): boolean {
    return this.#wedged;
  }

  /** Why a test stopped on this guard, or null. */
  why(now: number): string | null {
    if (!this.#wedged) return null;
    return `stopped early: ${this.#streak} requests in a row timed out or could not connect, ` +
      `none succeeding between, over ${(now - this.#since).toFixed(1)} s: the target looks ` +
      "wedged (--max-consecutive-timeouts)";
  }
}

/**
 * A stop signal for one test: the run's, or an early stop when too many requests fail or the
 * target stops answering.
 */
function earlyStop(ctx: SuiteContext, agg: RecordAggregator) {
  const early = new AbortController();
  const limit = ctx.maxErrorRate;
  const wedge = new WedgeGuard(ctx.maxConsecutiveTimeouts ?? DEFAULT_MAX_CONSECUTIVE_TIMEOUTS);
  let why: string | null = null;
  return {
    signal: AbortSignal.any([ctx.stop, early.signal]),
    check(rec: RequestRecord) {
      if (early.signal.aborted) return;
      if (wedge.add(rec)) {
        why = wedge.why(performance.now() / 1000);
        early.abort();
        return;
      }
      if (limit === undefined || agg.count < EARLY_STOP_MIN) return;
      if (agg.failures / agg.count > limit) {
        why = `stopped early: ${((agg.failures / agg.count) * 100).toFixed(1)}% of the first ` +
          `${agg.count} requests failed (over --max-error-rate ${(limit * 100).toFixed(1)}%)`;
        early.abort();
      }
    },
    /** Why the test ended early, or null. */
    why(): string | null {
      return why;
    },
  };
}

/** The client options every client of a suite shares: target, key, timeout, transport, bounds. */
export function clientOptions(ctx: SuiteContext): {
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
  http: HttpClientKind;
  maxBodyBytes?: number;
  maxEventBytes?: number;
} {
  const c = ctx.client;
  return {
    baseUrl: c.baseUrl,
    apiKey: c.apiKey ?? undefined,
    timeoutMs: c.timeoutMs,
    http: c.http,
    maxBodyBytes: c.maxBodyBytes,
    maxEventBytes: c.maxEventBytes,
  };
}

/**
 * Default bound on an open loop's queue-delay p99, in ms. Timers overshoot by 1–2 ms, so a
 * client that keeps its schedule shows a p99 of a few ms; 10 ms stays far below the latencies
 * measured and below one inter-arrival gap up to 100 requests/s.
 */
export const DEFAULT_MAX_QUEUE_DELAY_MS = 10;
/** A closed-loop test of one payload. */
export interface ClosedTestSpec {
  /** Suite. */
  suite: SuiteName;
  /** Test name. */
  name: string;
  /** Payload. */
  payload: Payload;
  /** Counted requests. */
  requests: number;
  /** Concurrency. */
  concurrency: number;
  /** Warm-up requests (default: the context's). */
  warmup?: number;
  /** Body of request i (default: the payload's body). */
  body?: (i: number, model: string) => RequestBody;
  /** Sees every counted record (e.g. for cache statistics). */
  onRecord?: (rec: RequestRecord, i: number) => void;
  /** The endpoint, the answer's text, the warm-up body (default: chat, none, the payload's). */
  wire?: WireOptions;
}

/** How a test's requests go on the wire, when not as chat completions of its payload. */
export interface WireOptions {
  /** The endpoint (default `chat`). */
  endpoint?: Endpoint;
  /** Keep each answer's text in its record. */
  keepText?: boolean;
  /** Body of warm-up request i (default: a short chat request like the payload). */
  warmupBody?: (i: number, model: string) => RequestBody;
  /** Counts output tokens of answers without usage (default: the word count). */
  tokenCounter?: TokenCounter;
  /**
   * Awaited once the warm-up is over, before the first counted request, with the warm-up's
   * answers: how many came, and how many without usage.
   */
  afterWarmup?: (answers: AnswerTally) => Promise<void>;
}

/** The loop's hook after the warm-up: the wire's, told the client's answers so far. */
function afterWarmupOf(
  wire: WireOptions | undefined,
  client: ChatClient,
): (() => Promise<void>) | undefined {
  const hook = wire?.afterWarmup;
  return hook && (() => hook(client.answers));
}

/** Run a closed-loop test on a fresh shared connection pool and aggregate it. */
export async function runClosedTest(ctx: SuiteContext, spec: ClosedTestSpec): Promise<TestResult> {
  if (ctx.shard && ctx.shard.count > 1) spec = shardClosed(spec, ctx.shard);
  const lanes = Math.max(1, spec.concurrency);
  const rig = testRig(ctx, spec, spec.requests, lanes);
  // Warm-up runs on every lane, so each leaves an open connection behind: the first counted
  // wave pays no connection set-up that later waves do not.
  const warmup = spec.requests > 0 && rig.warmup > 0 ? Math.max(rig.warmup, lanes) : 0;
  const steady = new SteadyTracker(Math.min(lanes, spec.requests));
  const early = earlyStop(ctx, rig.agg);
  let outcome;
  try {
    outcome = await runClosedLoop({
      requests: spec.requests,
      concurrency: lanes,
      warmup,
      afterWarmup: afterWarmupOf(spec.wire, rig.client),
      stop: early.signal,
      abort: ctx.abort,
      send: (i, warm, signal) =>
        rig.client.chat(rig.bodyFor(i, warm), { signal, keepText: spec.wire?.keepText }),
      onRecord: (rec, i) => {
        rig.agg.add(rec);
        steady.add(rec.tSend, rec.tEnd, rec.e2e, rec.outputTokens, rec.outcome === "ok");
        spec.onRecord?.(rec, i);
        early.check(rec);
      },
      onProgress: (done) => rig.progress.update(done),
    });
  } finally {
    rig.close();
  }
  const result = await rig.result(outcome.interrupted && ctx.stop.aborted, {
    kind: "closed",
    requests: spec.requests,
    concurrency: spec.concurrency,
    warmup,
  });
  result.extra.steady_state = steady.result();
  markEarlyStop(result, early.why());
  return result;
}

/**
 * A record aggregator that also counts every record against the run's SLOs (when it has any)
 * and keeps failed requests' time to failure per class.
 */
export class SloAggregator extends RecordAggregator {
  /** The SLO tally (null without SLOs). */
  readonly slo: SloTally | null;
  /** Time to failure per error class. */
  readonly failureTimes = new FailureTimes();
  readonly #tap: ((rec: RequestRecord) => void) | undefined;
  /** An aggregator for a test of a run with these SLOs; `tap` sees every counted record. */
  constructor(slos: readonly Slo[] | undefined, tap?: (rec: RequestRecord) => void) {
    super();
    this.slo = slos && slos.length > 0 ? new SloTally(slos) : null;
    this.#tap = tap;
  }

  /** Add a record to the metrics, the SLO tally and the failure times. */
  override add(rec: RequestRecord): void {
    super.add(rec);
    this.slo?.add(rec);
    this.failureTimes.add(rec);
    this.#tap?.(rec);
  }
}

/** What a closed or open test sets up around its load, and how it ends. */
export interface TestRig {
  /** One connection pool for the test. */
  client: ChatClient;
  /** The model requests go to. */
  model: string;
  /** Aggregates the counted records (and counts them against the SLOs). */
  agg: SloAggregator;
  /** Uncounted warm-up requests. */
  warmup: number;
  /** Progress of the test. */
  progress: Progress;
  /** Body of request i (a warm-up body during warm-up). */
  bodyFor(i: number, warm: boolean): RequestBody;
  /** Call before the first counted request when bodies are not built by `bodyFor`. */
  counting(): void;
  /** End the progress and close the pool. */
  close(): void;
  /** The test's result, with the client's health over the test. */
  result(interrupted: boolean, load: LoadSpec): Promise<TestResult>;
}

/**
 * Set up what a test needs around its load: the model, one connection pool, the aggregator,
 * progress, the client's health probe and the server's metrics sampler.
 */
export function testRig(
  ctx: SuiteContext,
  spec: {
    suite: SuiteName;
    name: string;
    payload: Payload;
    warmup?: number;
    body?: (i: number, model: string) => RequestBody;
    wire?: WireOptions;
  },
  total: number,
  poolSize?: number,
): TestRig {
  const { model, substitutedFor } = resolveModel(ctx.target, spec.payload.model);
  const client = new ChatClient({
    ...clientOptions(ctx),
    poolSize,
    endpoint: spec.wire?.endpoint,
    tokenCounter: spec.wire?.tokenCounter,
  });
  const live = ctx.live;
  const agg = new SloAggregator(ctx.slos, live ? (rec) => live.record(rec) : undefined);
  live?.inFlight(() => client.inFlight);
  const progress = ctx.progress(spec.name, total);
  // Without a body per request, every request sends one body object, built once.
  const fixed = bodyOf(spec.payload, model);
  const body = spec.body ?? (() => fixed);
  const health = startHealthProbe();
  // The canary's window ends with the pool (or at the result, whichever comes first), so no
  // window outlives its test.
  const stamps = ctx.canary?.window();
  let stampError: StampError | null | undefined;
  const endStamps = () =>
    stampError === undefined ? stampError = stamps?.stop() ?? null : stampError;
  // The server's metrics are sampled from the first counted request on, so the deltas of its
  // counters and histograms leave the warm-up out.
  let server: ServerSampler | null = null;
  const startServer = () => {
    if (server || !ctx.target.serverMetrics) return;
    server = startServerSampler({
      url: ctx.target.serverMetrics.url,
      shownUrl: ctx.target.serverMetrics.shownUrl,
      now: () => ctx.clock.now(),
      onSample: live ? (s) => live.server(s) : undefined,
    });
  };
  const warmBody = spec.wire?.warmupBody;
  return {
    client,
    model,
    agg,
    warmup: spec.warmup ?? ctx.warmup,
    progress,
    bodyFor: (i, warm) => {
      if (warm) return warmBody ? warmBody(i, model) : warmupBody(spec.payload, model, i, ctx.seed);
      startServer();
      return body(i, model);
    },
    counting: startServer,
    close() {
      progress.finish();
      client.close();
      endStamps();
    },
    async result(interrupted, load) {
      const r = testResultOf(spec, model, substitutedFor, agg, interrupted, load);
      if (agg.slo) r.extra.slo = agg.slo.stats(r.metrics.window_s);
      r.extra.failure_times = agg.failureTimes.stats();
      r.extra.client_health = withStampError(health.stop(), endStamps());
      const sampler: ServerSampler | null = server;
      if (sampler) r.extra.server_metrics = await sampler.stop();
      return r;
    },
  };
}

/** A test's result from its aggregated records (what every runner of a test reports). */
export function testResultOf(
  spec: { suite: SuiteName; name: string; payload: Payload },
  model: string,
  substitutedFor: string | null,
  agg: RecordAggregator,
  interrupted: boolean,
  load: LoadSpec,
): TestResult {
  const notes: string[] = [];
  if (substitutedFor) notes.push(`model ${substitutedFor} not served; used ${model}`);
  const metrics = agg.metrics();
  const noDone = metrics.streams_without_done ?? 0;
  if (noDone > 0) {
    notes.push(
      `${noDone} stream${noDone === 1 ? "" : "s"} ended without data: [DONE]; the server's last ` +
        "chunk (its finish reason or usage) said the answer was complete, so they count",
    );
  }
  const odd = metrics.implausible_usage;
  if (odd && odd.count > 0) {
    notes.push(
      `${odd.count} answer${odd.count === 1 ? "" : "s"} reported usage that cannot be ` +
        `(${odd.example}): set aside, never taken as measured; their counts are estimated`,
    );
  }
  if (metrics.input_tokens_missing) {
    notes.push(
      "the server reported no usage.prompt_tokens for some answers: input and total tokens " +
        "are unknown (n/a), not 0",
    );
  }
  return {
    suite: spec.suite,
    name: spec.name,
    payload: spec.payload.label,
    streaming: spec.payload.stream,
    model,
    model_substituted_for: substitutedFor,
    max_tokens: spec.payload.max_tokens,
    load,
    metrics,
    interrupted,
    notes,
    extra: {},
  };
}

/** An open-loop test of one payload: arrivals at a rate for a duration or a count. */
export interface OpenTestSpec {
  /** Suite. */
  suite: SuiteName;
  /** Test name. */
  name: string;
  /** Payload. */
  payload: Payload;
  /** Offered arrivals per second. */
  rate: number;
  /** Schedule length in seconds (or null with `requests`). */
  durationS: number | null;
  /** Number of arrivals (or null with `durationS`). */
  requests?: number | null;
  /** Arrival process (default constant). */
  arrival?: "constant" | "poisson";
  /** Cap on requests in flight (default none). */
  maxInFlight?: number | null;
  /** Warm-up requests (default: the context's). */
  warmup?: number;
  /** Queue-delay p99 bound in ms (default: the context's, else 10). */
  maxQueueDelayMs?: number;
  /** Body of request i (default: the payload's body). */
  body?: (i: number, model: string) => RequestBody;
  /** Sees every counted record. */
  onRecord?: (rec: RequestRecord, i: number) => void;
  /** The endpoint, the answer's text, the warm-up body. */
  wire?: WireOptions;
  /** A schedule of its own (trace replay): arrival offsets in ms, ascending. */
  offsetsMs?: readonly number[];
}

/** Whether an open loop kept its schedule, and why not. */
export interface ScheduleVerdict {
  /** True when the queue-delay p99 stayed within the bound. */
  kept: boolean;
  /** The bound used (ms). */
  boundMs: number;
  /** Queue-delay p99 measured (ms). */
  queueDelayP99Ms: number;
  /** A note for the report when the schedule was not kept, else null. */
  note: string | null;
}

/**
 * Judge an open loop's schedule: kept when the p99 of t_send − t_intended is at most
 * `boundMs`. When it is not, the client (or a cap on requests in flight) delayed sends, so
 * latency from the actual send understates what the schedule's users saw; the corrected
 * latency (from the intended time) is the one to read.
 */
export function judgeSchedule(
  metrics: TestMetrics,
  boundMs: number,
  offeredRate: number,
  achievedRate: number,
): ScheduleVerdict {
  const p99 = (metrics.queue_delay?.p99 ?? 0) * 1000;
  const kept = p99 <= boundMs;
  return {
    kept,
    boundMs,
    queueDelayP99Ms: p99,
    note: kept ? null : `schedule not kept: queue delay p99 ${p99.toFixed(2)} ms exceeds ` +
      `${boundMs} ms (offered ${offeredRate.toFixed(2)}/s, achieved ${
        achievedRate.toFixed(2)
      }/s); read the corrected latency`,
  };
}

/**
 * Run an open-loop test. Latency is reported both from the actual send and from the intended
 * send time (corrected for coordinated omission), with queue-delay percentiles; `extra`
 * carries offered and achieved rates.
 */
export async function runOpenTest(ctx: SuiteContext, spec: OpenTestSpec): Promise<TestResult> {
  if (ctx.shard && ctx.shard.count > 1) spec = shardOpen(spec, ctx.shard);
  const expected = spec.requests ?? Math.round((spec.durationS ?? 0) * spec.rate);
  const rig = testRig(ctx, spec, expected);
  const arrival = spec.arrival ?? "constant";
  let firstSend = Infinity, lastSend = -Infinity;
  const early = earlyStop(ctx, rig.agg);
  let outcome;
  try {
    outcome = await runOpenLoop({
      rate: spec.rate,
      durationS: spec.durationS,
      requests: spec.requests ?? null,
      arrival,
      maxInFlight: spec.maxInFlight ?? null,
      warmup: rig.warmup,
      afterWarmup: afterWarmupOf(spec.wire, rig.client),
      offsetsMs: spec.offsetsMs,
      clock: ctx.clock,
      stop: early.signal,
      abort: ctx.abort,
      send: (i, warm, signal, tIntendedMs) =>
        rig.client.chat(rig.bodyFor(i, warm), {
          signal,
          tIntendedMs: warm ? undefined : tIntendedMs,
          keepText: spec.wire?.keepText,
        }),
      onRecord: (rec, i) => {
        rig.agg.add(rec);
        firstSend = Math.min(firstSend, rec.tSend);
        lastSend = Math.max(lastSend, rec.tSend);
        spec.onRecord?.(rec, i);
        early.check(rec);
      },
      onProgress: (done) => rig.progress.update(done),
    });
  } finally {
    rig.close();
  }
  const result = await rig.result(outcome.interrupted && ctx.stop.aborted, {
    kind: "open",
    rate: spec.rate,
    duration_s: spec.durationS,
    requests: spec.requests ?? null,
    arrival,
    max_in_flight: spec.maxInFlight ?? null,
    warmup: rig.warmup,
  });
  // Rates over the send span: n sends cover n − 1 gaps.
  const sent = result.metrics.total_requests;
  result.extra.offered_rate = spec.rate;
  result.extra.achieved_rate = sent > 1 && lastSend > firstSend
    ? (sent - 1) / (lastSend - firstSend)
    : 0;
  result.extra.scheduled_requests = outcome.scheduled;
  // The rate this schedule actually offered (a Poisson draw differs from the nominal rate).
  result.extra.scheduled_rate = outcome.scheduled > 1 && outcome.offeredS > 0
    ? (outcome.scheduled - 1) / outcome.offeredS
    : spec.rate;
  const verdict = judgeSchedule(
    result.metrics,
    spec.maxQueueDelayMs ?? ctx.maxQueueDelayMs ?? DEFAULT_MAX_QUEUE_DELAY_MS,
    spec.rate,
    result.extra.achieved_rate as number,
  );
  result.extra.schedule_kept = verdict.kept;
  result.extra.max_queue_delay_ms = verdict.boundMs;
  if (verdict.note) result.notes.push(verdict.note);
  markEarlyStop(result, early.why());
  return result;
}

function markEarlyStop(result: TestResult, why: string | null): void {
  if (!why) return;
  result.extra.stopped_early = why;
  result.notes.push(why);
}

/** A closed-loop spec reduced to one shard's part; request indices keep their global numbers. */
export function shardClosed(spec: ClosedTestSpec, shard: Shard): ClosedTestSpec {
  const share = closedShare(spec.requests, spec.concurrency, shard);
  const body = spec.body, onRecord = spec.onRecord;
  return {
    ...spec,
    requests: share.requests,
    concurrency: share.concurrency,
    body: body ? (i, m) => body(i + share.offset, m) : undefined,
    onRecord: onRecord ? (r, i) => onRecord(r, i + share.offset) : undefined,
  };
}

/** An open-loop spec reduced to one shard's part: rate / n, count split evenly. */
export function shardOpen(spec: OpenTestSpec, shard: Shard): OpenTestSpec {
  const share = openShare(spec.rate, spec.requests ?? null, shard);
  const body = spec.body, onRecord = spec.onRecord;
  return {
    ...spec,
    rate: share.rate,
    requests: share.requests,
    maxInFlight: spec.maxInFlight == null
      ? spec.maxInFlight
      : Math.max(1, Math.ceil(spec.maxInFlight / shard.count)),
    body: body ? (i, m) => body(i + share.offset, m) : undefined,
    onRecord: onRecord ? (r, i) => onRecord(r, i + share.offset) : undefined,
  };
}
