/**
 * The engine model: continuous batching as vLLM's V1 scheduler does it, on any step cost.
 *
 * One {@linkcode EngineCore} per replica keeps at most `maxNumSeqs` running sequences and a
 * FIFO waiting queue. Each step first gives every running sequence its tokens in order — one
 * for a decode, the rest of its prompt (up to the step's token budget, chunked prefill) for a
 * prefill — then, when nothing was preempted, admits waiting sequences while the budget, the
 * sequence limit and the KV blocks allow. A sequence's first token comes at the end of the step
 * that finishes its prefill; each later step adds one token.
 *
 * KV memory is a {@linkcode BlockPool} of `blockSize`-token blocks. A sequence holds the blocks
 * of the tokens it has computed and is computing; when a running sequence needs a block that is
 * not there, the last running sequence is preempted (its blocks freed, recomputed later from
 * the start), as vLLM's recompute preemption does. With prefix caching, the full blocks of a
 * prompt are registered under the hashes of their tokens; a later prompt starting with the same
 * blocks reuses them (a prompt fully cached still computes its last token).
 *
 * With `admissionLag` 1 (vLLM's asynchronous scheduling), the next step is planned while the
 * current one runs: a sequence arriving during a step can first run in the step after next.
 *
 * What a step costs is the config's {@linkcode StepCost}: a constant per step, sequence and
 * prefill token ({@linkcode simpleCost}, the `engine` profile), or the roofline of a model on a
 * GPU (`twin/timing.ts`). The core is pure: {@linkcode EngineCore.beginStep} plans a step and
 * returns its length, {@linkcode EngineCore.endStep} applies it at a given time.
 * {@linkcode EngineDriver} runs it on real timers; `twin/sim.ts` runs it in virtual time.
 *
 * @module
 */

import { BlockPool } from "./blocks.ts";

/** What one step does, as its cost depends on it. */
export interface StepShape {
  /** Tokens computed (decodes and prefill chunks). */
  tokens: number;
  /** Sequences in the step. */
  seqs: number;
  /** Sequences that produce a token at its end (logits computed for them). */
  sampled: number;
  /** Prefill tokens (prompt tokens, and recomputed ones). */
  prefillTokens: number;
  /** Σ over sequences of new tokens × (context before + (new tokens + 1) / 2): attention's work. */
  attnWork: number;
  /** Σ over sequences of the KV tokens attention reads (context before + new tokens). */
  kvTokens: number;
}

/** The length of a step (ms) from what it does. */
export type StepCost = (shape: StepShape) => number;

/** Parameters of the engine model. */
export interface EngineConfig {
  /** Most sequences running at once (vLLM `--max-num-seqs`). */
  maxNumSeqs: number;
  /** Token budget of one step: decodes plus prefill chunks (`--max-num-batched-tokens`). */
  maxBatchedTokens: number;
  /** Fixed cost of a step (ms), for {@linkcode simpleCost}. */
  stepBaseMs: number;
  /** Cost per sequence in the step (ms), for {@linkcode simpleCost}. */
  stepPerSeqMs: number;
  /** Cost per prefill token computed in the step (ms), for {@linkcode simpleCost}. */
  stepPerPrefillTokenMs: number;
  /** Tokens per KV block. */
  blockSize: number;
  /** KV blocks of one replica. */
  numBlocks: number;
  /** Reuse cached full prompt blocks (vLLM's automatic prefix caching; default false). */
  prefixCaching?: boolean;
  /** Steps a new sequence waits before it can run: 1 with asynchronous scheduling (default 0). */
  admissionLag?: 0 | 1;
  /** What a step costs (default {@linkcode simpleCost} of the constants above). */
  cost?: StepCost;
}

/** The defaults of the `engine` profile: a small model on one GPU, in round numbers. */
export const DEFAULT_ENGINE: EngineConfig = Object.freeze({
  maxNumSeqs: 64,
  maxBatchedTokens: 2048,
  stepBaseMs: 4,
  stepPerSeqMs: 0.1,
  stepPerPrefillTokenMs: 0.01,
  blockSize: 16,
  numBlocks: 8192,
});

/** A step cost of constants: base + per sequence × sequences + per prefill token × tokens. */
export function simpleCost(
  c: Pick<EngineConfig, "stepBaseMs" | "stepPerSeqMs" | "stepPerPrefillTokenMs">,
): StepCost {
  return (s) => c.stepBaseMs + c.stepPerSeqMs * s.seqs + c.stepPerPrefillTokenMs * s.prefillTokens;
}

/** What the engine tells a sequence's owner. */
export interface SeqEvents {
  /** Token `index` (0-based) was generated at `atMs`. */
  token(index: number, atMs: number): void;
  /** Every token is out. */
  done(atMs: number): void;
  /** The engine stopped (server shutdown) before the sequence finished. */
  fail?(): void;
}

/** One request in the engine. */
export class Seq {
  /** Prompt tokens. */
  readonly prompt: number;
  /** Tokens to generate. */
  readonly output: number;
  /** When it arrived (ms). */
  readonly arrivedAt: number;
  /** Where its tokens go. */
  readonly events: SeqEvents;
  /**
   * Hashes of its prompt's full blocks, each chained with those before it (null: content no
   * other prompt shares, never cached).
   */
  readonly blockHashes: readonly number[] | null;
  /** Prompt tokens served from a cache the core does not keep (prefix caching off). */
  readonly externalCached: number;
  /** Prompt tokens served from the prefix cache at its first admission. */
  cached = 0;
  /** Tokens generated so far. */
  generated = 0;
  /** Tokens whose KV is computed (cached ones included). */
  computed = 0;
  /** KV blocks held, in token order. */
  blocks: number[] = [];
  /** Prompt blocks registered in the prefix cache so far. */
  registered = 0;
  /** Times it was preempted. */
  preemptions = 0;
  /** Admission order (higher = newer); -1 while waiting. */
  admitted = -1;
  /** When it was first admitted (ms), for the queue time. */
  firstAdmittedAt: number | null = null;
  /** Removed (finished or cancelled). */
  gone = false;
  /** Tokens scheduled in the planned step. */
  chunk = 0;

  /**
   * A request of `prompt` tokens that wants `output` tokens; `cached` of its prompt served from
   * a cache outside the core (used when the core keeps none), `blockHashes` its prompt's blocks.
   */
  constructor(
    prompt: number,
    cached: number,
    output: number,
    arrivedAt: number,
    events: SeqEvents,
    blockHashes: readonly number[] | null = null,
  ) {
    this.prompt = Math.max(1, prompt);
    this.externalCached = Math.max(0, Math.min(cached, this.prompt - 1));
    this.output = Math.max(1, output);
    this.arrivedAt = arrivedAt;
    this.events = events;
    this.blockHashes = blockHashes;
  }

  /** Tokens the sequence has: its prompt and what it generated. */
  get tokens(): number {
    return this.prompt + this.generated;
  }

  /** True while its prompt (or a recomputation) is being prefilled. */
  get prefilling(): boolean {
    return this.computed < this.tokens - 1;
  }
}

/** What one step did, for metrics. */
export interface StepStats {
  /** Sequences in the step. */
  seqs: number;
  /** Prefill tokens computed. */
  prefillTokens: number;
  /** Tokens generated. */
  generated: number;
}

/** A queue with cheap removal at both ends (the waiting queue). */
class Deque<T> {
  #items: (T | undefined)[] = new Array(16);
  #head = 0;
  #size = 0;

  get length(): number {
    return this.#size;
  }

  at(i: number): T {
    return this.#items[(this.#head + i) % this.#items.length]!;
  }

  push(x: T): void {
    this.#grow();
    this.#items[(this.#head + this.#size++) % this.#items.length] = x;
  }

  unshift(x: T): void {
    this.#grow();
    this.#head = (this.#head - 1 + this.#items.length) % this.#items.length;
    this.#items[this.#head] = x;
    this.#size++;
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const x = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#items.length;
    this.#size--;
    return x;
  }

  /** Remove one item wherever it is (a cancellation: rare). */
  remove(x: T): boolean {
    const all = this.toArray();
    const i = all.indexOf(x);
    if (i < 0) return false;
    all.splice(i, 1);
    this.#items = new Array(Math.max(16, this.#items.length));
    this.#head = 0;
    this.#size = 0;
    for (const y of all) this.push(y);
    return true;
  }

  toArray(): T[] {
    return Array.from({ length: this.#size }, (_, i) => this.at(i));
  }

  #grow(): void {
    if (this.#size < this.#items.length) return;
    const all = this.toArray();
    this.#items = new Array(this.#items.length * 2);
    this.#head = 0;
    for (let i = 0; i < all.length; i++) this.#items[i] = all[i];
  }
}

/** One replica's scheduler and KV accounting. */
export class EngineCore {
  /** Its parameters. */
  readonly config: EngineConfig;
  /** Its KV blocks and prefix cache. */
  readonly pool: BlockPool;
  /** Running sequences, oldest admission first. */
  readonly running: Seq[] = [];
  /** Waiting sequences, FIFO (preempted ones go back to the front). */
  readonly #waiting = new Deque<Seq>();
  /** Preemptions so far. */
  preemptions = 0;
  /** Tokens computed as prefill so far (recomputation included). */
  prefillTokens = 0;
  /** Tokens generated so far. */
  generatedTokens = 0;
  /** Prompt tokens of admitted sequences so far (prefix-cache queries). */
  queriedTokens = 0;
  /** Prompt tokens served from the prefix cache so far (hits). */
  hitTokens = 0;
  readonly #cost: StepCost;
  #order = 0;
  #step: { seqs: Seq[]; prefill: number } | null = null;
  /** When the last planned step starts and ends (ms): the asynchronous scheduler's horizon. */
  #lastStart = -Infinity;
  #lastEnd = -Infinity;

  /** An idle replica. */
  constructor(config: EngineConfig) {
    this.config = config;
    this.pool = new BlockPool(config.numBlocks);
    this.#cost = config.cost ?? simpleCost(config);
  }

  /** Waiting sequences (a copy, in queue order). */
  get waiting(): Seq[] {
    return this.#waiting.toArray();
  }

  /** Sequences waiting. */
  get waitingCount(): number {
    return this.#waiting.length;
  }

  /** KV blocks in use. */
  get usedBlocks(): number {
    return this.pool.used;
  }

  /** Queue a sequence. */
  add(seq: Seq): void {
    this.#waiting.push(seq);
  }

  /** Remove a sequence wherever it is (its client went away); frees its blocks. */
  cancel(seq: Seq): void {
    if (seq.gone) return;
    seq.gone = true;
    this.#release(seq);
    if (!this.#waiting.remove(seq)) {
      const r = this.running.indexOf(seq);
      if (r >= 0) this.running.splice(r, 1);
    }
  }

  /** True when a request of `prompt` + `output` tokens can ever fit in this replica's KV blocks. */
  fits(prompt: number, output: number): boolean {
    return this.#blocksFor(prompt + output) <= this.config.numBlocks;
  }

  /** Stop: every running and waiting sequence fails and leaves. */
  failAll(): void {
    for (const s of [...this.running, ...this.#waiting.toArray()]) {
      this.cancel(s);
      s.events.fail?.();
    }
  }

  /** True when nothing is running or waiting. */
  get idle(): boolean {
    return this.running.length === 0 && this.#waiting.length === 0;
  }

  /** Share of KV blocks in use, in [0, 1]. */
  get usage(): number {
    return this.pool.used / this.config.numBlocks;
  }

  /** Forget the prefix cache (blocks in use stay in use). */
  resetCache(): void {
    this.pool.reset();
  }

  #blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.config.blockSize);
  }

  #release(seq: Seq): void {
    // Last block first, as vLLM frees them: a prompt's tail is evicted before its shared head.
    for (let i = seq.blocks.length - 1; i >= 0; i--) this.pool.release(seq.blocks[i]);
    seq.blocks = [];
  }

  /** Preempt the last running sequence: free its blocks, recompute it later. */
  #preemptLast(): Seq {
    const s = this.running.pop()!;
    this.#release(s);
    s.registered = 0;
    s.computed = 0;
    s.preemptions++;
    this.preemptions++;
    s.admitted = -1;
    this.#waiting.unshift(s);
    return s;
  }

  /** Give `seq` the blocks for `n` more tokens; false when the pool has too few free. */
  #allocate(seq: Seq, n: number): boolean {
    const need = this.#blocksFor(seq.computed + n) - seq.blocks.length;
    if (need <= 0) return true;
    if (need > this.pool.free) return false;
    for (let i = 0; i < need; i++) seq.blocks.push(this.pool.allocate());
    return true;
  }

  /** Cached full prompt blocks a waiting sequence can start from (at most all but its last token). */
  #hits(seq: Seq): number[] {
    const hashes = seq.blockHashes;
    if (!this.config.prefixCaching || !hashes) return [];
    const most = Math.min(hashes.length, Math.floor((seq.tokens - 1) / this.config.blockSize));
    const out: number[] = [];
    for (let i = 0; i < most; i++) {
      const b = this.pool.lookup(hashes[i]);
      if (b < 0) break;
      out.push(b);
    }
    return out;
  }

  /**
   * Plan the next step at `now`: running sequences first, then admissions when nothing was
   * preempted. Returns the step's length in ms, or null when there is nothing to do.
   */
  beginStep(now: number): number | null {
    // With asynchronous scheduling, a step following another at once was planned when that one
    // started; after an idle gap (or with nothing else to run) the plan is made now.
    // With nothing else to run, whatever waits is admitted: on real timers the model's clock can
    // run behind the arrivals' own, and a sequence left waiting with no step to come would hang.
    const lagged = this.config.admissionLag === 1 && this.#lastEnd === now;
    const ms = this.#plan(now, lagged ? this.#lastStart : now);
    return ms === null && this.#waiting.length > 0 ? this.#plan(now, Infinity) : ms;
  }

  #plan(now: number, horizon: number): number | null {
    const c = this.config;
    let budget = c.maxBatchedTokens;
    const seqs: Seq[] = [];
    const shape: StepShape = {
      tokens: 0,
      seqs: 0,
      sampled: 0,
      prefillTokens: 0,
      attnWork: 0,
      kvTokens: 0,
    };
    let preempted = false;
    for (let i = 0; i < this.running.length && budget > 0; i++) {
      const s = this.running[i];
      const n = Math.min(s.tokens - s.computed, budget);
      if (n <= 0) continue;
      let ok = this.#allocate(s, n);
      while (!ok) {
        preempted = true;
        const out = this.#preemptLast();
        if (out === s) break;
        ok = this.#allocate(s, n);
      }
      if (!ok) break; // `s` itself was preempted: it was the last
      this.#schedule(s, n, seqs, shape);
      budget -= n;
    }
    if (!preempted) {
      while (budget > 0 && this.#waiting.length > 0 && this.running.length < c.maxNumSeqs) {
        const s = this.#waiting.at(0);
        // A sequence that arrived after the plan's horizon is not seen yet.
        if (s.preemptions === 0 && s.arrivedAt > horizon) break;
        const hits = this.#hits(s);
        const fromCache = hits.length * c.blockSize;
        const computed = hits.length > 0 ? fromCache : c.prefixCaching ? 0 : s.externalCached;
        const n = Math.min(s.tokens - computed, budget);
        // Free hits are taken out of the free queue, so they cannot be allocated as well.
        const freeHits = hits.reduce((k, b) => k + (this.pool.isFree(b) ? 1 : 0), 0);
        const need = this.#blocksFor(computed + n) - hits.length;
        if (need > this.pool.free - freeHits) break;
        this.#waiting.shift();
        for (const b of hits) this.pool.hold(b);
        s.blocks = [...hits];
        s.registered = hits.length;
        s.computed = computed;
        if (s.firstAdmittedAt === null) {
          s.cached = computed;
          this.queriedTokens += s.prompt;
          this.hitTokens += computed;
          s.firstAdmittedAt = now;
        }
        this.#allocate(s, n);
        s.admitted = this.#order++;
        this.running.push(s);
        this.#schedule(s, n, seqs, shape);
        budget -= n;
      }
    }
    if (seqs.length === 0) {
      this.#step = null;
      return null;
    }
    const ms = this.#cost(shape);
    this.#lastStart = now;
    this.#lastEnd = now + ms;
    this.#step = { seqs, prefill: shape.prefillTokens };
    return ms;
  }

  #schedule(s: Seq, n: number, seqs: Seq[], shape: StepShape): void {
    s.chunk = n;
    seqs.push(s);
    shape.tokens += n;
    shape.seqs++;
    const before = s.computed;
    if (before + n >= s.tokens) shape.sampled++;
    // Every token but the one the last step generated is prefill (or its recomputation).
    const last = s.generated > 0 ? s.tokens - 1 : s.tokens;
    const prefill = Math.max(0, Math.min(before + n, last) - before);
    shape.prefillTokens += prefill;
    shape.attnWork += n * (before + (n + 1) / 2);
    shape.kvTokens += before + n;
  }

  /** Apply the planned step at `now`: prefill chunks land, tokens are emitted, done ones leave. */
  endStep(now: number): StepStats {
    const step = this.#step;
    this.#step = null;
    if (!step) return { seqs: 0, prefillTokens: 0, generated: 0 };
    let generated = 0;
    this.prefillTokens += step.prefill;
    let finished = false;
    const bs = this.config.blockSize;
    for (const s of step.seqs) {
      if (s.gone || s.admitted < 0) continue; // cancelled or preempted meanwhile
      s.computed += s.chunk;
      s.chunk = 0;
      const hashes = s.blockHashes;
      if (hashes && this.config.prefixCaching) {
        const full = Math.min(Math.floor(s.computed / bs), hashes.length);
        for (; s.registered < full; s.registered++) {
          this.pool.register(s.blocks[s.registered], hashes[s.registered]);
        }
      }
      if (s.computed < s.tokens) continue; // more prefill to come
      const index = s.generated++;
      generated++;
      s.events.token(index, now);
      if (s.generated >= s.output) {
        s.gone = true;
        this.#release(s);
        finished = true;
        s.events.done(now);
      }
    }
    if (finished) {
      for (let i = this.running.length - 1; i >= 0; i--) {
        if (this.running[i].gone) this.running.splice(i, 1);
      }
    }
    this.generatedTokens += generated;
    return { seqs: step.seqs.length, prefillTokens: step.prefill, generated };
  }
}

/** Milliseconds of due steps run back to back, at most, before the driver yields to I/O. */
const DUE_RUN_MS = 4;

/** How a driver waits: until a deadline, false when it should stop. */
export type SleepUntil = (deadlineMs: number) => Promise<boolean>;

/** Runs one {@linkcode EngineCore} step after step on a clock, while it has work. */
export class EngineDriver {
  /** The replica's core. */
  readonly core: EngineCore;
  readonly #now: () => number;
  readonly #sleepUntil: SleepUntil;
  readonly #onStep: (stats: StepStats, startMs: number, endMs: number) => void;
  readonly #due: (deadlineMs: number) => boolean;
  #running = false;
  /** End of the last step run (ms): the next step cannot start before it. */
  #lastEnd = -Infinity;
  readonly #flushes = new Set<() => void>();

  /**
   * A driver of `core` on `now` and `sleepUntil`; `onStep` sees every step; `due` says whether
   * a deadline has passed (default: `now()` has reached it).
   */
  constructor(
    core: EngineCore,
    now: () => number,
    sleepUntil: SleepUntil,
    onStep: (stats: StepStats, startMs: number, endMs: number) => void = () => {},
    due?: (deadlineMs: number) => boolean,
  ) {
    this.core = core;
    this.#now = now;
    this.#sleepUntil = sleepUntil;
    this.#onStep = onStep;
    this.#due = due ?? ((d) => d <= now());
  }

  /**
   * Run `flush` once before the loop next yields to I/O (or stops): a stream that gathers the
   * chunks of steps run back to back sends them in one write.
   */
  beforeYield(flush: () => void): void {
    this.#flushes.add(flush);
  }

  #flush(): void {
    if (this.#flushes.size === 0) return;
    const all = [...this.#flushes];
    this.#flushes.clear();
    for (const f of all) f();
  }

  /** Queue a sequence and make sure the step loop runs. */
  submit(seq: Seq): void {
    this.core.add(seq);
    this.#wake(seq.arrivedAt);
  }

  #wake(arrivedAt: number): void {
    if (!this.#running) {
      this.#running = true;
      // An idle engine starts its next step when the sequence arrived on the model's timeline
      // (a timer that woke late does not delay it), never before its last step ended.
      const start = Math.max(this.#lastEnd, Math.min(this.#now(), arrivedAt));
      queueMicrotask(() => this.#loop(start));
    }
  }

  async #loop(from: number): Promise<void> {
    // Steps follow each other back to back on the model's own timeline: a late timer delays
    // when tokens are sent, never the schedule of later steps. An arrival while a step runs is
    // planned into the next one; the loop ends only when a plan finds nothing to do, and that
    // check and the end of the loop happen without an await between them.
    let start = from;
    let yielded = start;
    try {
      for (;;) {
        const ms = this.core.beginStep(start);
        if (ms === null) return;
        const end = start + ms;
        // A step already due (the loop is behind, or steps take no time) runs at once: chained
        // timers are clamped to 4 ms, which would cap the engine at 250 steps/s. Due steps
        // still yield to I/O after DUE_RUN_MS of running back to back.
        if (!this.#due(end) || this.#now() - yielded >= DUE_RUN_MS) {
          this.#flush();
          if (!(await this.#sleepUntil(end))) {
            this.core.failAll();
            return;
          }
          yielded = this.#now();
        }
        this.#onStep(this.core.endStep(end), start, end);
        start = end;
        this.#lastEnd = end;
      }
    } finally {
      this.#running = false;
      this.#flush();
    }
  }
}

/** What {@linkcode predictSaturation} says about one replica at saturation. */
export interface SaturationPrediction {
  /** Prompt tokens of each request (all uncached). */
  isl: number;
  /** Output tokens of each request. */
  osl: number;
  /** Completed requests per second. */
  requestsPerSecond: number;
  /** Output tokens per second. */
  outputTokensPerSecond: number;
  /** Mean time per output token after the first, at saturation (ms). */
  tpotMs: number;
  /** Mean sequences per step at saturation. */
  meanBatch: number;
}

/**
 * The model's own saturation throughput for one replica: the engine run in virtual time
 * with more requests waiting than it can run, measured over the second half of `requests`
 * completions (the first half fills the batch).
 */
export function predictSaturation(
  config: EngineConfig,
  isl: number,
  osl: number,
  requests = Math.max(400, config.maxNumSeqs * 12),
): SaturationPrediction {
  const core = new EngineCore({ ...config, admissionLag: 0 });
  let now = 0;
  let done = 0;
  const ends: number[] = [];
  let tokensInWindow = 0, windowStart = -1;
  let steps = 0, seqSum = 0;
  let tpotSum = 0, tpotN = 0;
  const inFlight = Math.max(config.maxNumSeqs * 2, 1);
  let submitted = 0;
  const submit = () => {
    submitted++;
    let first = 0;
    core.add(
      new Seq(isl, 0, osl, now, {
        token: (i, at) => {
          if (i === 0) first = at;
          if (windowStart >= 0) tokensInWindow++;
        },
        done: (at) => {
          done++;
          ends.push(at);
          if (windowStart >= 0 && osl > 1) {
            tpotSum += (at - first) / (osl - 1);
            tpotN++;
          }
        },
      }),
    );
  };
  for (let i = 0; i < inFlight; i++) submit();
  const half = Math.floor(requests / 2);
  while (done < requests) {
    const ms = core.beginStep(now);
    if (ms === null) break;
    now += ms;
    const stats = core.endStep(now);
    if (windowStart >= 0) {
      steps++;
      seqSum += stats.seqs;
    }
    if (windowStart < 0 && done >= half) windowStart = now;
    while (submitted - done < inFlight && submitted < requests + inFlight) submit();
  }
  const windowCompletions = ends.filter((t) => t > windowStart).length;
  const seconds = (now - windowStart) / 1000;
  return {
    isl,
    osl,
    requestsPerSecond: seconds > 0 ? windowCompletions / seconds : 0,
    outputTokensPerSecond: seconds > 0 ? tokensInWindow / seconds : 0,
    tpotMs: tpotN ? tpotSum / tpotN : 0,
    meanBatch: steps ? seqSum / steps : 0,
  };
}
