/**
 * The metric catalogue: every suite-level number that `--fail-if` can gate on and `compare`
 * diffs, with its unit, which direction is better, and the default regression threshold.
 * Names are qualified by suite as `throughput.ttft_p99_ms` (`kv_cache` or `kv-cache`).
 *
 * Suite-level latencies are request-weighted: percentiles of all the suite's requests pooled
 * (exact from `latencies`; from the bounded `*_samples` arrays, weighted by each test's
 * count, for TTFT, TPOT and ITL; from the per-test percentiles weighted by count when a
 * result carries no samples).
 *
 * @module
 */

import { UsageError } from "../util/errors.ts";
import { SUITE_NAMES, type SuiteName } from "../measure/result.ts";
import type { SuiteExtra, SuiteResult, TestResult } from "../suites/mod.ts";
import type { MemorySnapshot } from "../probes/memory.ts";
import { percentileSorted, type Summary } from "../measure/summary.ts";
import { jainIndex } from "../measure/fit.ts";

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

/** One metric of the catalogue. */
export interface MetricDef {
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
  value(suite: SuiteResult): number | null;
}

/** Suite name as written in metric names: `kv_cache` for `kv-cache`. */
export function suiteKey(suite: SuiteName): string {
  return suite.replace(/-/g, "_");
}

const LATENCY: Threshold = { kind: "relative", value: 10, floor: 1 };
const RATE: Threshold = { kind: "relative", value: 10, floor: 0.05 };
const ERRORS: Threshold = { kind: "points", value: 1, floor: 0 };

/** A (value, weight) sample for pooled percentiles. */
interface Weighted {
  values: readonly number[];
  count: number;
}

/**
 * Percentile `p` (fraction) of several sample groups pooled, each group standing for `count`
 * requests. Exact (numpy linear) when every group holds all of its samples; otherwise the
 * weighted step quantile.
 */
export function pooledPercentile(groups: readonly Weighted[], p: number): number | null {
  const used = groups.filter((g) => g.count > 0 && g.values.length > 0);
  if (used.length === 0) return null;
  if (used.every((g) => g.values.length === g.count)) {
    const all = used.flatMap((g) => [...g.values]).sort((a, b) => a - b);
    return percentileSorted(all, p);
  }
  const pts = used.flatMap((g) => g.values.map((v) => [v, g.count / g.values.length] as const))
    .sort((a, b) => a[0] - b[0]);
  const total = pts.reduce((s, [, w]) => s + w, 0);
  let acc = 0;
  for (const [v, w] of pts) {
    acc += w;
    if (acc >= p * total) return v;
  }
  return pts[pts.length - 1][0];
}

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

function sumOf(tests: readonly TestResult[], f: (t: TestResult) => number): number {
  return tests.reduce((s, t) => s + (Number.isFinite(f(t)) ? f(t) : 0), 0);
}

/** The `extra` fields whose values are numbers (when present). */
type NumberField = {
  [K in keyof SuiteExtra]-?: NonNullable<SuiteExtra[K]> extends number ? K : never;
}[keyof SuiteExtra];

/** Request-weighted mean of a per-test extra field that may be missing or null. */
function weightedExtra(tests: readonly TestResult[], field: NumberField): number | null {
  let n = 0, sum = 0;
  for (const t of tests) {
    const v = t.extra[field];
    if (v === undefined || v === null || !Number.isFinite(v)) continue;
    const w = Math.max(1, t.metrics.total_requests);
    n += w;
    sum += v * w;
  }
  return n === 0 ? null : sum / n;
}

function median(xs: readonly number[]): number {
  return percentileSorted([...xs].sort((a, b) => a - b), 0.5);
}

/** The numbers of a per-request list that has nulls for failed requests. */
export function numberArray(xs: readonly (number | null)[] | null | undefined): number[] {
  return (xs ?? []).filter((x): x is number => x !== null);
}

/** The snapshots of a memory test (empty when it has none). */
export function snapshotsOf(t: TestResult): readonly MemorySnapshot[] {
  return t.extra.snapshots ?? [];
}

/** Growth of a memory test: mean after (drain) minus mean before (baseline), MB, and per minute. */
export function memoryGrowth(t: TestResult): { mb: number; perMin: number } | null {
  const snaps = snapshotsOf(t);
  if (snaps.length < 2) return null;
  const mean = (xs: MemorySnapshot[]) => xs.reduce((s, x) => s + x.value_mb, 0) / xs.length;
  const base = snaps.filter((s) => s.phase === "baseline");
  const drain = snaps.filter((s) => s.phase === "drain");
  const load = snaps.filter((s) => s.phase === "load");
  const before = base.length ? mean(base) : snaps[0].value_mb;
  const after = drain.length ? mean(drain) : snaps[snaps.length - 1].value_mb;
  const span = load.length >= 2
    ? load[load.length - 1].t_s - load[0].t_s
    : snaps[snaps.length - 1].t_s - snaps[0].t_s;
  const mb = after - before;
  return { mb, perMin: span > 0 ? mb / (span / 60) : 0 };
}

/** True when a memory test's verdict says it leaks. */
export function isLeak(t: TestResult): boolean {
  const v = t.extra.verdict;
  if (typeof v === "string") return /^\s*leak/i.test(v);
  return t.extra.leak_detected === true;
}

/** Highest closed-loop concurrency among tests whose success rate is at least `minPct`. */
function maxConcurrency(tests: readonly TestResult[], minPct: number): number | null {
  let best: number | null = null;
  for (const t of tests) {
    const c = typeof t.extra.concurrent_connections === "number"
      ? t.extra.concurrent_connections
      : t.load.kind === "closed"
      ? t.load.concurrency
      : null;
    if (c === null || t.metrics.total_requests === 0) continue;
    const ok = (t.metrics.successful_requests / t.metrics.total_requests) * 100;
    if (ok >= minPct && (best === null || c > best)) best = c;
  }
  return best;
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
  },
  {
    name: "output_tps",
    unit: "tok/s",
    better: "higher",
    description: "output tokens per second over the tests' windows",
    threshold: RATE,
    value: (s) => perWindow(s, (t) => t.metrics.total_output_tokens),
  },
  {
    name: "latency_p50_ms",
    unit: "ms",
    better: "lower",
    description: "median end-to-end latency of all successful requests",
    threshold: LATENCY,
    value: (s) => suitePercentileMs(s.tests, "latency", 0.5),
  },
  {
    name: "latency_p99_ms",
    unit: "ms",
    better: "lower",
    description: "99th percentile end-to-end latency of all successful requests",
    threshold: LATENCY,
    value: (s) => suitePercentileMs(s.tests, "latency", 0.99),
  },
  {
    name: "ttft_p50_ms",
    unit: "ms",
    better: "lower",
    description: "median time to first token of streaming requests",
    threshold: LATENCY,
    value: (s) => suitePercentileMs(s.tests.filter((t) => t.streaming), "ttft", 0.5),
  },
  {
    name: "ttft_p99_ms",
    unit: "ms",
    better: "lower",
    description: "99th percentile time to first token of streaming requests",
    threshold: LATENCY,
    value: (s) => suitePercentileMs(s.tests.filter((t) => t.streaming), "ttft", 0.99),
  },
  {
    name: "tpot_p50_ms",
    unit: "ms",
    better: "lower",
    description: "median time per output token after the first (streaming)",
    threshold: { kind: "relative", value: 10, floor: 0.2 },
    value: (s) => suitePercentileMs(s.tests.filter((t) => t.streaming), "tpot", 0.5),
  },
  {
    name: "itl_p99_ms",
    unit: "ms",
    better: "lower",
    description: "99th percentile gap between token events (streaming)",
    threshold: LATENCY,
    value: (s) => suitePercentileMs(s.tests.filter((t) => t.streaming), "itl", 0.99),
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
  },
  {
    name: "client_saturated",
    unit: "tests",
    better: "lower",
    description: "tests during which the client itself was saturated (event-loop lag or CPU), " +
      "so their latencies include the client's own delay",
    threshold: { kind: "relative", value: 0, floor: 0.5 },
    value: (s) =>
      s.tests.length > 0 ? s.tests.filter((t) => t.extra.client_health?.saturated).length : null,
  },
];

/** Metrics only one suite has. */
export const SUITE_METRICS: Record<SuiteName, readonly MetricDef[]> = {
  throughput: [],
  "kv-cache": [
    {
      name: "hit_rate",
      unit: "%",
      better: "higher",
      description: "cache hit rate reported by the server (request-weighted over tests)",
      threshold: { kind: "points", value: 5, floor: 0 },
      value: (s) => weightedExtra(s.tests, "hit_rate"),
    },
    {
      name: "token_reuse_rate",
      unit: "%",
      better: "higher",
      description: "prompt tokens served from cache (request-weighted over tests)",
      threshold: { kind: "points", value: 5, floor: 0 },
      value: (s) => weightedExtra(s.tests, "token_reuse_rate"),
    },
    {
      name: "ttft_improvement_pct",
      unit: "%",
      better: "higher",
      description: "median TTFT saved by a warm cache: (cold − warm) ÷ cold × 100",
      threshold: { kind: "points", value: 10, floor: 0 },
      value: (s) => {
        for (const t of s.tests) {
          const cold = numberArray(t.extra.cold_ttft_s), warm = numberArray(t.extra.warm_ttft_s);
          if (cold.length && warm.length && median(cold) > 0) {
            return ((median(cold) - median(warm)) / median(cold)) * 100;
          }
        }
        return null;
      },
    },
    {
      name: "router_fairness",
      unit: "index",
      better: "higher",
      description: "Jain's fairness index of the router's worker distribution (1 = even)",
      threshold: { kind: "relative", value: 10, floor: 0.02 },
      value: (s) => {
        for (const t of s.tests) {
          const counts = workerCounts(t);
          if (counts.length) {
            // All-idle workers have no distribution to rate.
            return counts.some(([, c]) => c > 0) ? jainIndex(counts.map(([, c]) => c)) : null;
          }
        }
        return null;
      },
    },
  ],
  concurrent: [
    {
      name: "success_rate_pct",
      unit: "%",
      better: "higher",
      description: "successful requests ÷ requests sent × 100, over every test",
      threshold: ERRORS,
      value: (s) => {
        const n = sumOf(s.tests, (t) => t.metrics.total_requests);
        return n > 0 ? (sumOf(s.tests, (t) => t.metrics.successful_requests) / n) * 100 : null;
      },
    },
    {
      name: "max_ok_concurrency",
      unit: "connections",
      better: "higher",
      description: "highest concurrency tested with at least 95% success",
      threshold: { kind: "relative", value: 0, floor: 0 },
      value: (s) => maxConcurrency(s.tests, 95),
    },
    {
      name: "achieved_rate_ratio",
      unit: "ratio",
      better: "higher",
      description: "open loop: achieved ÷ offered arrival rate (lowest over tests)",
      threshold: { kind: "relative", value: 5, floor: 0.01 },
      value: (s) => {
        let worst: number | null = null;
        for (const t of s.tests) {
          const o = t.extra.offered_rate, a = t.extra.achieved_rate;
          if (typeof o === "number" && typeof a === "number" && o > 0) {
            worst = worst === null ? a / o : Math.min(worst, a / o);
          }
        }
        return worst;
      },
    },
    {
      name: "latency_corrected_p99_ms",
      unit: "ms",
      better: "lower",
      description: "open loop: p99 latency from the intended send time (count-weighted)",
      threshold: LATENCY,
      value: (s) => {
        let n = 0, sum = 0;
        for (const t of s.tests) {
          const c = t.metrics.latency_corrected;
          if (c && c.count > 0) {
            n += c.count;
            sum += c.p99 * c.count;
          }
        }
        return n ? (sum / n) * 1000 : null;
      },
    },
  ],
  memory: [
    {
      name: "slope_kb_per_request",
      unit: "kB/request",
      better: "lower",
      description: "fitted memory growth per request (largest over tests)",
      threshold: { kind: "relative", value: 25, floor: 1 },
      value: (s) => maxExtra(s.tests, "slope_kb_per_request"),
    },
    {
      name: "growth_mb",
      unit: "MB",
      better: "lower",
      description: "memory after the idle drain minus the idle baseline (largest over tests)",
      threshold: { kind: "relative", value: 25, floor: 2 },
      value: (s) => maxOf(s.tests.map((t) => memoryGrowth(t)?.mb ?? null)),
    },
    {
      name: "growth_mb_per_min",
      unit: "MB/min",
      better: "lower",
      description: "growth_mb per minute of load (largest over tests)",
      threshold: { kind: "relative", value: 25, floor: 0.5 },
      value: (s) => maxOf(s.tests.map((t) => memoryGrowth(t)?.perMin ?? null)),
    },
    {
      name: "leaks",
      unit: "tests",
      better: "lower",
      description: "tests whose verdict is a leak",
      threshold: { kind: "relative", value: 0, floor: 0.5 },
      value: (s) => (s.tests.length ? s.tests.filter(isLeak).length : null),
    },
  ],
};

function maxOf(xs: readonly (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? Math.max(...v) : null;
}

function maxExtra(tests: readonly TestResult[], field: NumberField): number | null {
  return maxOf(tests.map((t) => t.extra[field] ?? null));
}

/** A test's worker distribution as sorted `[worker, count]` pairs (empty when absent). */
export function workerCounts(t: TestResult): [string, number][] {
  const d = t.extra.worker_distribution;
  if (!d) return [];
  return Object.entries(d)
    .sort((a, b) => a[0].localeCompare(b[0], "en", { numeric: true }));
}

/** Every metric of a suite: the common ones, then the suite's own. */
export function suiteMetrics(suite: SuiteName): readonly MetricDef[] {
  return [...COMMON_METRICS, ...SUITE_METRICS[suite]];
}

/** Every qualified metric name (`throughput.rps` …), in catalogue order. */
export function allMetricNames(): string[] {
  return SUITE_NAMES.flatMap((s) => suiteMetrics(s).map((m) => `${suiteKey(s)}.${m.name}`));
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

/** A metric found in the catalogue. */
export interface MetricRef {
  /** Suite. */
  suite: SuiteName;
  /** Metric definition. */
  def: MetricDef;
  /** Qualified name, canonical spelling (`kv_cache.hit_rate`). */
  qualified: string;
}

/**
 * Look up a qualified metric name (`suite.metric`; the suite may be spelt `kv-cache` or
 * `kv_cache`). Throws {@linkcode UsageError} naming close matches when it is unknown.
 */
export function lookupMetric(name: string): MetricRef {
  const dot = name.indexOf(".");
  const suitePart = dot > 0 ? name.slice(0, dot).trim().toLowerCase().replace(/_/g, "-") : "";
  const metricPart = name.slice(dot + 1).trim();
  const suite = (SUITE_NAMES as readonly string[]).includes(suitePart)
    ? suitePart as SuiteName
    : null;
  const def = suite ? suiteMetrics(suite).find((m) => m.name === metricPart) : undefined;
  if (!suite || !def) {
    const near = closeMatches(name.trim(), allMetricNames());
    throw new UsageError(
      `unknown metric '${name}'${dot > 0 ? "" : " (write suite.metric)"}; did you mean ${
        near.join(", ")
      }? (all names: 'fakeai-bench help metrics')`,
    );
  }
  return { suite, def, qualified: `${suiteKey(suite)}.${def.name}` };
}

/** Every catalogue metric of every suite that ran, keyed by qualified name. */
export function runMetricValues(
  suites: readonly SuiteResult[],
): Map<string, { ref: MetricRef; value: number | null }> {
  const out = new Map<string, { ref: MetricRef; value: number | null }>();
  for (const s of suites) {
    if (s.skipped !== null) continue;
    for (const def of suiteMetrics(s.suite)) {
      const qualified = `${suiteKey(s.suite)}.${def.name}`;
      const v = def.value(s);
      out.set(qualified, {
        ref: { suite: s.suite, def, qualified },
        value: v !== null && Number.isFinite(v) ? v : null,
      });
    }
  }
  return out;
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

/** The catalogue as help text: one line per metric, grouped by suite. */
export function metricsHelp(): string {
  const out = [
    "Metric names for --fail-if (suite.metric OP number) and compare --threshold:",
    "",
  ];
  for (const s of SUITE_NAMES) {
    out.push(`${s}:`);
    for (const m of suiteMetrics(s)) {
      const name = `${suiteKey(s)}.${m.name}`.padEnd(36);
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
