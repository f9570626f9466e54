/**
 * The engine model of the embedded server: continuous batching as vLLM does it.
 *
 * One {@linkcode EngineCore} per replica keeps at most `maxNumSeqs` running sequences and a
 * FIFO waiting queue. Each step decodes one token for every running sequence past its prefill
 * and spends a prefill chunk of the per-step token budget (chunked prefill) on sequences
 * still prefilling, running ones first, then newly admitted ones. A step takes
 * `stepBaseMs + stepPerSeqMs × sequences in the step + stepPerPrefillTokenMs × prefill tokens
 * in the step`. A sequence's first token comes at the end of the step that finishes its
 * prefill, so TTFT = queue wait + prefill of the uncached prompt; TPOT grows with the batch.
 *
 * KV memory is counted in blocks of `blockSize` tokens: a running sequence holds
 * ceil((prompt + generated) / blockSize) blocks of `numBlocks`. A waiting sequence is admitted
 * only when its prompt's blocks fit; when a running sequence needs a block that is not there,
 * the newest running sequence is preempted (its blocks freed, recomputed later from the start,
 * as vLLM's recompute preemption).
 *
 * The core is pure: {@linkcode EngineCore.beginStep} plans a step and returns its length,
 * {@linkcode EngineCore.endStep} applies it at a given time. {@linkcode EngineDriver} runs it
 * on real timers; {@linkcode predictSaturation} runs it in virtual time.
 *
 * @module
 */

/** Parameters of the engine model. */
export interface EngineConfig {
  /** Most sequences running at once (vLLM `--max-num-seqs`). */
  maxNumSeqs: number;
  /** Token budget of one step: decodes plus prefill chunks (`--max-num-batched-tokens`). */
  maxBatchedTokens: number;
  /** Fixed cost of a step (ms). */
  stepBaseMs: number;
  /** Cost per sequence in the step (ms). */
  stepPerSeqMs: number;
  /** Cost per prefill token computed in the step (ms). */
  stepPerPrefillTokenMs: number;
  /** Tokens per KV block. */
  blockSize: number;
  /** KV blocks of one replica. */
  numBlocks: number;
}

/** The defaults: a small model on one GPU, in round numbers. */
export const DEFAULT_ENGINE: EngineConfig = Object.freeze({
  maxNumSeqs: 64,
  maxBatchedTokens: 2048,
  stepBaseMs: 4,
  stepPerSeqMs: 0.1,
  stepPerPrefillTokenMs: 0.01,
  blockSize: 16,
  numBlocks: 8192,
});

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
  /** Prompt tokens served from the prefix cache. */
  readonly cached: number;
  /** Tokens to generate. */
  readonly output: number;
  /** When it arrived (ms). */
  readonly arrivedAt: number;
  /** Where its tokens go. */
  readonly events: SeqEvents;
  /** Tokens generated so far. */
  generated = 0;
  /** Prefill tokens still to compute. */
  prefillLeft: number;
  /** KV blocks held. */
  blocks = 0;
  /** Times it was preempted. */
  preemptions = 0;
  /** Admission order (higher = newer); -1 while waiting. */
  admitted = -1;
  /** When it was first admitted (ms), for the queue time. */
  firstAdmittedAt: number | null = null;
  /** Removed (finished or cancelled). */
  gone = false;
  /** Prefill tokens this step. */
  chunk = 0;

  /** A request of `prompt` tokens (`cached` of them cached) that wants `output` tokens. */
  constructor(
    prompt: number,
    cached: number,
    output: number,
    arrivedAt: number,
    events: SeqEvents,
  ) {
    this.prompt = prompt;
    this.cached = Math.min(cached, prompt);
    this.output = Math.max(1, output);
    this.arrivedAt = arrivedAt;
    this.events = events;
    // The last prompt token is always computed, even when the whole prompt is cached.
    this.prefillLeft = Math.max(1, prompt - this.cached);
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

/** One replica's scheduler and KV accounting. */
export class EngineCore {
  /** Its parameters. */
  readonly config: EngineConfig;
  /** Running sequences, oldest admission first. */
  readonly running: Seq[] = [];
  /** Waiting sequences, FIFO (preempted ones go back to the front). */
  readonly waiting: Seq[] = [];
  /** KV blocks in use. */
  usedBlocks = 0;
  /** Preemptions so far. */
  preemptions = 0;
  /** Prompt tokens computed so far (recomputation included). */
  prefillTokens = 0;
  /** Tokens generated so far. */
  generatedTokens = 0;
  #order = 0;
  #step: { seqs: Seq[]; prefill: number } | null = null;

  /** An idle replica. */
  constructor(config: EngineConfig) {
    this.config = config;
  }

  /** Queue a sequence. */
  add(seq: Seq): void {
    this.waiting.push(seq);
  }

  /** Remove a sequence wherever it is (its client went away); frees its blocks. */
  cancel(seq: Seq): void {
    if (seq.gone) return;
    seq.gone = true;
    this.#release(seq);
    const w = this.waiting.indexOf(seq);
    if (w >= 0) this.waiting.splice(w, 1);
    const r = this.running.indexOf(seq);
    if (r >= 0) this.running.splice(r, 1);
  }

  /** True when a request of `prompt` + `output` tokens can ever fit in this replica's KV blocks. */
  fits(prompt: number, output: number): boolean {
    return this.#blocksFor(prompt + output) <= this.config.numBlocks;
  }

  /** Stop: every running and waiting sequence fails and leaves. */
  failAll(): void {
    for (const s of [...this.running, ...this.waiting]) {
      this.cancel(s);
      s.events.fail?.();
    }
  }

  /** True when nothing is running or waiting. */
  get idle(): boolean {
    return this.running.length === 0 && this.waiting.length === 0;
  }

  /** Share of KV blocks in use, in [0, 1]. */
  get usage(): number {
    return this.usedBlocks / this.config.numBlocks;
  }

  #blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.config.blockSize);
  }

  #release(seq: Seq): void {
    this.usedBlocks -= seq.blocks;
    seq.blocks = 0;
  }

  /** Preempt the newest running sequence: free its blocks, recompute it later. */
  #preemptNewest(): Seq | null {
    let newest: Seq | null = null;
    for (const s of this.running) if (!newest || s.admitted > newest.admitted) newest = s;
    if (!newest) return null;
    this.running.splice(this.running.indexOf(newest), 1);
    this.#release(newest);
    newest.preemptions++;
    this.preemptions++;
    newest.admitted = -1;
    // Recompute: the prompt and what was generated so far are prefilled again.
    newest.prefillLeft = newest.prompt + newest.generated;
    this.waiting.unshift(newest);
    return newest;
  }

  /**
   * Plan the next step: admit what fits, give decodes and prefill chunks their budget,
   * preempt if a running sequence needs a block that is not free. Returns the step's length
   * in ms, or null when there is nothing to do.
   */
  beginStep(now: number): number | null {
    const c = this.config;
    // Decoding sequences that cross into a new block need it now.
    for (let i = 0; i < this.running.length; i++) {
      const s = this.running[i];
      if (s.prefillLeft > 0) continue;
      const need = this.#blocksFor(s.prompt + s.generated + 1) - s.blocks;
      if (need <= 0) continue;
      while (this.usedBlocks + need > c.numBlocks) {
        const out = this.#preemptNewest();
        if (!out || out === s) break;
      }
      if (!this.running.includes(s)) {
        i--;
        continue;
      }
      if (this.usedBlocks + need <= c.numBlocks) {
        s.blocks += need;
        this.usedBlocks += need;
      }
    }
    let budget = c.maxBatchedTokens;
    const seqs: Seq[] = [];
    let prefill = 0;
    for (const s of this.running) {
      if (budget <= 0) break;
      if (s.prefillLeft > 0) {
        s.chunk = Math.min(s.prefillLeft, budget);
        prefill += s.chunk;
        budget -= s.chunk;
      } else {
        s.chunk = 0;
        budget -= 1;
      }
      seqs.push(s);
    }
    while (
      budget > 0 && this.waiting.length > 0 && this.running.length < c.maxNumSeqs
    ) {
      const s = this.waiting[0];
      const need = this.#blocksFor(s.prompt + s.generated + 1);
      if (this.usedBlocks + need > c.numBlocks) break;
      this.waiting.shift();
      s.blocks = need;
      this.usedBlocks += need;
      s.admitted = this.#order++;
      s.firstAdmittedAt ??= now;
      this.running.push(s);
      s.chunk = Math.min(s.prefillLeft, budget);
      prefill += s.chunk;
      budget -= s.chunk;
      seqs.push(s);
    }
    if (seqs.length === 0) {
      this.#step = null;
      return null;
    }
    this.#step = { seqs, prefill };
    return c.stepBaseMs + c.stepPerSeqMs * seqs.length + c.stepPerPrefillTokenMs * prefill;
  }

  /** Apply the planned step at `now`: prefill chunks land, tokens are emitted, done ones leave. */
  endStep(now: number): StepStats {
    const step = this.#step;
    this.#step = null;
    if (!step) return { seqs: 0, prefillTokens: 0, generated: 0 };
    let generated = 0;
    this.prefillTokens += step.prefill;
    for (const s of step.seqs) {
      if (s.gone || s.admitted < 0) continue; // cancelled or preempted meanwhile
      if (s.prefillLeft > 0) {
        s.prefillLeft -= s.chunk;
        s.chunk = 0;
        if (s.prefillLeft > 0) continue; // more prefill chunks to come
      }
      const index = s.generated++;
      generated++;
      s.events.token(index, now);
      if (s.generated >= s.output) {
        s.gone = true;
        this.#release(s);
        this.running.splice(this.running.indexOf(s), 1);
        s.events.done(now);
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
    if (!this.#running) {
      this.#running = true;
      queueMicrotask(() => this.#loop());
    }
  }

  async #loop(): Promise<void> {
    // Steps follow each other back to back on the model's own timeline: a late timer delays
    // when tokens are sent, never the schedule of later steps. An arrival while a step runs is
    // planned into the next one; the loop ends only when a plan finds nothing to do, and that
    // check and the end of the loop happen without an await between them.
    let start = this.#now();
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
  const core = new EngineCore(config);
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
