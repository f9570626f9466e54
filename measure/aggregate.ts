/**
 * Aggregation of request records into one test's {@linkcode TestMetrics}, and the merge of
 * the metrics of a test run as shards; both build them in one place.
 *
 * @module
 */

import { ERROR_CLASSES, type Outcome, OUTCOMES, type RequestRecord } from "./record.ts";
import type { Summary } from "./summary.ts";
import {
  DEFAULT_RAW_CAP,
  Distribution,
  HDR_SIGNIFICANT_DIGITS,
  HDR_UNIT,
  quantileSample,
  SAMPLE_POINTS,
} from "./distribution.ts";

export { quantileSample, SAMPLE_POINTS };

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
  /** Σ (input + output) tokens of successes per second of window; NaN when input is missing. */
  total_tokens_per_second: number;
  /** Σ input tokens of successes; NaN (JSON null) when some success had no prompt_tokens. */
  total_input_tokens: number;
  /** Σ output tokens of successes. */
  total_output_tokens: number;
  /** True when some output token counts were estimated by the client. */
  output_tokens_estimated: boolean;
  /**
   * How the client counted them: a tokenizer's name (the streamed text's tokens) or `events`
   * (token-bearing chunks); null when nothing was estimated. Absent in older runs.
   */
  output_tokens_counted_by?: string | null;
  /**
   * Streams that completed without `data: [DONE]` (their last chunk's finish reason or usage
   * said they were complete). Absent in older runs.
   */
  streams_without_done?: number;
  /**
   * Successful requests whose server-reported usage could not be (set aside; their counts
   * estimated), and the first such value. Absent in older runs.
   */
  implausible_usage?: { count: number; example: string | null };
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
   * every sample when there are few, else evenly spaced order statistics of all of them (from
   * the histogram once there are more than the raw cap keeps, min and max exact).
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
  #withoutDone = 0;
  #implausible = 0;
  #implausibleExample: string | null = null;
  #inputMissing = false;
  #countedBy: string | null = null;
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
    if (r.doneMarker === false) this.#withoutDone++;
    if (r.implausible !== null) {
      this.#implausible++;
      this.#implausibleExample ??= r.implausible;
    }
    if (r.outputTokensEstimated) {
      this.#estimated = true;
      this.#countedBy ??= r.outputTokensCountedBy;
    }
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
      withoutDone: this.#withoutDone,
      implausible: { count: this.#implausible, example: this.#implausibleExample },
      outputEstimated: this.#estimated,
      countedBy: this.#countedBy,
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
        ttft_samples: this.#ttft.chartSamples(SAMPLE_POINTS),
        itl_samples: this.#itl.chartSamples(SAMPLE_POINTS),
        tpot_samples: this.#tpot.chartSamples(SAMPLE_POINTS),
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
 *
 * `sequential`: the parts ran one after another (repeats of a test), so the window is the sum
 * of theirs, not their union, and the pauses between them count for nothing.
 */
export function mergeMetrics(parts: readonly TestMetrics[], sequential = false): TestMetrics {
  if (parts.length === 0) throw new RangeError("mergeMetrics needs at least one part");
  if (parts.length === 1) return structuredClone(parts[0]);
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  let inputTokens = 0, outputTokens = 0, total = 0;
  let start = Infinity, end = -Infinity, windows = 0;
  const errors: string[] = [];
  for (const p of parts) {
    for (const o of OUTCOMES) outcomes[o] += p.outcomes[o] ?? 0;
    total += p.total_requests;
    windows += p.window_s;
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
    windowS: sequential ? windows : end > start ? end - start : 0,
    startEpochS: Number.isFinite(start) ? start : null,
    endEpochS: Number.isFinite(end) ? end : null,
    inputTokens,
    outputTokens,
    withoutDone: parts.reduce((n, p) => n + (p.streams_without_done ?? 0), 0),
    implausible: {
      count: parts.reduce((n, p) => n + (p.implausible_usage?.count ?? 0), 0),
      example: parts.find((p) => p.implausible_usage?.example)?.implausible_usage?.example ??
        null,
    },
    outputEstimated: parts.some((p) => p.output_tokens_estimated),
    countedBy: parts.find((p) => p.output_tokens_counted_by)?.output_tokens_counted_by ?? null,
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
  /** Streams complete without `[DONE]`. */
  withoutDone: number;
  /** Successes whose usage could not be, and the first such value. */
  implausible: { count: number; example: string | null };
  /** Flags on the token counts. */
  outputEstimated: boolean;
  countedBy: string | null;
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
    // Input tokens the server did not report are unknown, not 0 (NaN: "no number", written as
    // null): a total that counts output only would read as input + output.
    total_tokens_per_second: p.inputMissing ? NaN : per(p.outputTokens + p.inputTokens),
    total_input_tokens: p.inputMissing ? NaN : p.inputTokens,
    total_output_tokens: p.outputTokens,
    output_tokens_estimated: p.outputEstimated,
    output_tokens_counted_by: p.countedBy,
    streams_without_done: p.withoutDone,
    implausible_usage: p.implausible,
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
