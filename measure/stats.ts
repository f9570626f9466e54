/**
 * Statistics: exact percentiles by linear interpolation between closest ranks (numpy's
 * default), distribution summaries, request-record aggregation and simple regression.
 *
 * A {@linkcode Distribution} keeps raw samples up to a cap; beyond it, summaries come from a
 * bounded histogram and say so in `source`.
 *
 * @module
 */

import * as hdr from "hdr-histogram-js";
import { ERROR_CLASSES, type Outcome, OUTCOMES, type RequestRecord } from "./record.ts";
import { SampleList } from "./samples.ts";

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

/** HDR histogram unit: every histogram counts integer microseconds. */
export const HDR_UNIT = "microseconds";

/** Histogram units per sample unit (samples are seconds, histograms count microseconds). */
export const HDR_UNITS_PER_SECOND = 1e6;

/** Significant decimal digits every HDR histogram keeps. */
export const HDR_SIGNIFICANT_DIGITS = 3;

/**
 * Relative error bound of a percentile read from the histograms: 10^-digits. It holds for
 * values of 1 ms and more; below, values are quantised to 1 µs.
 */
export const HDR_RELATIVE_ERROR = 10 ** -HDR_SIGNIFICANT_DIGITS;

/**
 * A new, empty, auto-resizing HDR histogram in the house unit and precision (JS build). Its
 * counts are 32-bit: recording costs about 30 ns against about 230 ns for the packed layout
 * (`deno task bench:micro`), for at most about 95 KB per histogram from 1 µs to an hour.
 */
export function newHistogram(): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: HDR_SIGNIFICANT_DIGITS,
    autoResize: true,
    useWebAssembly: false,
  });
}

/** A histogram in the standard compressed base64 encoding ("HISTFAAA…"). */
export function encodeHistogram(h: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Decode the standard compressed base64 encoding into a histogram. Throws on bad input. */
export function decodeHistogram(encoded: string): hdr.Histogram {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 32, false);
  const h = newHistogram();
  h.add(decoded);
  return h;
}

/**
 * A growing set of samples (seconds). Keeps raw values up to `rawCap` for exact percentiles,
 * always feeds an HDR histogram (microseconds, 3 significant digits; memory bounded by the
 * range of values, not their number; raw samples enter it lazily, when it is read, so the
 * measuring loop pays for it only past the cap), and keeps exact count, sum, sum of squares,
 * min and max. Beyond the cap, percentiles come from the histogram.
 */
export class Distribution {
  #raw = new SampleList();
  #rawCap: number;
  #count = 0;
  #sum = 0;
  #sumSq = 0;
  #min = Infinity;
  #max = -Infinity;
  #exact = true;
  #hist: hdr.Histogram = newHistogram();
  /** Raw samples already in the histogram (raw ones are fed lazily, off the hot path). */
  #fed = 0;

  /** Create an empty distribution that keeps at most `rawCap` raw samples. */
  constructor(rawCap = DEFAULT_RAW_CAP) {
    this.#rawCap = rawCap;
  }

  /**
   * Rebuild a distribution from what a report keeps of it: its summary, its encoded
   * histogram, and its raw samples when they are complete (otherwise pass none).
   */
  static restore(
    summary: Summary,
    histogram: string | null,
    raw: readonly number[] = [],
    rawCap = DEFAULT_RAW_CAP,
  ): Distribution {
    const d = new Distribution(rawCap);
    if (summary.count === 0) return d;
    d.#count = summary.count;
    d.#sum = summary.mean * summary.count;
    d.#sumSq = summary.count * (summary.stdev ** 2 + summary.mean ** 2);
    d.#min = summary.min;
    d.#max = summary.max;
    if (raw.length === summary.count && summary.source === "exact" && raw.length <= rawCap) {
      d.#raw = SampleList.from(raw);
    } else d.#exact = false;
    if (histogram) {
      d.#hist = decodeHistogram(histogram);
      d.#fed = d.#raw.length;
    }
    return d;
  }

  #record(value: number): void {
    this.#hist.recordValue(Math.max(0, Math.round(value * HDR_UNITS_PER_SECOND)));
  }

  /** The histogram of every sample: raw samples not yet in it are added first. */
  #histogram(): hdr.Histogram {
    for (; this.#fed < this.#raw.length; this.#fed++) this.#record(this.#raw.at(this.#fed));
    return this.#hist;
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
    else {
      this.#exact = false;
      this.#record(value);
    }
  }

  /**
   * Add every sample of another distribution: counts, moments, extremes and histogram
   * exactly; raw samples while they fit under the cap (the result stays exact only when
   * both were exact and everything fits).
   */
  merge(other: Distribution): void {
    if (other.#count === 0) return;
    if (!other.#exact || this.#raw.length + other.#raw.length > this.#rawCap) this.#exact = false;
    this.#histogram().add(other.#histogram());
    const room = Math.max(0, this.#rawCap - this.#raw.length);
    const take = Math.min(room, other.#raw.length);
    for (let i = 0; i < take; i++) this.#raw.push(other.#raw.at(i));
    this.#fed = this.#raw.length;
    this.#count += other.#count;
    this.#sum += other.#sum;
    this.#sumSq += other.#sumSq;
    if (other.#min < this.#min) this.#min = other.#min;
    if (other.#max > this.#max) this.#max = other.#max;
  }

  /** Number of samples added. */
  get count(): number {
    return this.#count;
  }

  /** True when every added sample is still kept raw. */
  get exact(): boolean {
    return this.#exact;
  }

  /** Raw samples kept, ascending. */
  sorted(): number[] {
    return Array.from(this.#raw.toFloat64Array().sort());
  }

  /** The HDR histogram of every sample, in the standard compressed base64 encoding. */
  encodedHistogram(): string {
    return encodeHistogram(this.#histogram());
  }

  /** Summary of the samples: exact while every raw sample is kept, else from the histogram. */
  summary(): Summary {
    if (this.#count === 0) return emptySummary();
    if (this.exact) return summarizeSorted(this.#raw.toFloat64Array().sort());
    const mean = this.#sum / this.#count;
    const at = (p: number) => {
      const v = this.#histogram().getValueAtPercentile(p * 100) / HDR_UNITS_PER_SECOND;
      return Math.min(this.#max, Math.max(this.#min, v));
    };
    return {
      count: this.#count,
      mean,
      min: this.#min,
      max: this.#max,
      stdev: Math.sqrt(Math.max(0, this.#sumSq / this.#count - mean * mean)),
      p50: at(0.5),
      p90: at(0.9),
      p95: at(0.95),
      p99: at(0.99),
      p999: at(0.999),
      source: "histogram",
      relative_error: HDR_RELATIVE_ERROR,
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
   * Window start as epoch seconds (`performance.timeOrigin` + the monotonic clock), so
   * shards run on other machines or workers line up; null when no request was counted.
   */
  window_start_epoch_s: number | null;
  /** Window end as epoch seconds; null when no request was counted. */
  window_end_epoch_s: number | null;
  /** HDR histograms of every distribution, for exact-enough merging of runs. */
  histograms: MetricHistograms;
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

/**
 * The HDR histograms of a test's distributions, each in the standard compressed base64
 * encoding, counting integer microseconds with 3 significant digits.
 */
export interface MetricHistograms {
  /** Always {@linkcode HDR_UNIT}. */
  unit: typeof HDR_UNIT;
  /** Always {@linkcode HDR_SIGNIFICANT_DIGITS}. */
  significant_digits: number;
  /** End-to-end latency. */
  latency: string;
  /** Time to first token. */
  ttft: string;
  /** Time to first chunk. */
  ttfc: string;
  /** Time per output token. */
  tpot: string;
  /** Inter-token latency. */
  itl: string;
  /** Open loop: corrected latency (null for closed loop). */
  latency_corrected: string | null;
  /** Open loop: corrected TTFT (null when absent). */
  ttft_corrected: string | null;
  /** Open loop: queue delay (null for closed loop). */
  queue_delay: string | null;
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

  /**
   * Add everything another aggregator of the same process has seen (same monotonic clock):
   * counts, outcome classes, token totals, window union and every distribution.
   */
  merge(other: RecordAggregator): void {
    for (const o of OUTCOMES) this.#outcomes[o] += other.#outcomes[o];
    this.#start = Math.min(this.#start, other.#start);
    this.#end = Math.max(this.#end, other.#end);
    this.#inputTokens += other.#inputTokens;
    this.#outputTokens += other.#outputTokens;
    this.#estimated ||= other.#estimated;
    this.#inputMissing ||= other.#inputMissing;
    this.#openLoop ||= other.#openLoop;
    for (const e of other.#errors) {
      if (this.#errors.length < MAX_ERROR_SAMPLES && !this.#errors.includes(e)) {
        this.#errors.push(e);
      }
    }
    this.#latency.merge(other.#latency);
    this.#ttft.merge(other.#ttft);
    this.#ttfc.merge(other.#ttfc);
    this.#tpot.merge(other.#tpot);
    this.#itl.merge(other.#itl);
    this.#latencyCorrected.merge(other.#latencyCorrected);
    this.#ttftCorrected.merge(other.#ttftCorrected);
    this.#queueDelay.merge(other.#queueDelay);
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
    const open = this.#openLoop;
    return buildMetrics({
      total,
      outcomes: { ...this.#outcomes },
      windowS: total > 0 && this.#end > this.#start ? this.#end - this.#start : 0,
      startEpochS: total > 0 ? toEpochS(this.#start) : null,
      endEpochS: total > 0 ? toEpochS(this.#end) : null,
      inputTokens: this.#inputTokens,
      outputTokens: this.#outputTokens,
      outputEstimated: this.#estimated,
      inputMissing: this.#inputMissing,
      dists: {
        latency: this.#latency,
        ttft: this.#ttft,
        ttfc: this.#ttfc,
        tpot: this.#tpot,
        itl: this.#itl,
        latency_corrected: open ? this.#latencyCorrected : null,
        ttft_corrected: open && this.#ttftCorrected.count > 0 ? this.#ttftCorrected : null,
        queue_delay: open ? this.#queueDelay : null,
      },
      errors: [...this.#errors],
      samples: {
        ttft_samples: quantileSample(this.#ttft.sorted()),
        itl_samples: quantileSample(this.#itl.sorted()),
        tpot_samples: quantileSample(this.#tpot.sorted()),
      },
    });
  }
}

/** A time on this process's monotonic clock (s) as epoch seconds. */
export function toEpochS(monotonicS: number): number {
  return (performance.timeOrigin + monotonicS * 1000) / 1000;
}

type DistName = "latency" | "ttft" | "ttfc" | "tpot" | "itl";
type OptionalDistName = "latency_corrected" | "ttft_corrected" | "queue_delay";

function restoreDist(m: TestMetrics, name: DistName): Distribution {
  return Distribution.restore(
    m[name],
    m.histograms?.[name] ?? null,
    name === "latency" ? m.latencies : [],
  );
}

/**
 * Merge the metrics of the same test run as several shards (other processes, workers or
 * machines): counts, outcome classes and token totals add up; the window is the union
 * (earliest start, latest end, by epoch time); rates are recomputed over it; distributions
 * merge exactly in count, mean, stdev, min and max, and through their HDR histograms for
 * percentiles (exact when every shard kept its raw latencies).
 */
export function mergeMetrics(parts: readonly TestMetrics[]): TestMetrics {
  if (parts.length === 0) throw new RangeError("mergeMetrics needs at least one part");
  if (parts.length === 1) return structuredClone(parts[0]);
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  let inputTokens = 0, outputTokens = 0, total = 0;
  let start = Infinity, end = -Infinity;
  const errors: string[] = [];
  for (const p of parts) {
    for (const o of OUTCOMES) outcomes[o] += p.outcomes[o] ?? 0;
    total += p.total_requests;
    inputTokens += p.total_input_tokens;
    outputTokens += p.total_output_tokens;
    if (p.window_start_epoch_s !== null && p.window_end_epoch_s !== null) {
      start = Math.min(start, p.window_start_epoch_s);
      end = Math.max(end, p.window_end_epoch_s);
    }
    for (const e of p.error_samples) {
      if (errors.length < MAX_ERROR_SAMPLES && !errors.includes(e)) errors.push(e);
    }
  }
  const merged = (name: DistName): Distribution => {
    const d = restoreDist(parts[0], name);
    for (const p of parts.slice(1)) d.merge(restoreDist(p, name));
    return d;
  };
  const mergedOptional = (name: OptionalDistName): Distribution | null => {
    const present = parts.filter((p) => p[name] !== null);
    if (present.length === 0) return null;
    const d = new Distribution();
    for (const p of present) {
      d.merge(Distribution.restore(p[name]!, p.histograms?.[name] ?? null));
    }
    return d;
  };
  return buildMetrics({
    total,
    outcomes,
    windowS: end > start ? end - start : 0,
    startEpochS: Number.isFinite(start) ? start : null,
    endEpochS: Number.isFinite(end) ? end : null,
    inputTokens,
    outputTokens,
    outputEstimated: parts.some((p) => p.output_tokens_estimated),
    inputMissing: parts.some((p) => p.input_tokens_missing),
    dists: {
      latency: merged("latency"),
      ttft: merged("ttft"),
      ttfc: merged("ttfc"),
      tpot: merged("tpot"),
      itl: merged("itl"),
      latency_corrected: mergedOptional("latency_corrected"),
      ttft_corrected: mergedOptional("ttft_corrected"),
      queue_delay: mergedOptional("queue_delay"),
    },
    errors,
    samples: {
      ttft_samples: mergedSamples(parts, "ttft_samples"),
      itl_samples: mergedSamples(parts, "itl_samples"),
      tpot_samples: mergedSamples(parts, "tpot_samples"),
    },
  });
}

/** What {@linkcode buildMetrics} turns into a {@linkcode TestMetrics}. */
interface MetricParts {
  /** Counted requests. */
  total: number;
  /** Requests by outcome. */
  outcomes: Record<Outcome, number>;
  /** Length of the window (s). */
  windowS: number;
  /** Window start and end, epoch seconds (null without requests). */
  startEpochS: number | null;
  endEpochS: number | null;
  /** Token totals. */
  inputTokens: number;
  outputTokens: number;
  /** Flags on the token counts. */
  outputEstimated: boolean;
  inputMissing: boolean;
  /** The distributions; the open-loop ones are null for a closed loop. */
  dists: Record<DistName, Distribution> & Record<OptionalDistName, Distribution | null>;
  /** Error samples. */
  errors: string[];
  /** Chart samples. */
  samples: Pick<TestMetrics, "ttft_samples" | "itl_samples" | "tpot_samples">;
}

/** The one place a {@linkcode TestMetrics} is built, for live and merged results alike. */
function buildMetrics(p: MetricParts): TestMetrics {
  const { dists: d } = p;
  const ok = p.outcomes.ok;
  const per = (x: number) => (p.windowS > 0 ? x / p.windowS : 0);
  return {
    total_requests: p.total,
    successful_requests: ok,
    failed_requests: p.total - ok,
    outcomes: p.outcomes,
    window_s: p.windowS,
    requests_per_second: per(ok),
    output_tokens_per_second: per(p.outputTokens),
    total_tokens_per_second: per(p.outputTokens + p.inputTokens),
    total_input_tokens: p.inputTokens,
    total_output_tokens: p.outputTokens,
    output_tokens_estimated: p.outputEstimated,
    input_tokens_missing: p.inputMissing,
    latency: d.latency.summary(),
    ttft: d.ttft.summary(),
    ttfc: d.ttfc.summary(),
    tpot: d.tpot.summary(),
    itl: d.itl.summary(),
    latency_corrected: d.latency_corrected?.summary() ?? null,
    ttft_corrected: d.ttft_corrected?.summary() ?? null,
    queue_delay: d.queue_delay?.summary() ?? null,
    latencies: d.latency.sorted(),
    error_samples: p.errors,
    window_start_epoch_s: p.startEpochS,
    window_end_epoch_s: p.endEpochS,
    histograms: {
      unit: HDR_UNIT,
      significant_digits: HDR_SIGNIFICANT_DIGITS,
      latency: d.latency.encodedHistogram(),
      ttft: d.ttft.encodedHistogram(),
      ttfc: d.ttfc.encodedHistogram(),
      tpot: d.tpot.encodedHistogram(),
      itl: d.itl.encodedHistogram(),
      latency_corrected: d.latency_corrected?.encodedHistogram() ?? null,
      ttft_corrected: d.ttft_corrected?.encodedHistogram() ?? null,
      queue_delay: d.queue_delay?.encodedHistogram() ?? null,
    },
    ...p.samples,
  };
}

/** The chart samples of several parts pooled, re-sampled to at most {@linkcode SAMPLE_POINTS}. */
function mergedSamples(
  parts: readonly TestMetrics[],
  name: "ttft_samples" | "itl_samples" | "tpot_samples",
): number[] {
  return quantileSample(parts.flatMap((p) => p[name] ?? []).sort((a, b) => a - b));
}

/** Histograms of a test that measured nothing (for results read back without them). */
export function emptyHistograms(): MetricHistograms {
  const empty = new Distribution().encodedHistogram();
  return {
    unit: HDR_UNIT,
    significant_digits: HDR_SIGNIFICANT_DIGITS,
    latency: empty,
    ttft: empty,
    ttfc: empty,
    tpot: empty,
    itl: empty,
    latency_corrected: null,
    ttft_corrected: null,
    queue_delay: null,
  };
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

/**
 * Quantile function of the standard normal distribution (Acklam's rational approximation,
 * relative error below 1.2e-9). `p` must be in (0, 1).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError("p must be in (0, 1)");
  const a = [
    -3.969683028665376e1,
    2.209460984245205e2,
    -2.759285104469687e2,
    1.38357751867269e2,
    -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1,
    1.615858368580409e2,
    -1.556989798598866e2,
    6.680131188771972e1,
    -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3,
    -3.223964580411365e-1,
    -2.400758277161838,
    -2.549732539343734,
    4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Median of values (mean of the two middle ones for an even count); 0 when empty. */
export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  return percentileSorted(sorted, 0.5);
}

/** A Theil–Sen fit y = intercept + slope·x with Sen's rank-based confidence interval. */
export interface TheilSenFit {
  /** Median of the pairwise slopes (yj − yi)/(xj − xi) over pairs with xi ≠ xj. */
  slope: number;
  /** Median of yi − slope·xi (Conover's intercept). */
  intercept: number;
  /** Lower bound of the slope's confidence interval (−Infinity when no pair has distinct x). */
  low: number;
  /** Upper bound of the slope's confidence interval (+Infinity when no pair has distinct x). */
  high: number;
  /** Confidence level of the interval (e.g. 0.95). */
  confidence: number;
  /** Points used. */
  n: number;
  /** Pairwise slopes (pairs with distinct x). */
  pairs: number;
}

/** Sizes of the groups of equal values (only groups of 2 or more). */
function tieGroups(values: ArrayLike<number>): number[] {
  const sorted = Float64Array.from(values).sort();
  const groups: number[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i + 1;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    if (j - i > 1) groups.push(j - i);
    i = j;
  }
  return groups;
}

/** Round half to even (numpy's `round`). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Theil–Sen estimator of the slope of y on x (robust to up to ~29% outliers), with the
 * distribution-free confidence interval of Sen (1968) (Hollander & Wolfe, Nonparametric
 * Statistical Methods, §9.4), computed as `scipy.stats.theilslopes` does: with the N pairwise
 * slopes sorted ascending and C = z₁₋α/₂·√Var(S), where S is Kendall's statistic and
 * Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18 (t over groups of tied x, then of tied y),
 * the bounds are the slopes of 1-based rank round((N − C)/2) and round((N + C)/2) + 1
 * (half to even), clamped to [1, N]. Var(S) uses the normal approximation, so the interval is
 * approximate for small n; it assumes independent residuals. The intercept is
 * median(yᵢ − slope·xᵢ) (scipy's `method="joint"`).
 */
export function theilSen(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  confidence = 0.95,
): TheilSenFit {
  const n = Math.min(xs.length, ys.length);
  const xv = Array.from({ length: n }, (_, i) => xs[i]);
  const yv = Array.from({ length: n }, (_, i) => ys[i]);
  const slopes: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = xv[j] - xv[i];
      if (dx !== 0) slopes.push((yv[j] - yv[i]) / dx);
    }
  }
  const N = slopes.length;
  if (N === 0) {
    return {
      slope: 0,
      intercept: median(yv),
      low: -Infinity,
      high: Infinity,
      confidence,
      n,
      pairs: 0,
    };
  }
  slopes.sort((a, b) => a - b);
  const slope = percentileSorted(slopes, 0.5);
  const intercept = median(yv.map((y, i) => y - slope * xv[i]));
  const ties = (g: number[]) => g.reduce((a, t) => a + t * (t - 1) * (2 * t + 5), 0);
  const varS = (n * (n - 1) * (2 * n + 5) - ties(tieGroups(xv)) - ties(tieGroups(yv))) / 18;
  const c = normalQuantile(1 - (1 - confidence) / 2) * Math.sqrt(Math.max(varS, 0));
  const clamp = (r: number) => Math.min(Math.max(r, 1), N);
  const low = slopes[clamp(roundHalfEven((N - c) / 2)) - 1];
  const high = slopes[clamp(roundHalfEven((N + c) / 2) + 1) - 1];
  return { slope, intercept, low, high, confidence, n, pairs: N };
}
