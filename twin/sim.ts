/**
 * The twin in virtual time: requests with send times played through one engine core on a
 * deployment's step cost, with no timer and no HTTP. What `predict` and the calibration run.
 *
 * A {@linkcode VirtualServer} is one replica that keeps its engine (its prefix cache, its clock)
 * from one batch of requests to the next, as a server does between tests. Requests are sent at
 * their times; one that ends may send others (a closed loop's next request, a session's next
 * turn) through its `onEnd`. A request reaches the engine after the API server's own time
 * (`requestOverheadMs`); its TTFT and end-to-end latency are measured from its send, as a
 * client sees them. A client timeout aborts a request still unfinished at its deadline: vLLM
 * frees its blocks when the connection closes, and the work it had done is lost.
 *
 * @module
 */

import { type EngineConfig, EngineCore, Seq } from "./engine.ts";
import { type Deployment, deploymentCost, kvBlocks } from "./timing.ts";

/** One request of a simulated workload. */
export interface SimRequest {
  /** When it is sent (ms). */
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
  /** When each token came (ms), when asked for. */
  tokenTimes?: number[];
}

/** Options of a {@linkcode VirtualServer}. */
export interface SimOptions {
  /** The client's timeout per request (s); Infinity: none. */
  timeoutS?: number;
  /** Keep every token's time in its result (`tokenTimes`). */
  tokenTimes?: boolean;
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

/** A binary min-heap of (time, value), ties in insertion order. */
class TimeHeap<T> {
  #t: number[] = [];
  #seq: number[] = [];
  #v: T[] = [];
  #n = 0;

  get size(): number {
    return this.#t.length;
  }

  /** The earliest time, or Infinity. */
  peek(): number {
    return this.#t.length ? this.#t[0] : Infinity;
  }

  push(t: number, v: T): void {
    const ts = this.#t, ss = this.#seq, vs = this.#v;
    let i = ts.length;
    const s = this.#n++;
    ts.push(t);
    ss.push(s);
    vs.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (ts[p] < t || (ts[p] === t && ss[p] < s)) break;
      ts[i] = ts[p];
      ss[i] = ss[p];
      vs[i] = vs[p];
      i = p;
    }
    ts[i] = t;
    ss[i] = s;
    vs[i] = v;
  }

  pop(): T {
    const ts = this.#t, ss = this.#seq, vs = this.#v;
    const top = vs[0];
    const lt = ts.pop()!, ls = ss.pop()!, lv = vs.pop()!;
    const n = ts.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const a = 2 * i + 1;
        if (a >= n) break;
        const b = a + 1;
        const c = b < n && (ts[b] < ts[a] || (ts[b] === ts[a] && ss[b] < ss[a])) ? b : a;
        if (ts[c] > lt || (ts[c] === lt && ss[c] > ls)) break;
        ts[i] = ts[c];
        ss[i] = ss[c];
        vs[i] = vs[c];
        i = c;
      }
      ts[i] = lt;
      ss[i] = ls;
      vs[i] = lv;
    }
    return top;
  }
}

/** A request in flight in the virtual server. */
interface Pending {
  request: SimRequest;
  result: SimResult;
  seq: Seq | null;
  onEnd?: (result: SimResult, atMs: number) => void;
}

/**
 * One replica of a deployment in virtual time. {@linkcode send} queues requests;
 * {@linkcode run} plays every event until nothing is left to do.
 */
export class VirtualServer {
  /** The deployment. */
  readonly deployment: Deployment;
  /** Its engine (the prefix cache persists across runs). */
  readonly core: EngineCore;
  readonly #timeoutMs: number;
  readonly #keepTimes: boolean;
  readonly #arrivals = new TimeHeap<Pending>();
  readonly #deadlines = new TimeHeap<Pending>();
  #now = 0;
  #stepEnd: number | null = null;
  #lastEnd = 0;

  /** An idle replica at time 0. */
  constructor(d: Deployment, opts: SimOptions = {}) {
    this.deployment = d;
    this.core = new EngineCore(engineOf(d));
    this.#timeoutMs = (opts.timeoutS ?? Infinity) * 1000;
    this.#keepTimes = opts.tokenTimes ?? false;
  }

  /** Now on the virtual clock (ms). */
  get now(): number {
    return this.#now;
  }

  /** When the last request ended (ms). */
  get lastEnd(): number {
    return this.#lastEnd;
  }

  /**
   * Send a request at `request.atMs` (not before now); `onEnd` sees it end (completed, timed
   * out or rejected) and may send more. Returns its result, filled in as it runs.
   */
  send(request: SimRequest, onEnd?: (result: SimResult, atMs: number) => void): SimResult {
    const atMs = Math.max(request.atMs, this.#now);
    const result: SimResult = {
      atMs,
      prompt: request.prompt,
      output: request.output,
      generated: 0,
      cached: 0,
      ttft: null,
      e2e: null,
      outcome: "unfinished",
      preemptions: 0,
    };
    if (this.#keepTimes) result.tokenTimes = [];
    const p: Pending = { request: { ...request, atMs }, result, seq: null, onEnd };
    this.#arrivals.push(atMs + this.deployment.coefficients.requestOverheadMs, p);
    if (Number.isFinite(this.#timeoutMs)) this.#deadlines.push(atMs + this.#timeoutMs, p);
    return result;
  }

  /** Play events until no request is pending and the engine is idle (or `untilMs`). */
  run(untilMs = Infinity): void {
    const core = this.core;
    for (;;) {
      const arrival = this.#arrivals.peek();
      const deadline = this.#deadlines.peek();
      if (this.#stepEnd === null) {
        const ms = core.idle ? null : core.beginStep(this.#now);
        if (ms !== null) {
          this.#stepEnd = this.#now + ms;
          continue;
        }
        const t = Math.min(arrival, deadline);
        if (t === Infinity || t > untilMs) return;
        this.#now = Math.max(this.#now, t);
      } else {
        const t = Math.min(this.#stepEnd, arrival, deadline);
        if (t > untilMs) return;
        if (t === this.#stepEnd) {
          this.#now = this.#stepEnd;
          this.#stepEnd = null;
          core.endStep(this.#now);
          continue;
        }
        this.#now = t;
      }
      if (this.#arrivals.peek() <= this.#now) {
        this.#admit(this.#arrivals.pop(), this.#now);
      } else if (this.#deadlines.peek() <= this.#now) {
        const p = this.#deadlines.pop();
        if (p.result.outcome === "unfinished") {
          p.result.outcome = "timeout";
          if (p.seq) {
            p.result.cached = p.seq.cached;
            p.result.preemptions = p.seq.preemptions;
            core.cancel(p.seq);
          }
          this.#end(p, this.#now);
        }
      }
    }
  }

  #end(p: Pending, at: number): void {
    this.#lastEnd = Math.max(this.#lastEnd, at);
    p.onEnd?.(p.result, at);
  }

  #admit(p: Pending, now: number): void {
    const { request: r, result: res } = p;
    if (res.outcome !== "unfinished") return; // timed out before it reached the engine
    const d = this.deployment;
    if (!this.core.fits(r.prompt, r.output) || r.prompt + r.output > d.vllm.maxModelLen) {
      res.outcome = "rejected";
      this.#end(p, now);
      return;
    }
    const times = res.tokenTimes;
    const seq = new Seq(r.prompt, 0, r.output, now, {
      token: (k, at) => {
        res.generated = k + 1;
        if (k === 0) res.ttft = (at - r.atMs) / 1000;
        times?.push(at);
      },
      done: (at) => {
        res.e2e = (at - r.atMs) / 1000;
        res.outcome = "ok";
        res.cached = seq.cached;
        res.preemptions = seq.preemptions;
        this.#end(p, at);
      },
    }, r.blockHashes);
    p.seq = seq;
    this.core.add(seq);
  }
}

/** Play `requests` (send times from 0) through a fresh replica of the deployment. */
export function simulate(
  d: Deployment,
  requests: readonly SimRequest[],
  opts: SimOptions = {},
): SimResult[] {
  const server = new VirtualServer(d, opts);
  const results = requests.map((r) => server.send(r));
  server.run();
  return results;
}

/** Options of {@linkcode simulateStages}. */
export interface StageOptions extends SimOptions {
  /** Pause between one stage's last completion and the next stage's start (ms). */
  intervalMs?: number;
}

/**
 * Play stages one after another on one replica, as a load generator that waits for every
 * request of a stage before the next does: each stage's send times are relative to its start,
 * which is the previous stage's last completion (or timeout) plus `intervalMs`. The engine's
 * prefix cache carries over. Results' send times are relative to their stage's start.
 */
export function simulateStages(
  d: Deployment,
  stages: readonly (readonly SimRequest[])[],
  opts: StageOptions = {},
): SimResult[][] {
  const server = new VirtualServer(d, opts);
  let start = 0;
  return stages.map((requests) => {
    const origin = start;
    const results = requests.map((r) => server.send({ ...r, atMs: origin + r.atMs }));
    server.run();
    start = Math.max(server.now, server.lastEnd) + (opts.intervalMs ?? 0);
    for (const r of results) r.atMs -= origin;
    return results;
  });
}
