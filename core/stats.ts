/**
 * Statistics: exact percentiles by linear interpolation between closest ranks (numpy's
 * default), distribution summaries, request-record aggregation and simple regression.
 *
 * A {@linkcode Distribution} keeps raw samples up to a cap; beyond it, summaries come from a
 * bounded histogram and say so in `source`.
 *
 * @module
 */

import { ERROR_CLASSES, type Outcome, OUTCOMES, type RequestRecord } from "./record.ts";

/** The percentiles every summary carries, as fractions. */
export const PERCENTILES = [0.5, 0.9, 0.95, 0.99, 0.999] as const;

/** Summary of one distribution. Values are in the unit of the samples (seconds for times). */
export interface Summary {
  /** Number of samples. */
  count: number;
  /** Arithmetic mean; 0 when empty. */
  mean: number;
  /** Smallest sample; 0 when empty. */
  min: number;
  /** Largest sample; 0 when empty. */
  max: number;
  /** Population standard deviation (ddof 0, as numpy and vLLM); 0 when empty. */
  stdev: number;
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 95th percentile. */
  p95: number;
  /** 99th percentile. */
  p99: number;
  /** 99.9th percentile. */
  p999: number;
  /** `exact` when computed from every raw sample, `histogram` when from a bounded histogram. */
  source: "exact" | "histogram";
  /** Relative error bound of the percentiles (0 when exact). */
  relative_error: number;
}

/**
 * Percentile of an ascending-sorted array by linear interpolation between closest ranks
 * (numpy `method="linear"`, Excel PERCENTILE.INC). `p` is a fraction in [0, 1].
 * An empty array gives 0.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  if (p <= 0) return sorted[0];
  if (p >= 1) return sorted[n - 1];
  const k = (n - 1) * p;
  const f = Math.floor(k);
  const c = k - f;
  if (f + 1 < n) return sorted[f] + (sorted[f + 1] - sorted[f]) * c;
  return sorted[f];
}

/** Percentile of an unsorted array (copies and sorts it). */
export function percentile(values: ArrayLike<number>, p: number): number {
  return percentileSorted(Float64Array.from(values).sort(), p);
}

/** Summary of the given samples, computed exactly. */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  return summarizeSorted(sorted);
}

/** Summary of ascending-sorted samples, computed exactly. */
export function summarizeSorted(sorted: ArrayLike<number>): Summary {
  const n = sorted.length;
  if (n === 0) return emptySummary();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (sorted[i] - mean) ** 2;
  return {
    count: n,
    mean,
    min: sorted[0],
    max: sorted[n - 1],
    stdev: Math.sqrt(sq / n),
    p50: percentileSorted(sorted, 0.5),
    p90: percentileSorted(sorted, 0.9),
    p95: percentileSorted(sorted, 0.95),
    p99: percentileSorted(sorted, 0.99),
    p999: percentileSorted(sorted, 0.999),
    source: "exact",
    relative_error: 0,
  };
}

/** The summary of no samples: every value 0. */
export function emptySummary(): Summary {
  return {
    count: 0,
    mean: 0,
    min: 0,
    max: 0,
    stdev: 0,
    p50: 0,
    p90: 0,
    p95: 0,
    p99: 0,
    p999: 0,
    source: "exact",
    relative_error: 0,
  };
}

/** Default number of raw samples a {@linkcode Distribution} keeps before it stops keeping them. */
export const DEFAULT_RAW_CAP = 200_000;

/**
 * A growing set of samples. Keeps raw values up to `rawCap` for exact percentiles, and always
 * keeps running count, sum, sum of squares, min and max.
 */
export class Distribution {
  #raw: number[] = [];
  #rawCap: number;
  #count = 0;
  #sum = 0;
  #sumSq = 0;
  #min = Infinity;
  #max = -Infinity;

  /** Create an empty distribution that keeps at most `rawCap` raw samples. */
  constructor(rawCap = DEFAULT_RAW_CAP) {
    this.#rawCap = rawCap;
  }

  /** Add one sample. Non-finite values are ignored. */
  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.#count++;
    this.#sum += value;
    this.#sumSq += value * value;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    if (this.#raw.length < this.#rawCap) this.#raw.push(value);
  }

  /** Add every sample of another distribution. */
  merge(other: Distribution): void {
    for (const v of other.#raw) this.add(v);
  }

  /** Number of samples added. */
  get count(): number {
    return this.#count;
  }

  /** True when every added sample is still kept raw. */
  get exact(): boolean {
    return this.#raw.length === this.#count;
  }

  /** Raw samples kept, ascending. */
  sorted(): number[] {
    return [...this.#raw].sort((a, b) => a - b);
  }

  /** Summary of the samples. */
  summary(): Summary {
    if (this.#count === 0) return emptySummary();
    const s = summarizeSorted(this.sorted());
    if (this.exact) return s;
    const mean = this.#sum / this.#count;
    return {
      ...s,
      count: this.#count,
      mean,
      min: this.#min,
      max: this.#max,
      stdev: Math.sqrt(Math.max(0, this.#sumSq / this.#count - mean * mean)),
      source: "histogram",
      relative_error: 0,
    };
  }
}

/** Totals and distributions of one test, aggregated from its request records. */
export interface TestMetrics {
  /** Requests counted (warm-up excluded), successes and failures together. */
  total_requests: number;
  /** Requests with outcome `ok`. */
  successful_requests: number;
  /** Requests with any other outcome. */
  failed_requests: number;
  /** Count per outcome; the values add up to total_requests. */
  outcomes: Record<Outcome, number>;
  /** First t_send (or t_intended) to last completion, in seconds. */
  window_s: number;
  /** Successes per second of window. */
  requests_per_second: number;
  /** Σ output tokens of successes per second of window. */
  output_tokens_per_second: number;
  /** Σ (input + output) tokens of successes per second of window. */
  total_tokens_per_second: number;
  /** Σ input tokens of successes (null fields count 0). */
  total_input_tokens: number;
  /** Σ output tokens of successes. */
  total_output_tokens: number;
  /** True when some output token counts were estimated by the client. */
  output_tokens_estimated: boolean;
  /** True when some successful request had no `usage.prompt_tokens`. */
  input_tokens_missing: boolean;
  /** End-to-end latency from t_send, successes only (s). */
  latency: Summary;
  /** Time to first token (s); streaming only. */
  ttft: Summary;
  /** Time to first chunk of any kind (s); streaming only. */
  ttfc: Summary;
  /** Time per output token after the first (s). */
  tpot: Summary;
  /** Inter-token latency: every gap between token-bearing events (s). */
  itl: Summary;
  /** Open loop: latency measured from the intended send time (s). */
  latency_corrected: Summary | null;
  /** Open loop: TTFT measured from the intended send time (s). */
  ttft_corrected: Summary | null;
  /** Open loop: t_send − t_intended (s). */
  queue_delay: Summary | null;
  /** Sorted successful latencies (s), as the original's `latencies` field. */
  latencies: number[];
  /** Up to 10 distinct error descriptions. */
  error_samples: string[];
  /**
   * TTFT samples for distribution charts (s), ascending, at most {@linkcode SAMPLE_POINTS}:
   * every kept sample when there are few, else evenly spaced order statistics of them.
   */
  ttft_samples?: number[];
  /** ITL samples for distribution charts (s), ascending, bounded like `ttft_samples`. */
  itl_samples?: number[];
  /** TPOT samples (s), ascending, bounded like `ttft_samples`. */
  tpot_samples?: number[];
}

/** Most values a chart sample array (`ttft_samples`, `itl_samples`) holds. */
export const SAMPLE_POINTS = 1000;

/**
 * At most `points` values that stand for an ascending array: the array itself when it is
 * short enough, else its evenly spaced order statistics (first and last included), so the
 * empirical CDF of the result follows the input's within 1/(points − 1).
 */
export function quantileSample(sorted: readonly number[], points = SAMPLE_POINTS): number[] {
  const n = sorted.length;
  if (n <= points) return [...sorted];
  if (points <= 1) return points === 1 ? [sorted[n - 1]] : [];
  const out: number[] = new Array(points);
  for (let j = 0; j < points; j++) out[j] = sorted[Math.round((j * (n - 1)) / (points - 1))];
  return out;
}

/** How many error samples a test keeps. */
export const MAX_ERROR_SAMPLES = 10;

/**
 * Aggregates request records into {@linkcode TestMetrics} without keeping the records.
 * Failed requests are counted by class and never enter latency statistics.
 */
export class RecordAggregator {
  readonly #latency: Distribution;
  readonly #ttft: Distribution;
  readonly #ttfc: Distribution;
  readonly #tpot: Distribution;
  readonly #itl: Distribution;
  readonly #latencyCorrected: Distribution;
  readonly #ttftCorrected: Distribution;
  readonly #queueDelay: Distribution;
  #outcomes: Record<Outcome, number> = Object.fromEntries(
    OUTCOMES.map((o) => [o, 0]),
  ) as Record<Outcome, number>;
  #start = Infinity;
  #end = -Infinity;
  #inputTokens = 0;
  #outputTokens = 0;
  #estimated = false;
  #inputMissing = false;
  #openLoop = false;
  #errors: string[] = [];

  /** Create an aggregator whose distributions keep up to `rawCap` raw samples each. */
  constructor(rawCap = DEFAULT_RAW_CAP) {
    this.#latency = new Distribution(rawCap);
    this.#ttft = new Distribution(rawCap);
    this.#ttfc = new Distribution(rawCap);
    this.#tpot = new Distribution(rawCap);
    this.#itl = new Distribution(rawCap);
    this.#latencyCorrected = new Distribution(rawCap);
    this.#ttftCorrected = new Distribution(rawCap);
    this.#queueDelay = new Distribution(rawCap);
  }

  /** Add one finished request. */
  add(r: RequestRecord): void {
    this.#outcomes[r.outcome]++;
    const start = r.tIntended ?? r.tSend;
    if (start < this.#start) this.#start = start;
    if (r.tEnd > this.#end) this.#end = r.tEnd;
    if (r.tIntended !== null) {
      this.#openLoop = true;
      this.#queueDelay.add(r.tSend - r.tIntended);
    }
    if (r.outcome !== "ok") {
      if (r.error && this.#errors.length < MAX_ERROR_SAMPLES) {
        const line = `${r.outcome}: ${r.error}`;
        if (!this.#errors.includes(line)) this.#errors.push(line);
      }
      return;
    }
    this.#latency.add(r.e2e);
    if (r.ttft !== null) this.#ttft.add(r.ttft);
    if (r.ttfc !== null) this.#ttfc.add(r.ttfc);
    if (r.tpot !== null) this.#tpot.add(r.tpot);
    for (const gap of r.itl) this.#itl.add(gap);
    if (r.tIntended !== null) {
      const lag = r.tSend - r.tIntended;
      this.#latencyCorrected.add(r.e2e + lag);
      if (r.ttft !== null) this.#ttftCorrected.add(r.ttft + lag);
    }
    this.#outputTokens += r.outputTokens;
    if (r.outputTokensEstimated) this.#estimated = true;
    if (r.inputTokens === null) this.#inputMissing = true;
    else this.#inputTokens += r.inputTokens;
  }

  /** Number of records added so far. */
  get count(): number {
    let n = 0;
    for (const o of OUTCOMES) n += this.#outcomes[o];
    return n;
  }

  /** Number of failed records added so far. */
  get failures(): number {
    let n = 0;
    for (const o of ERROR_CLASSES) n += this.#outcomes[o];
    return n;
  }

  /** The test's metrics over everything added. */
  metrics(): TestMetrics {
    const total = this.count;
    const ok = this.#outcomes.ok;
    const window = total > 0 && this.#end > this.#start ? this.#end - this.#start : 0;
    const per = (x: number) => (window > 0 ? x / window : 0);
    return {
      total_requests: total,
      successful_requests: ok,
      failed_requests: total - ok,
      outcomes: { ...this.#outcomes },
      window_s: window,
      requests_per_second: per(ok),
      output_tokens_per_second: per(this.#outputTokens),
      total_tokens_per_second: per(this.#outputTokens + this.#inputTokens),
      total_input_tokens: this.#inputTokens,
      total_output_tokens: this.#outputTokens,
      output_tokens_estimated: this.#estimated,
      input_tokens_missing: this.#inputMissing,
      latency: this.#latency.summary(),
      ttft: this.#ttft.summary(),
      ttfc: this.#ttfc.summary(),
      tpot: this.#tpot.summary(),
      itl: this.#itl.summary(),
      latency_corrected: this.#openLoop ? this.#latencyCorrected.summary() : null,
      ttft_corrected: this.#openLoop && this.#ttftCorrected.count > 0
        ? this.#ttftCorrected.summary()
        : null,
      queue_delay: this.#openLoop ? this.#queueDelay.summary() : null,
      latencies: this.#latency.sorted(),
      error_samples: [...this.#errors],
      ttft_samples: quantileSample(this.#ttft.sorted()),
      itl_samples: quantileSample(this.#itl.sorted()),
      tpot_samples: quantileSample(this.#tpot.sorted()),
    };
  }
}

/** Result of an ordinary least-squares fit y = intercept + slope·x. */
export interface LinearFit {
  /** Slope of the fitted line. */
  slope: number;
  /** Intercept of the fitted line. */
  intercept: number;
  /** Coefficient of determination (0 when undefined). */
  r2: number;
  /** Number of points used. */
  n: number;
}

/** Ordinary least-squares fit of y on x. Fewer than two distinct x values gives slope 0. */
export function linearFit(xs: ArrayLike<number>, ys: ArrayLike<number>): LinearFit {
  const n = Math.min(xs.length, ys.length);
  if (n === 0) return { slope: 0, intercept: 0, r2: 0, n: 0 };
  let sx = 0, sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i];
    sy += ys[i];
  }
  const mx = sx / n, my = sy / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx, dy = ys[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) return { slope: 0, intercept: my, r2: 0, n };
  const slope = sxy / sxx;
  const r2 = syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept: my - slope * mx, r2, n };
}

/**
 * Jain's fairness index of a set of counts, in [1/n, 1]: (Σx)² / (n·Σx²).
 * Every count must be listed, idle ones (0) included. No counts or all zero gives 0.
 */
export function jainIndex(counts: readonly number[]): number {
  const n = counts.length;
  if (n === 0) return 0;
  let s = 0, sq = 0;
  for (const c of counts) {
    s += c;
    sq += c * c;
  }
  return sq === 0 ? 0 : (s * s) / (n * sq);
}
