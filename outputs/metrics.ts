/**
 * A completed test as metric samples, the one vocabulary every output writes (Prometheus
 * remote write, the Pushgateway, the OpenMetrics textfile). Every sample carries the labels
 * `run_id`, `suite`, `test`, `target`, `model` and the run's `--tag k=v` labels.
 *
 * Names (docs/outputs.md lists them with their meaning):
 *
 * - `fakeai_bench_requests{outcome}`: counted requests of the test by outcome class;
 * - `fakeai_bench_requests_per_second`, `fakeai_bench_output_tokens_per_second`;
 * - `fakeai_bench_ttft_seconds`, `fakeai_bench_tpot_seconds`, `fakeai_bench_itl_seconds`,
 *   `fakeai_bench_e2e_seconds`: summaries (`quantile` 0.5, 0.9, 0.95, 0.99, with `_sum` and
 *   `_count`) of the test's successful requests;
 * - `fakeai_bench_slo_attainment_ratio`, `fakeai_bench_goodput_requests_per_second` (with
 *   `--slo`);
 * - `fakeai_bench_server_queue_waiting`, `fakeai_bench_server_kv_usage_ratio`: the mean of the
 *   server's own sampled metrics over the test, when it has them;
 * - `fakeai_bench_test_end_timestamp_seconds`: when the test ended;
 * - while a test runs, every {@linkcode WINDOW_S} seconds (time-series outputs only):
 *   `fakeai_bench_window_requests_per_second`, `…_output_tokens_per_second`,
 *   `…_errors_per_second{outcome}`, `fakeai_bench_window_in_flight` (the client's requests in
 *   flight), `fakeai_bench_window_{ttft,tpot,itl,e2e}_seconds{quantile}` (0.5, 0.99), the last
 *   `fakeai_bench_window_server_waiting` and `fakeai_bench_window_server_kv_usage_ratio`, with
 *   the labels of the test in progress (no `model`).
 *
 * @module
 */

import type { TestResult } from "../measure/result.ts";
import { OUTCOMES } from "../measure/record.ts";
import type { Summary } from "../measure/summary.ts";

/** One sample: a metric name, its labels and a value. */
export interface Sample {
  /** Metric name (a summary's `_sum`/`_count` included). */
  name: string;
  /** Labels besides the name. */
  labels: Record<string, string>;
  /** The value. */
  value: number;
}

/** A metric family: name, type and help, for the text formats. */
export interface Family {
  /** Base name. */
  name: string;
  /** `gauge` or `summary`. */
  type: "gauge" | "summary";
  /** One line of help. */
  help: string;
}

/** Every family the outputs write. */
export const FAMILIES: readonly Family[] = [
  {
    name: "fakeai_bench_requests",
    type: "gauge",
    help: "Counted requests of the test, by outcome.",
  },
  {
    name: "fakeai_bench_requests_per_second",
    type: "gauge",
    help: "Successful requests per second of the test's window.",
  },
  {
    name: "fakeai_bench_output_tokens_per_second",
    type: "gauge",
    help: "Output tokens of successful requests per second of the window.",
  },
  { name: "fakeai_bench_ttft_seconds", type: "summary", help: "Time to first token." },
  { name: "fakeai_bench_tpot_seconds", type: "summary", help: "Time per output token." },
  { name: "fakeai_bench_itl_seconds", type: "summary", help: "Inter-token latency." },
  { name: "fakeai_bench_e2e_seconds", type: "summary", help: "End-to-end request latency." },
  {
    name: "fakeai_bench_slo_attainment_ratio",
    type: "gauge",
    help: "Share of counted requests that succeeded and met every SLO.",
  },
  {
    name: "fakeai_bench_goodput_requests_per_second",
    type: "gauge",
    help: "Requests that met every SLO per second of the window.",
  },
  {
    name: "fakeai_bench_server_queue_waiting",
    type: "gauge",
    help: "Mean of the server's waiting requests over the test (its own metrics).",
  },
  {
    name: "fakeai_bench_server_kv_usage_ratio",
    type: "gauge",
    help: "Mean of the server's KV-cache usage over the test (its own metrics).",
  },
  {
    name: "fakeai_bench_test_end_timestamp_seconds",
    type: "gauge",
    help: "When the test ended (Unix time).",
  },
  {
    name: "fakeai_bench_window_requests_per_second",
    type: "gauge",
    help: "While a test runs: successful requests per second over the last window.",
  },
  {
    name: "fakeai_bench_window_output_tokens_per_second",
    type: "gauge",
    help: "While a test runs: output tokens of successes per second over the last window.",
  },
  {
    name: "fakeai_bench_window_errors_per_second",
    type: "gauge",
    help: "While a test runs: failed requests per second over the last window, by outcome.",
  },
  {
    name: "fakeai_bench_window_in_flight",
    type: "gauge",
    help: "While a test runs: the client's requests in flight as the window closed.",
  },
  {
    name: "fakeai_bench_window_ttft_seconds",
    type: "gauge",
    help: "While a test runs: TTFT quantiles (0.5, 0.99) of the last window's successes.",
  },
  {
    name: "fakeai_bench_window_tpot_seconds",
    type: "gauge",
    help: "While a test runs: TPOT quantiles (0.5, 0.99) of the last window's successes.",
  },
  {
    name: "fakeai_bench_window_itl_seconds",
    type: "gauge",
    help: "While a test runs: ITL quantiles (0.5, 0.99) of the last window's successes.",
  },
  {
    name: "fakeai_bench_window_e2e_seconds",
    type: "gauge",
    help: "While a test runs: E2E quantiles (0.5, 0.99) of the last window's successes.",
  },
  {
    name: "fakeai_bench_window_server_waiting",
    type: "gauge",
    help: "While a test runs: the server's waiting requests at its last sample.",
  },
  {
    name: "fakeai_bench_window_server_kv_usage_ratio",
    type: "gauge",
    help: "While a test runs: the server's KV-cache usage at its last sample.",
  },
];

/** Seconds between the samples of a test in progress. */
export const WINDOW_S = 5;

/** Every metric name an output may write (summaries with their `_sum` and `_count`). */
export function metricNames(): string[] {
  return FAMILIES.flatMap((f) =>
    f.type === "summary" ? [f.name, `${f.name}_sum`, `${f.name}_count`] : [f.name]
  );
}

/** Quantiles written for each summary. */
export const QUANTILES: readonly [string, keyof Summary][] = [
  ["0.5", "p50"],
  ["0.9", "p90"],
  ["0.95", "p95"],
  ["0.99", "p99"],
];

/** The labels every sample of a test carries. */
export interface RunLabels {
  /** The run's id. */
  run_id: string;
  /** The target's base URL. */
  target: string;
  /** `--tag k=v` labels. */
  tags: Record<string, string>;
}

function mean(xs: readonly (number | null)[] | undefined): number | null {
  const v = (xs ?? []).filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/** The samples of one completed test (non-finite values are left out). */
export function testSamples(run: RunLabels, suite: string, t: TestResult): Sample[] {
  const base: Record<string, string> = {
    ...run.tags,
    run_id: run.run_id,
    suite,
    test: t.name,
    target: run.target,
    model: t.model,
  };
  const out: Sample[] = [];
  const add = (name: string, value: number | null, extra: Record<string, string> = {}) => {
    if (value !== null && Number.isFinite(value)) {
      out.push({ name, labels: { ...base, ...extra }, value });
    }
  };
  const m = t.metrics;
  for (const o of OUTCOMES) add("fakeai_bench_requests", m.outcomes[o] ?? 0, { outcome: o });
  add("fakeai_bench_requests_per_second", m.requests_per_second);
  add("fakeai_bench_output_tokens_per_second", m.output_tokens_per_second);
  const summary = (name: string, s: Summary) => {
    if (s.count === 0) return;
    for (const [q, key] of QUANTILES) add(name, s[key] as number, { quantile: q });
    add(`${name}_sum`, s.mean * s.count);
    add(`${name}_count`, s.count);
  };
  summary("fakeai_bench_ttft_seconds", m.ttft);
  summary("fakeai_bench_tpot_seconds", m.tpot);
  summary("fakeai_bench_itl_seconds", m.itl);
  summary("fakeai_bench_e2e_seconds", m.latency);
  const slo = t.extra.slo;
  if (slo) {
    add(
      "fakeai_bench_slo_attainment_ratio",
      slo.attainment_pct === null ? null : slo.attainment_pct / 100,
    );
    add("fakeai_bench_goodput_requests_per_second", slo.goodput_rps);
  }
  const server = t.extra.server_metrics;
  if (server) {
    add("fakeai_bench_server_queue_waiting", mean(server.waiting));
    add("fakeai_bench_server_kv_usage_ratio", mean(server.kv_usage));
  }
  add("fakeai_bench_test_end_timestamp_seconds", m.window_end_epoch_s ?? Date.now() / 1000);
  return out;
}

/** A label value escaped for the text formats. */
function escapeLabel(v: string): string {
  return v.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll('"', '\\"');
}

/**
 * Samples in the Prometheus text format (`openMetrics` true: OpenMetrics 1.0, ending `# EOF`),
 * grouped by family with their `# HELP` and `# TYPE` lines.
 */
export function textFormat(samples: readonly Sample[], openMetrics = false): string {
  const lines: string[] = [];
  for (const f of FAMILIES) {
    const own = samples.filter((s) =>
      s.name === f.name ||
      (f.type === "summary" && (s.name === `${f.name}_sum` || s.name === `${f.name}_count`))
    );
    if (own.length === 0) continue;
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of own) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",");
      lines.push(`${s.name}{${labels}} ${s.value}`);
    }
  }
  if (openMetrics) lines.push("# EOF");
  return lines.join("\n") + "\n";
}
