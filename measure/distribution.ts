/**
 * A {@linkcode Distribution} keeps raw samples up to a cap and an HDR histogram of all of
 * them; beyond the cap, summaries come from the histogram and say so in `source`. Histograms
 * travel as the standard HdrHistogram encoding, so shards merge.
 *
 * @module
 */

import { HdrHistogram } from "./hdr.ts";
import { SampleList } from "./samples.ts";
import { emptySummary, summarizeSorted, type Summary } from "./summary.ts";

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
 * A new, empty HDR histogram in the house unit and precision ({@linkcode HdrHistogram}). Its
 * counts are 32-bit and it grows with the largest value recorded: at most about 95 KB per
 * histogram from 1 µs to an hour.
 */
export function newHistogram(): HdrHistogram {
  return new HdrHistogram(HDR_SIGNIFICANT_DIGITS);
}

/** A histogram in the standard compressed base64 encoding ("HISTFAAA…"). */
export function encodeHistogram(h: HdrHistogram): string {
  return h.encodeCompressed();
}

/** Decode the standard compressed base64 encoding into a histogram. Throws on bad input. */
export function decodeHistogram(encoded: string): HdrHistogram {
  const decoded = HdrHistogram.decodeCompressed(encoded);
  if (decoded.significantDigits === HDR_SIGNIFICANT_DIGITS) return decoded;
  // Another precision: its counts move into the house's buckets.
  const h = newHistogram();
  h.add(decoded);
  return h;
}

/** Most values a chart sample array (`ttft_samples`, `itl_samples`) holds. */
export const SAMPLE_POINTS = 1000;

/**
 * At most `points` values that stand for an ascending array: the array itself when it is
 * short enough, else its evenly spaced order statistics (first and last included), so the
 * empirical CDF of the result follows the input's within 1/(points − 1).
 */
export function quantileSample(sorted: ArrayLike<number>, points = SAMPLE_POINTS): number[] {
  const n = sorted.length;
  if (n <= points) return Array.from(sorted);
  if (points <= 1) return points === 1 ? [sorted[n - 1]] : [];
  const out: number[] = new Array(points);
  for (let j = 0; j < points; j++) out[j] = sorted[Math.round((j * (n - 1)) / (points - 1))];
  return out;
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
  #hist: HdrHistogram = newHistogram();
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
  #histogram(): HdrHistogram {
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

  /**
   * At most `points` values standing for every sample, ascending (for distribution charts):
   * evenly spaced order statistics of the raw samples while all are kept, else quantiles of
   * the histogram, which holds every sample (first and last are the exact min and max), so a
   * stall after the raw cap still shows.
   */
  chartSamples(points: number): number[] {
    if (this.#count === 0 || points <= 0) return [];
    if (this.exact) return quantileSample(this.#raw.toFloat64Array().sort(), points);
    const h = this.#histogram();
    const out: number[] = new Array(points);
    for (let j = 0; j < points; j++) {
      const q = points === 1 ? 1 : j / (points - 1);
      const v = j === 0
        ? this.#min
        : j === points - 1
        ? this.#max
        : h.getValueAtPercentile(q * 100) / HDR_UNITS_PER_SECOND;
      out[j] = Math.min(this.#max, Math.max(this.#min, v));
    }
    return out;
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
