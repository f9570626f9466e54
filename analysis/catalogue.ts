/**
 * The metric catalogue: every suite-level number that `--fail-if` can gate on and `compare`
 * diffs, with its unit, which direction is better, and the default regression threshold.
 * Names are qualified by suite as `throughput.ttft_p99_ms` (`kv_cache` or `kv-cache`). The
 * common metrics live here; each suite brings its own (`suites/<name>/analysis.ts`), and the
 * registry puts them together into one {@linkcode Catalogue}.
 *
 * Suite-level latencies are request-weighted: percentiles of all the suite's requests pooled
 * (exact from `latencies`; from the bounded `*_samples` arrays, weighted by each test's
 * count, for TTFT, TPOT and ITL; from the per-test percentiles weighted by count when a
 * result carries no samples).
 *
 * @module
 */

import {
  type Interval,
  percentileInterval,
  pooledPercentile,
  rateInterval,
  shareInterval,
} from "./noise.ts";
import { UsageError } from "../util/errors.ts";
import type { SuiteResult, TestExtra, TestResult } from "../measure/result.ts";
import { percentileSorted, type Summary } from "../measure/summary.ts";

/** Which way a metric is better. */
export type Better = "lower" | "higher";

/**
 * How `compare` decides that a change is a regression: `relative` = a change worse than
 * `value` percent of the old value; `points` = worse by `value` percentage points (metrics
 * that are rates or fractions). `floor` = smallest absolute change, in the metric's unit,
 * that can count at all (noise floor).
 */
export interface Threshold {
  /** Relative (percent of old value) or absolute (percentage points). */
  kind: "relative" | "points";
  /** Percent, or percentage points. */
  value: number;
  /** Smallest absolute change (metric unit) that may count as a regression. */
  floor: number;
}

/** One metric of the catalogue; `E` is the `extra` fields of the suite it reads. */
export interface MetricDef<E extends TestExtra = TestExtra> {
  /** Name within its suite, e.g. `ttft_p99_ms`. */
  name: string;
  /** Unit shown in reports. */
  unit: string;
  /** Which direction is better. */
  better: Better;
  /** One-line meaning. */
  description: string;
  /** Default regression threshold for `compare`. */
  threshold: Threshold;
  /** The metric's value for a suite's results; null when the suite did not measure it. */
  value(suite: SuiteResult<E>): number | null;
  /**
   * A 95% interval of the value from the run's own samples (`analysis/noise.ts`); absent or
   * null when the metric has none.
   */
  interval?(suite: SuiteResult<E>): Interval | null;
  /**
   * For a time the client measured (ms), the percentile it is (0.5, 0.99): the client's timing
   * floor at that level applies to it.
   */
  timed?: number;
  /**
   * False for a metric about the measurement rather than the server (the client's own
   * saturation): `compare` warns when it gets worse but never calls it a regression.
   */
  gated?: boolean;
}

/** Suite name as written in metric names: `kv_cache` for `kv-cache`. */
export function suiteKey(suite: string): string {
  return suite.replace(/-/g, "_");
}

/** The default threshold of latencies: +10%, and at least 1 ms. */
export const LATENCY: Threshold = { kind: "relative", value: 10, floor: 1 };
/** The default threshold of rates: −10%, and at least 0.05 per second. */
export const RATE: Threshold = { kind: "relative", value: 10, floor: 0.05 };
/** The default threshold of error rates: +1 percentage point. */
export const ERRORS: Threshold = { kind: "points", value: 1, floor: 0 };

type SummaryKey = "latency" | "ttft" | "tpot" | "itl";
const SAMPLES: Record<SummaryKey, (t: TestResult) => number[] | undefined> = {
  latency: (t) => t.metrics.latencies,
  ttft: (t) => t.metrics.ttft_samples,
  tpot: (t) => t.metrics.tpot_samples,
  itl: (t) => t.metrics.itl_samples,
};

/** Request-weighted percentile (ms) of one distribution over a suite's tests. */
export function suitePercentileMs(tests: readonly TestResult[], key: SummaryKey, p: number) {
  const withData = tests.filter((t) => summaryOf(t, key)?.count);
  if (withData.length === 0) return null;
  if (withData.every((t) => (SAMPLES[key](t)?.length ?? 0) > 0)) {
    const v = pooledPercentile(
      withData.map((t) => ({ values: SAMPLES[key](t)!, count: summaryOf(t, key)!.count })),
      p,
    );
    return v === null ? null : v * 1000;
  }
  // No samples: the per-test percentiles, weighted by count (an approximation).
  const field = ({ 0.5: "p50", 0.9: "p90", 0.95: "p95", 0.99: "p99" } as const)[
    p as 0.5 | 0.9 | 0.95 | 0.99
  ] ?? "p99";
  let n = 0, sum = 0;
  for (const t of withData) {
    const s = summaryOf(t, key)!;
    n += s.count;
    sum += s[field] * s.count;
  }
  return (sum / n) * 1000;
}

function summaryOf(t: TestResult, key: SummaryKey): Summary | null {
  // A run.json read from disk may lack a distribution an older version did not record.
  const s: Summary | undefined = t.metrics[key];
  return s && typeof s.count === "number" ? s : null;
}

/** Σ f over tests, skipping values that are not finite. */
export function sumOf<E extends TestExtra>(
  tests: readonly TestResult<E>[],
  f: (t: TestResult<E>) => number,
): number {
  return tests.reduce((s, t) => s + (Number.isFinite(f(t)) ? f(t) : 0), 0);
}

/** The `extra` fields of `E` whose values are numbers (when present). */
export type NumberField<E> = {
  [K in keyof E]-?: NonNullable<E[K]> extends number ? K : never;
}[keyof E];

/** Request-weighted mean of a per-test extra field that may be missing or null. */
export function weightedExtra<E extends TestExtra>(
  tests: readonly TestResult<E>[],
  field: NumberField<E>,
): number | null {
  let n = 0, sum = 0;
  for (const t of tests) {
    const v = t.extra[field] as number | null | undefined;
    if (v === undefined || v === null || !Number.isFinite(v)) continue;
    const w = Math.max(1, t.metrics.total_requests);
    n += w;
    sum += v * w;
  }
  return n === 0 ? null : sum / n;
}

/** The median of some numbers (numpy's linear interpolation). */
export function median(xs: readonly number[]): number {
  return percentileSorted([...xs].sort((a, b) => a - b), 0.5);
}

/** The numbers of a per-request list that has nulls for failed requests. */
export function numberArray(xs: readonly (number | null)[] | null | undefined): number[] {
  return (xs ?? []).filter((x): x is number => x !== null);
}

const perWindow = (s: SuiteResult, f: (t: TestResult) => number): number | null => {
  const w = sumOf(s.tests, (t) => t.metrics.window_s);
  return w > 0 ? sumOf(s.tests, f) / w : null;
};

/** Metrics every suite has (all computed over the suite's tests, request-weighted). */
export const COMMON_METRICS: readonly MetricDef[] = [
  {
    name: "rps",
    unit: "req/s",
    better: "higher",
    description: "successful requests per second over the tests' windows",
    threshold: RATE,
    value: (s) => perWindow(s, (t) => t.metrics.successful_requests),
    interval: (s) => rateInterval(s, perWindow(s, (t) => t.metrics.successful_requests)),
  },
  {
    name: "output_tps",
    unit: "tok/s",
    better: "higher",
    description: "output tokens per second over the tests' windows",
    threshold: RATE,
    value: (s) => perWindow(s, (t) => t.metrics.total_output_tokens),
    interval: (s) => rateInterval(s, perWindow(s, (t) => t.metrics.total_output_tokens)),
  },
  {
    name: "latency_p50_ms",
    unit: "ms",
    better: "lower",
    description: "median end-to-end latency of all successful requests",
    threshold: LATENCY,
    value: (s) => suitePercentileMs(s.tests, "latency", 0.5),
    interval: (s) => percentileInterval(s.tests, "latency", 0.5),
    timed: 0.5,
  },
  {
    name: "latency_p99_ms",
    unit: "ms",
    better: "lower",
    description: "99th percentile end-to-end latency of all successful requests",
    threshold: LATENCY,
    value: (s) => suitePercentileMs(s.tests, "latency", 0.99),
    interval: (s) => percentileInterval(s.tests, "latency", 0.99),
    timed: 0.99,
  },
  {
    name: "ttft_p50_ms",
    unit: "ms",
    better: "lower",
    description: "median time to first token of streaming requests",
    threshold: LATENCY,
    value: (s) => suitePercentileMs(s.tests.filter((t) => t.streaming), "ttft", 0.5),
    interval: (s) => percentileInterval(s.tests.filter((t) => t.streaming), "ttft", 0.5),
    timed: 0.5,
  },
  {
    name: "ttft_p99_ms",
    unit: "ms",
    better: "lower",
    description: "99th percentile time to first token of streaming requests",
    threshold: LATENCY,
    value: (s) => suitePercentileMs(s.tests.filter((t) => t.streaming), "ttft", 0.99),
    interval: (s) => percentileInterval(s.tests.filter((t) => t.streaming), "ttft", 0.99),
    timed: 0.99,
  },
  {
    name: "tpot_p50_ms",
    unit: "ms",
    better: "lower",
    description: "median time per output token after the first (streaming)",
    threshold: { kind: "relative", value: 10, floor: 0.2 },
    value: (s) => suitePercentileMs(s.tests.filter((t) => t.streaming), "tpot", 0.5),
    interval: (s) => percentileInterval(s.tests.filter((t) => t.streaming), "tpot", 0.5),
    timed: 0.5,
  },
  {
    name: "itl_p99_ms",
    unit: "ms",
    better: "lower",
    description: "99th percentile gap between token events (streaming)",
    threshold: LATENCY,
    value: (s) => suitePercentileMs(s.tests.filter((t) => t.streaming), "itl", 0.99),
    interval: (s) => percentileInterval(s.tests.filter((t) => t.streaming), "itl", 0.99),
    timed: 0.99,
  },
  {
    name: "error_rate",
    unit: "fraction",
    better: "lower",
    description: "failed requests ÷ requests sent (0–1)",
    threshold: ERRORS,
    value: (s) => {
      const n = sumOf(s.tests, (t) => t.metrics.total_requests);
      return n > 0 ? sumOf(s.tests, (t) => t.metrics.failed_requests) / n : null;
    },
    interval: (s) =>
      shareInterval(
        sumOf(s.tests, (t) => t.metrics.failed_requests),
        sumOf(s.tests, (t) => t.metrics.total_requests),
        1,
      ),
  },
  {
    name: "slo_attainment_pct",
    unit: "%",
    better: "higher",
    description: "share of requests that met every --slo, over the suite's tests",
    threshold: { kind: "points", value: 1, floor: 0 },
    value: (s) => {
      const n = sumOf(s.tests, (t) => t.extra.slo?.requests ?? 0);
      return n > 0 ? (sumOf(s.tests, (t) => t.extra.slo?.met ?? 0) / n) * 100 : null;
    },
    interval: (s) =>
      shareInterval(
        sumOf(s.tests, (t) => t.extra.slo?.met ?? 0),
        sumOf(s.tests, (t) => t.extra.slo?.requests ?? 0),
        100,
      ),
  },
  {
    name: "goodput_rps",
    unit: "req/s",
    better: "higher",
    description: "requests that met every --slo per second over the tests' windows",
    threshold: RATE,
    value: (s) => {
      const judged = s.tests.filter((t) => t.extra.slo);
      const w = sumOf(judged, (t) => t.metrics.window_s);
      return judged.length && w > 0 ? sumOf(judged, (t) => t.extra.slo!.met) / w : null;
    },
    interval: (s) => {
      const judged = s.tests.filter((t) => t.extra.slo);
      const w = sumOf(judged, (t) => t.metrics.window_s);
      return judged.length && w > 0
        ? rateInterval({ ...s, tests: judged }, sumOf(judged, (t) => t.extra.slo!.met) / w)
        : null;
    },
  },
  {
    name: "client_saturated",
    gated: false,
    unit: "tests",
    better: "lower",
    description: "tests during which the client itself was saturated (event-loop lag or CPU), " +
      "so their latencies include the client's own delay",
    threshold: { kind: "relative", value: 0, floor: 0.5 },
    value: (s) =>
      s.tests.length > 0 ? s.tests.filter((t) => t.extra.client_health?.saturated).length : null,
  },
];

/** The largest finite number, or null. */
export function maxOf(xs: readonly (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? Math.max(...v) : null;
}

/** The largest value of a per-test extra field, or null. */
export function maxExtra<E extends TestExtra>(
  tests: readonly TestResult<E>[],
  field: NumberField<E>,
): number | null {
  return maxOf(tests.map((t) => (t.extra[field] as number | null | undefined) ?? null));
}

/** Levenshtein edit distance between two strings. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** Up to `max` candidates closest to `name` by edit distance (ties in catalogue order). */
export function closeMatches(name: string, candidates: readonly string[], max = 3): string[] {
  const key = name.toLowerCase();
  return candidates
    .map((c, i) => ({ c, i, d: editDistance(key, c.toLowerCase()) }))
    .sort((x, y) => x.d - y.d || x.i - y.i)
    .slice(0, max)
    .map((x) => x.c);
}

/** The common metrics of one test (for per-test comparison). */
export function testMetricValues(t: TestResult): { def: MetricDef; value: number | null }[] {
  const one: SuiteResult = {
    suite: t.suite,
    tests: [t],
    started_at: "",
    finished_at: "",
    skipped: null,
    error: null,
    interrupted: t.interrupted,
  };
  return COMMON_METRICS.map((def) => ({ def, value: def.value(one) }));
}

/** A metric value formatted with its unit (`12.34 ms`, `0.0100`, `95.00%`). */
export function formatMetric(def: Pick<MetricDef, "unit">, v: number | null): string {
  if (v === null) return "—";
  switch (def.unit) {
    case "fraction":
    case "ratio":
    case "index":
      return v.toFixed(4);
    case "%":
      return `${v.toFixed(2)}%`;
    case "tests":
    case "connections":
      return String(Math.round(v));
    default:
      return `${v.toFixed(2)} ${def.unit}`;
  }
}

/** A metric found in the catalogue. */
export interface MetricRef {
  /** Suite. */
  suite: string;
  /** Metric definition. */
  def: MetricDef;
  /** Qualified name, canonical spelling (`kv_cache.hit_rate`). */
  qualified: string;
}

/** A suite's part of the catalogue: its name and its own metrics. */
export interface CatalogueSuite {
  /** Suite name (`kv-cache`). */
  name: string;
  /** Its own metrics (the common ones come first by themselves). */
  metrics: readonly MetricDef[];
}

/** Every metric of every suite of a build, by qualified name. */
export class Catalogue {
  readonly #suites: readonly CatalogueSuite[];

  /** The catalogue of these suites, in run order. */
  constructor(suites: readonly CatalogueSuite[]) {
    this.#suites = suites;
  }

  /** Suite names, in run order. */
  get suites(): string[] {
    return this.#suites.map((s) => s.name);
  }

  /** Every metric of a suite: the common ones, then the suite's own (none for an unknown suite). */
  suiteMetrics(suite: string): readonly MetricDef[] {
    return [...COMMON_METRICS, ...(this.#suites.find((s) => s.name === suite)?.metrics ?? [])];
  }

  /** Every qualified metric name (`throughput.rps` …), in catalogue order. */
  allMetricNames(): string[] {
    return this.#suites.flatMap((s) =>
      this.suiteMetrics(s.name).map((m) => `${suiteKey(s.name)}.${m.name}`)
    );
  }

  /** Every bare metric name, each once. */
  bareNames(): string[] {
    return [...new Set(this.#suites.flatMap((s) => this.suiteMetrics(s.name).map((m) => m.name)))];
  }

  /**
   * Look up a qualified metric name (`suite.metric`; the suite may be spelt `kv-cache` or
   * `kv_cache`). Throws {@linkcode UsageError} naming close matches when it is unknown.
   */
  lookup(name: string): MetricRef {
    const dot = name.indexOf(".");
    const suitePart = dot > 0 ? name.slice(0, dot).trim().toLowerCase().replace(/_/g, "-") : "";
    const metricPart = name.slice(dot + 1).trim();
    const suite = this.#suites.find((s) => s.name === suitePart)?.name ?? null;
    const def = suite ? this.suiteMetrics(suite).find((m) => m.name === metricPart) : undefined;
    if (!suite || !def) {
      const near = closeMatches(name.trim(), this.allMetricNames());
      throw new UsageError(
        `unknown metric '${name}'${dot > 0 ? "" : " (write suite.metric)"}; did you mean ${
          near.join(", ")
        }? (all names: 'fakeai-bench help metrics')`,
      );
    }
    return { suite, def, qualified: `${suiteKey(suite)}.${def.name}` };
  }

  /**
   * Every catalogue metric of every suite that ran, keyed by qualified name; with `intervals`,
   * each one's 95% interval from the run's own samples too (null where it has none).
   */
  runValues(
    suites: readonly SuiteResult[],
    intervals = false,
  ): Map<string, { ref: MetricRef; value: number | null; interval: Interval | null }> {
    const out = new Map<
      string,
      { ref: MetricRef; value: number | null; interval: Interval | null }
    >();
    for (const s of suites) {
      if (s.skipped !== null) continue;
      for (const def of this.suiteMetrics(s.suite)) {
        const qualified = `${suiteKey(s.suite)}.${def.name}`;
        const v = def.value(s);
        const value = v !== null && Number.isFinite(v) ? v : null;
        const i = intervals && value !== null ? def.interval?.(s) ?? null : null;
        out.set(qualified, {
          ref: { suite: s.suite, def, qualified },
          value,
          interval: i && Number.isFinite(i.lo) && Number.isFinite(i.hi) ? i : null,
        });
      }
    }
    return out;
  }

  /** The catalogue as help text: one line per metric, grouped by suite. */
  help(): string {
    const out = [
      "Metric names for --fail-if (suite.metric OP number) and compare --threshold:",
      "",
    ];
    for (const s of this.#suites) {
      out.push(`${s.name}:`);
      for (const m of this.suiteMetrics(s.name)) {
        const name = `${suiteKey(s.name)}.${m.name}`.padEnd(36);
        out.push(`  ${name} ${m.unit.padEnd(11)} ${m.better} is better; ${m.description}`);
      }
      out.push("");
    }
    out.push(
      "Suite-level latencies pool every request of the suite (request-weighted); error_rate is",
      "a fraction (0.01 = 1%); hit_rate and other % metrics are percentages (0-100).",
      "With --repeat N, every metric is also computed for each repeat: run.json's suites carry",
      "`repeat` (mean, 95% Student-t interval, CV, unstable above --max-cv) and compare weighs a",
      "change against it (Welch's t-test); --fail-if reads the value pooled over the repeats.",
    );
    return out.join("\n");
  }
}
