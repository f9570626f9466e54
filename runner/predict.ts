/**
 * Workload tests predicted instead of run: the same workload (prompts built as a run builds
 * them, the same load: closed, open, trace, sessions) played through the engine twin in
 * virtual time, with no HTTP. Every request becomes a {@linkcode RequestRecord} as the client
 * would have measured it, and the records go through the same aggregation as a run's, so a
 * predicted test is a {@linkcode TestResult} like any other (marked `extra.predicted`).
 *
 * The twin counts a prompt's tokens and hashes its blocks as the embedded server does (its
 * word tokenizer over the message contents, system first), so `predict` and the twin served
 * over HTTP see the same requests. There is no warm-up: the virtual server is never cold.
 *
 * @module
 */

import { isTokenless } from "../net/endpoints.ts";
import type { LoadSpec, PredictedBy, SuiteName, TestResult } from "../measure/result.ts";
import { emptyRecord, type RequestRecord, tpotOf } from "../measure/record.ts";
import { WorkloadTally } from "../measure/workload_stats.ts";
import { SteadyTracker } from "../measure/steady.ts";
import { resolveModel } from "../workload/payload.ts";
import {
  buildWorkload,
  type BuiltWorkload,
  defaultWorkload,
  fixedOsl,
  type WorkItem,
} from "../workload/workload.ts";
import { configRequests, type InferencePerfConfig } from "../twin/inference_perf.ts";
import { stageJson, summarizeStage } from "../twin/stages.ts";
import { combine32, fnv1a, fnv1aBytes, Prng } from "../util/prng.ts";
import { tokenIds } from "../util/words.ts";
import { blockKeys } from "../twin/blocks.ts";
import { imageTokenIds, imageTokens } from "../twin/images.ts";
import type { Deployment } from "../twin/timing.ts";
import { type SimRequest, type SimResult, VirtualServer } from "../twin/sim.ts";
import {
  DEFAULT_MAX_QUEUE_DELAY_MS,
  SloAggregator,
  type SuiteContext,
  testResultOf,
} from "./runner.ts";
import type { WorkloadTestSpec } from "./spec.ts";

/** Virtual milliseconds between one predicted test's last request and the next test. */
const TEST_GAP_MS = 1000;

/** A twin that predicts workload tests, one after another on one virtual server. */
export class Predictor {
  /** The deployment. */
  readonly deployment: Deployment;
  readonly #server: VirtualServer;
  #simulatedMs = 0;

  readonly #cache?: Map<string, BuiltWorkload>;

  /**
   * A predictor of `d`, with the client timeout of the run (ms); `cache` keeps built workloads
   * across predictors (a calibration replays the same tests many times).
   */
  constructor(d: Deployment, timeoutMs: number, cache?: Map<string, BuiltWorkload>) {
    this.deployment = d;
    this.#cache = cache;
    this.#server = new VirtualServer(d, { timeoutS: timeoutMs / 1000, tokenTimes: true });
  }

  /** Predict one workload test. */
  async test(ctx: SuiteContext, spec: WorkloadTestSpec): Promise<TestResult> {
    return this.run(ctx, spec, await this.build(ctx, spec));
  }

  /** Build a test's workload (prompts counted as the twin counts them), once per test. */
  async build(ctx: SuiteContext, spec: WorkloadTestSpec): Promise<BuiltWorkload> {
    const { model } = resolveModel(ctx.target, spec.payload.model);
    const key = `${ctx.seed}\u0000${spec.name}\u0000${JSON.stringify(spec.workload)}\u0000${
      JSON.stringify(spec.load)
    }`;
    const cached = this.#cache?.get(key);
    if (cached) return cached;
    const built = await buildWorkload(
      { ...spec.workload, tokenizer: "words" },
      {
        count: itemsWanted(spec.load),
        seed: combine32(ctx.seed, fnv1a(spec.name)),
        model,
        embedded: true,
      },
    );
    this.#cache?.set(key, built);
    return built;
  }

  /**
   * Predict one workload test from its built workload; `promptExtra` tokens are added to every
   * prompt (a chat template the server adds, as a real server's usage showed it).
   */
  run(
    ctx: SuiteContext,
    spec: WorkloadTestSpec,
    built: BuiltWorkload,
    promptExtra = 0,
  ): TestResult {
    const { model } = resolveModel(ctx.target, spec.payload.model);
    const server = this.#server;
    const origin = Math.max(server.now, server.lastEnd) + TEST_GAP_MS;
    const progress = ctx.progress(spec.name, 0);
    const played = spec.workload.turns > 1
      ? playSessions(server, built, spec, origin, ctx.seed, promptIdsOf(built, model), promptExtra)
      : playRequests(server, built, spec, origin, ctx.seed, promptIdsOf(built, model), promptExtra);
    progress.finish();
    const stream = spec.workload.stream && !isTokenless(spec.workload.endpoint);
    const result = this.#result(ctx, spec, played, origin, model, stream, built);
    result.max_tokens = fixedOsl(spec.workload);
    return result;
  }

  /**
   * Predict an inference-perf config: its stages one after another on this server (each
   * starting once the one before has finished, its interval later), each a test of `suite`.
   * Returns the tests and every stage's figures for `stages.json`.
   */
  inferencePerf(
    ctx: SuiteContext,
    config: InferencePerfConfig,
    suite: SuiteName,
  ): { tests: TestResult[]; stages: Record<string, unknown>[] } {
    const server = this.#server;
    const requests = configRequests(config, ctx.seed);
    const tests: TestResult[] = [];
    const stages: Record<string, unknown>[] = [];
    let start = Math.max(server.now, server.lastEnd) + TEST_GAP_MS;
    const model = config.model ?? this.deployment.model.name;
    config.load.stages.forEach((stage, k) => {
      const origin = start;
      const played: Played[] = requests[k].map((r) => ({
        sim: server.send({ ...r, atMs: origin + r.atMs }),
        intendedMs: origin + r.atMs,
        requested: r.prompt,
        osl: r.output,
        turn: null,
      }));
      server.run();
      start = Math.max(server.now, server.lastEnd) + config.load.interval * 1000;
      const name = `inference-perf stage ${k + 1}: ${stage.rate}/s for ${stage.duration} s`;
      const spec: WorkloadTestSpec = {
        suite,
        name,
        payload: {
          label: "inference-perf",
          model,
          messages: [],
          max_tokens: requests[k][0]?.output ?? 0,
          stream: config.streaming,
        },
        workload: {
          ...defaultWorkload(),
          endpoint: config.api === "chat" ? "chat" : "completions",
        },
        load: {
          kind: "open",
          rate: stage.rate,
          duration_s: stage.duration,
          requests: null,
          arrival: config.load.type,
          max_in_flight: null,
          warmup: 0,
        },
      };
      const result = this.#result(ctx, spec, played, origin, model, config.streaming, null);
      result.extra.scenario = "inference-perf";
      tests.push(result);
      const summary = summarizeStage(played.map((p) => ({ ...p.sim, atMs: p.sim.atMs - origin })));
      stages.push(stageJson(stage.rate, stage.duration, summary));
    });
    return { tests, stages };
  }

  /** A predicted test's result from its played requests, aggregated as a run's. */
  #result(
    ctx: SuiteContext,
    spec: WorkloadTestSpec,
    played: readonly Played[],
    origin: number,
    model: string,
    stream: boolean,
    built: BuiltWorkload | null,
  ): TestResult {
    const agg = new SloAggregator(ctx.slos);
    const tally = built ? new WorkloadTally(built.info) : null;
    const steady = new SteadyTracker(
      spec.load.kind === "closed" ? Math.min(spec.load.concurrency, played.length) : 1,
    );
    for (const p of played) {
      const rec = recordOf(p, origin, stream);
      agg.add(rec);
      tally?.add(rec, p.requested, p.osl, p.turn, 1);
      steady.add(rec.tSend, rec.tEnd, rec.e2e, rec.outputTokens, rec.outcome === "ok");
    }
    const load: LoadSpec = { ...spec.load, warmup: 0 };
    const result = testResultOf(
      { ...spec, payload: { ...spec.payload, stream } },
      model,
      null,
      agg,
      false,
      load,
    );
    if (agg.slo) result.extra.slo = agg.slo.stats(result.metrics.window_s);
    result.extra.failure_times = agg.failureTimes.stats();
    if (spec.load.kind === "closed") result.extra.steady_state = steady.result();
    else openExtras(result, played, spec.load.rate, ctx, spec.load.max_queue_delay_ms);
    if (tally) result.extra.workload = tally.stats(result.metrics.window_s);
    result.extra.predicted = predictedInfo(this.deployment);
    let end = origin;
    for (const p of played) end = Math.max(end, p.sim.atMs + (p.sim.e2e ?? 0) * 1000);
    this.#simulatedMs += end - origin;
    result.notes.push(
      `predicted by the engine twin (${this.deployment.model.name} on ${this.deployment.tp} × ` +
        `${this.deployment.gpu.title}), not measured`,
    );
    return result;
  }

  /** Virtual seconds of load predicted so far. */
  get simulatedS(): number {
    return this.#simulatedMs / 1000;
  }
}

/** What a predicted test says about the twin that predicted it. */
export function predictedInfo(d: Deployment): PredictedBy {
  return {
    model: d.model.name,
    gpu: d.gpu.name,
    tp: d.tp,
    max_num_seqs: d.vllm.maxNumSeqs,
    max_num_batched_tokens: d.vllm.maxBatchedTokens,
    max_model_len: d.vllm.maxModelLen,
    coefficients: { ...d.coefficients } as unknown as Record<string, number>,
  };
}

/** One request as played: its simulation, and what the workload asked of it. */
interface Played {
  sim: SimResult;
  /** Intended send time (ms; null for a closed loop). */
  intendedMs: number | null;
  /** Prompt tokens the client built. */
  requested: number;
  /** Output tokens asked for. */
  osl: number;
  /** Session turn (1-based), or null. */
  turn: number | null;
}

/** Items a load needs (as a run builds them). */
function itemsWanted(load: WorkloadTestSpec["load"]): number {
  if (load.kind === "closed") return load.requests;
  if (load.requests !== null) return load.requests;
  const expected = Math.ceil((load.duration_s ?? 0) * load.rate);
  return Math.max(1, load.arrival === "poisson" ? Math.ceil(expected * 1.5) + 10 : expected + 1);
}

/** Token ids of one turn's prompt: the item, the history's ids, the turn. */
type PromptIds = (item: WorkItem, history: readonly number[], turn: number) => number[];

/**
 * Token ids of prompts as the embedded server reads them: system first, then the turns, then
 * the turn's images as the model family spends tokens on them (images given by URL, whose
 * size the client never sees, cost nothing here).
 */
function promptIdsOf(built: BuiltWorkload, model: string): PromptIds {
  const cost = (built.images ?? []).map((img) =>
    img.data === null ? null : {
      n: imageTokens(model, img.width, img.height),
      hash: fnv1aBytes(img.data),
    }
  );
  return (item, history, turn) => {
    const ids: number[] = item.system ? tokenIds(item.system) : [];
    ids.push(...history, ...tokenIds(item.turns[turn]));
    for (const k of [...(turn === 0 ? item.firstTurnImages ?? [] : []), ...(item.images ?? [])]) {
      const c = cost[k];
      if (c) imageTokenIds(c, c.n, ids);
    }
    return ids;
  };
}

function simRequest(
  ids: readonly number[],
  output: number,
  atMs: number,
  bs: number,
  extra: number,
): SimRequest {
  return {
    atMs,
    prompt: Math.max(1, ids.length + extra),
    output,
    blockHashes: blockKeys(ids as number[], bs),
  };
}

/** Single requests: closed lanes, an open schedule (rate or trace), a cap on in flight. */
function playRequests(
  server: VirtualServer,
  built: BuiltWorkload,
  spec: WorkloadTestSpec,
  origin: number,
  seed: number,
  promptIds: PromptIds,
  extra = 0,
): Played[] {
  const bs = server.deployment.vllm.blockSize;
  const items = built.items;
  const load = spec.load;
  const out: Played[] = [];
  const send = (i: number, atMs: number, intendedMs: number | null, onEnd?: () => void) => {
    const item = items[i % items.length];
    const ids = promptIds(item, [], 0);
    const sim = server.send(simRequest(ids, item.osl, atMs, bs, extra), onEnd && (() => onEnd()));
    out.push({ sim, intendedMs, requested: item.turnTokens[0], osl: item.osl, turn: null });
  };
  if (load.kind === "closed" && !built.info.trace) {
    let next = 0;
    const lane = (at: number) => {
      if (next < load.requests) send(next++, at, null, () => lane(server.now));
    };
    for (let k = 0; k < Math.min(load.concurrency, load.requests); k++) lane(origin);
    server.run();
    return out;
  }
  // Open: the schedule's intended times; over a cap on requests in flight, arrivals wait.
  const offsets = schedule(built, load, seed);
  const cap = load.kind === "open" && load.max_in_flight ? load.max_in_flight : Infinity;
  let inFlight = 0;
  const queue: number[] = [];
  const release = () => {
    inFlight--;
    const i = queue.shift();
    if (i !== undefined) start(i, server.now);
  };
  const start = (i: number, at: number) => {
    inFlight++;
    send(i, at, origin + offsets[i], release);
  };
  for (let i = 0; i < offsets.length; i++) {
    server.run(origin + offsets[i]);
    if (inFlight >= cap) queue.push(i);
    else start(i, origin + offsets[i]);
  }
  server.run();
  return out;
}

/** Arrival offsets (ms) of an open or trace load, as the run's open loop schedules them. */
function schedule(
  built: BuiltWorkload,
  load: WorkloadTestSpec["load"],
  seed: number,
): number[] {
  if (built.info.trace) return built.items.map((it) => it.atMs ?? 0);
  if (load.kind !== "open") return [];
  const limit = load.requests ?? Infinity;
  const durationMs = load.duration_s === null ? Infinity : load.duration_s * 1000;
  const rng = new Prng(combine32(seed, 0xa7));
  const out: number[] = [];
  let at = 0;
  for (let i = 0; out.length < limit; i++) {
    if (load.arrival === "poisson") {
      if (i > 0) at += (-Math.log(1 - rng.next()) / load.rate) * 1000;
    } else at = (i * 1000) / load.rate;
    if (at >= durationMs) break;
    out.push(at);
  }
  return out;
}

/** Sessions: each turn re-sends the history (its answers as generated tokens) plus a new turn. */
function playSessions(
  server: VirtualServer,
  built: BuiltWorkload,
  spec: WorkloadTestSpec,
  origin: number,
  seed: number,
  promptIds: PromptIds,
  extra = 0,
): Played[] {
  const bs = server.deployment.vllm.blockSize;
  const turns = spec.workload.turns;
  const thinkMs = spec.workload.thinkTimeS * 1000;
  const load = spec.load;
  const out: Played[] = [];
  const startSession = (s: number, at: number, intended: number | null, done?: () => void) => {
    const item = built.items[s];
    let history: number[] = [];
    let requested = 0;
    const turn = (t: number, when: number) => {
      const ids = promptIds(item, history, t);
      const asked = requested + item.turnTokens[t];
      const sim = server.send(simRequest(ids, item.osl, when, bs, extra), (r, end) => {
        if (r.outcome === "ok" && t + 1 < turns) {
          // The answer's tokens, as ids of their own, join the history.
          const rng = new Prng(combine32(combine32(seed, s), t));
          const answer = Array.from({ length: r.generated }, () => 60_000 + rng.int(1 << 20));
          history = [...ids.slice(item.system ? tokenIds(item.system).length : 0), ...answer];
          requested = asked + r.generated;
          turn(t + 1, end + thinkMs);
        } else done?.();
      });
      out.push({
        sim,
        intendedMs: t === 0 ? intended : null,
        requested: asked,
        osl: item.osl,
        turn: t + 1,
      });
    };
    turn(0, at);
  };
  const sessions = built.items.length;
  if (load.kind === "closed") {
    let next = 0;
    const lane = (at: number) => {
      if (next < sessions) startSession(next++, at, null, () => lane(server.now));
    };
    for (let k = 0; k < Math.min(load.concurrency, sessions); k++) lane(origin);
  } else {
    for (let s = 0; s < sessions; s++) {
      const at = origin + (s * 1000) / load.rate;
      server.run(at);
      startSession(s, at, at);
    }
  }
  server.run();
  return out;
}

/** The record a client would have made of a played request (times from the test's start). */
function recordOf(p: Played, origin: number, stream: boolean): RequestRecord {
  const r = p.sim;
  const tSend = (r.atMs - origin) / 1000;
  const rec = emptyRecord(tSend, p.intendedMs === null ? null : (p.intendedMs - origin) / 1000);
  rec.inputTokens = r.prompt;
  rec.cachedTokens = r.cached;
  rec.outputTokens = r.generated;
  if (r.outcome === "ok") {
    rec.status = 200;
    rec.e2e = r.e2e!;
    rec.tEnd = tSend + rec.e2e;
    if (stream) {
      rec.ttft = r.ttft;
      rec.ttfc = r.ttft;
      rec.ttfo = r.ttft;
      const times = r.tokenTimes ?? [];
      for (let k = 1; k < times.length; k++) rec.itl.push((times[k] - times[k - 1]) / 1000);
      rec.tpot = tpotOf(rec.e2e, rec.ttft, rec.outputTokens);
    }
    return rec;
  }
  if (r.outcome === "rejected") {
    rec.outcome = "http_4xx";
    rec.status = 400;
    rec.error = "the prompt and output do not fit the model's context or KV cache";
    rec.tEnd = tSend;
    return rec;
  }
  rec.outcome = "timeout";
  rec.status = r.generated > 0 ? 200 : null;
  rec.error = "no complete response within the timeout";
  const end = (r.tokenTimes?.at(-1) ?? r.atMs) - r.atMs;
  rec.e2e = end / 1000;
  rec.tEnd = tSend + rec.e2e;
  return rec;
}

/** An open loop's rates and schedule verdict, as a run reports them. */
function openExtras(
  result: TestResult,
  played: readonly Played[],
  rate: number,
  ctx: SuiteContext,
  bound: number | null | undefined,
): void {
  let first = Infinity, last = -Infinity, lo = Infinity, hi = -Infinity;
  for (const p of played) {
    first = Math.min(first, p.sim.atMs);
    last = Math.max(last, p.sim.atMs);
    const at = p.intendedMs ?? p.sim.atMs;
    lo = Math.min(lo, at);
    hi = Math.max(hi, at);
  }
  const span = hi - lo;
  result.extra.offered_rate = rate;
  result.extra.achieved_rate = played.length > 1 && last > first
    ? ((played.length - 1) * 1000) / (last - first)
    : 0;
  result.extra.scheduled_requests = played.length;
  result.extra.scheduled_rate = played.length > 1 && span > 0
    ? ((played.length - 1) * 1000) / span
    : rate;
  const boundMs = bound ?? ctx.maxQueueDelayMs ?? DEFAULT_MAX_QUEUE_DELAY_MS;
  const p99 = (result.metrics.queue_delay?.p99 ?? 0) * 1000;
  result.extra.schedule_kept = p99 <= boundMs;
  result.extra.max_queue_delay_ms = boundMs;
}
