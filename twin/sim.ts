/**
 * The twin in virtual time: requests with arrival times played through one engine core on a
 * deployment's step cost, with no timer and no HTTP. What `predict` and the calibration run.
 *
 * A request reaches the engine after the API server's own time (`requestOverheadMs`); its TTFT
 * and end-to-end latency are measured from its arrival at the server, as a client sees them. A
 * client timeout aborts a request still unfinished at its deadline: vLLM frees its blocks when
 * the connection closes, and the work it had done is lost.
 *
 * @module
 */

import { type EngineConfig, EngineCore, Seq } from "./engine.ts";
import { type Deployment, deploymentCost, kvBlocks } from "./timing.ts";

/** One request of a simulated workload. */
export interface SimRequest {
  /** When it is sent (ms from the start). */
  atMs: number;
  /** Prompt tokens. */
  prompt: number;
  /** Output tokens (the server generates them all: `ignore_eos`). */
  output: number;
  /** Hashes of the prompt's full blocks, chained (null: shares nothing). */
  blockHashes: readonly number[] | null;
}

/** What became of one request. */
export interface SimResult {
  /** When it was sent (ms). */
  atMs: number;
  /** Prompt tokens. */
  prompt: number;
  /** Output tokens asked for. */
  output: number;
  /** Tokens generated before it ended. */
  generated: number;
  /** Prompt tokens served from the prefix cache. */
  cached: number;
  /** Time to first token (s), or null when none came. */
  ttft: number | null;
  /** End to end (s), or null when it did not complete. */
  e2e: number | null;
  /** `ok`, `timeout` (the client gave up), `rejected` (can never fit), or `unfinished`. */
  outcome: "ok" | "timeout" | "rejected" | "unfinished";
  /** Times it was preempted. */
  preemptions: number;
}

/** Options of {@linkcode simulate}. */
export interface SimOptions {
  /** The client's timeout per request (s); Infinity: none. */
  timeoutS?: number;
  /** Stop the clock here (ms): requests still running are `unfinished`. */
  horizonMs?: number;
  /** Sees every step: its start and end (ms) and the sequences running and waiting after it. */
  onStep?(startMs: number, endMs: number, running: number, waiting: number): void;
}

/** The engine config of a deployment: its flags, its KV blocks, its step cost. */
export function engineOf(d: Deployment): EngineConfig {
  return {
    maxNumSeqs: d.vllm.maxNumSeqs,
    maxBatchedTokens: d.vllm.maxBatchedTokens,
    stepBaseMs: 0,
    stepPerSeqMs: 0,
    stepPerPrefillTokenMs: 0,
    blockSize: d.vllm.blockSize,
    numBlocks: kvBlocks(d),
    prefixCaching: d.vllm.prefixCaching,
    admissionLag: d.vllm.asyncScheduling ? 1 : 0,
    cost: deploymentCost(d),
  };
}

/** Play `requests` (in send order) through the deployment in virtual time. */
export function simulate(
  d: Deployment,
  requests: readonly SimRequest[],
  opts: SimOptions = {},
): SimResult[] {
  return play(d, new EngineCore(engineOf(d)), requests, opts, 0).results;
}

/** Options of {@linkcode simulateStages}. */
export interface StageOptions extends SimOptions {
  /** Pause between one stage's last completion and the next stage's start (ms). */
  intervalMs?: number;
}

/**
 * Play stages one after another on one engine, as a load generator that waits for every
 * request of a stage before the next does: each stage's send times are relative to its start,
 * which is the previous stage's last completion (or timeout) plus `intervalMs`. The engine's
 * prefix cache carries over.
 */
export function simulateStages(
  d: Deployment,
  stages: readonly (readonly SimRequest[])[],
  opts: StageOptions = {},
): SimResult[][] {
  const core = new EngineCore(engineOf(d));
  let start = 0;
  return stages.map((requests) => {
    const origin = start;
    const shifted = requests.map((r) => ({ ...r, atMs: origin + r.atMs }));
    const { results, endMs } = play(d, core, shifted, opts, origin);
    start = endMs + (opts.intervalMs ?? 0);
    return results.map((r) => ({ ...r, atMs: r.atMs - origin }));
  });
}

/** Play requests through `core` from `startMs`; returns their results and when the last ended. */
function play(
  d: Deployment,
  core: EngineCore,
  requests: readonly SimRequest[],
  opts: SimOptions,
  startMs: number,
): { results: SimResult[]; endMs: number } {
  const overhead = d.coefficients.requestOverheadMs;
  const timeoutMs = (opts.timeoutS ?? Infinity) * 1000;
  const horizon = opts.horizonMs ?? Infinity;
  const results: SimResult[] = requests.map((r) => ({
    atMs: r.atMs,
    prompt: r.prompt,
    output: r.output,
    generated: 0,
    cached: 0,
    ttft: null,
    e2e: null,
    outcome: "unfinished",
    preemptions: 0,
  }));
  const seqs: (Seq | null)[] = new Array(requests.length).fill(null);
  let next = 0; // next request to reach the engine
  let expire = 0; // next request whose deadline may pass
  let now = startMs;
  let lastEnd = startMs;
  let stepEnd: number | null = null;
  let stepStart = startMs;
  const arrival = (i: number) => requests[i].atMs + overhead;
  const admit = (i: number) => {
    const r = requests[i], res = results[i];
    if (!core.fits(r.prompt, r.output) || r.prompt + r.output > d.vllm.maxModelLen) {
      res.outcome = "rejected";
      return;
    }
    const seq = new Seq(r.prompt, 0, r.output, arrival(i), {
      token: (k, at) => {
        res.generated = k + 1;
        if (k === 0) res.ttft = (at - r.atMs) / 1000;
      },
      done: (at) => {
        lastEnd = Math.max(lastEnd, at);
        res.e2e = (at - r.atMs) / 1000;
        res.outcome = "ok";
        res.cached = seq.cached;
        res.preemptions = seq.preemptions;
      },
    }, r.blockHashes);
    seqs[i] = seq;
    core.add(seq);
  };
  for (;;) {
    const nextArrival = next < requests.length ? arrival(next) : Infinity;
    const nextDeadline = expire < requests.length ? requests[expire].atMs + timeoutMs : Infinity;
    if (stepEnd === null) {
      // Idle: plan a step now, or jump to the next event.
      const ms = core.idle ? null : core.beginStep(now);
      if (ms !== null) {
        stepStart = now;
        stepEnd = now + ms;
        continue;
      }
      const t = Math.min(nextArrival, nextDeadline);
      if (t === Infinity || t > horizon) break;
      now = Math.max(now, t);
    } else {
      const t = Math.min(stepEnd, nextArrival, nextDeadline);
      if (t > horizon) break;
      if (t === stepEnd) {
        now = stepEnd;
        core.endStep(now);
        opts.onStep?.(stepStart, now, core.running.length, core.waitingCount);
        stepEnd = null;
        continue;
      }
      now = t;
    }
    if (nextArrival <= now) {
      admit(next++);
      continue;
    }
    if (nextDeadline <= now) {
      const seq = seqs[expire];
      const res = results[expire];
      if (res.outcome === "unfinished") {
        lastEnd = Math.max(lastEnd, now);
        res.outcome = "timeout";
        if (seq) {
          res.cached = seq.cached;
          res.preemptions = seq.preemptions;
          core.cancel(seq);
        }
      }
      expire++;
    }
  }
  return { results, endMs: lastEnd };
}
