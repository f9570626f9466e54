/**
 * `throughput_results.md` / `.json`: the original layout with its defects fixed (a real P90
 * column, requests sent in the Requests column, a streaming comparison of like with like) and
 * TTFT, TPOT, ITL and output tokens/s added.
 *
 * @module
 */

import type { SuiteResult, TestResult } from "../suites/mod.ts";
import type { Summary } from "../measure/stats.ts";
import { fixed, mdTable, ms, NAMING_NOTE, signed, timestamp } from "./format.ts";
import { commonTestJson, originalTimingJson } from "./json.ts";
import { clientHealthLines } from "./health.ts";

/** One test as a `throughput_results.json` object (original fields first). */
export function throughputTestJson(t: TestResult): Record<string, unknown> {
  const m = t.metrics;
  return {
    test_name: t.name,
    total_requests: m.total_requests,
    successful_requests: m.successful_requests,
    failed_requests: m.failed_requests,
    ...originalTimingJson(m),
    payload_size: t.payload,
    streaming: t.streaming,
    latencies: m.latencies,
    concurrent_limit: t.load.kind === "closed" ? t.load.concurrency : null,
    ...commonTestJson(t),
  };
}

/** The suite's JSON document: an array of per-test objects. */
export function throughputJson(suite: SuiteResult): Record<string, unknown>[] {
  return suite.tests.map(throughputTestJson);
}

function latencyLines(label: string, s: Summary): string[] {
  return [
    `**${label}:**`,
    `- Average: ${ms(s.mean)}`,
    `- Min: ${ms(s.min)}`,
    `- Max: ${ms(s.max)}`,
    `- P50: ${ms(s.p50)}`,
    `- P90: ${ms(s.p90)}`,
    `- P95: ${ms(s.p95)}`,
    `- P99: ${ms(s.p99)}`,
    ...(s.source === "histogram"
      ? [`- Percentiles from an HDR histogram (relative error ≤ ${s.relative_error * 100}%)`]
      : []),
    "",
  ];
}

/** Error-class counts as `timeout 2, http_5xx 1`, or `none`. */
export function outcomeLine(t: TestResult): string {
  const parts = Object.entries(t.metrics.outcomes)
    .filter(([k, v]) => k !== "ok" && v > 0)
    .map(([k, v]) => `${k} ${v}`);
  return parts.length ? parts.join(", ") : "none";
}

/** `throughput_results.md`. */
export function throughputMarkdown(suite: SuiteResult, now: Date = new Date()): string {
  const out: string[] = [
    "# Throughput Benchmark Results",
    "",
    `**Timestamp:** ${timestamp(now)}`,
    "",
  ];
  if (suite.interrupted) out.push("> **Interrupted:** results cover only what completed.", "");
  out.push(`_${NAMING_NOTE}_`, "", "## Summary", "");
  out.push(
    mdTable(
      [
        "Test",
        "Requests",
        "RPS",
        "Tokens/sec",
        "Output tok/s",
        "Avg Latency",
        "P90 Latency",
        "P99 Latency",
        "TTFT P50",
        "TTFT P99",
        "TPOT P50",
      ],
      suite.tests.map((t) => {
        const m = t.metrics;
        return [
          t.name,
          String(m.total_requests),
          fixed(m.requests_per_second),
          fixed(m.total_tokens_per_second),
          fixed(m.output_tokens_per_second),
          ms(m.latency.mean),
          ms(m.latency.p90),
          ms(m.latency.p99),
          t.streaming ? ms(m.ttft.p50) : "—",
          t.streaming ? ms(m.ttft.p99) : "—",
          t.streaming ? ms(m.tpot.p50) : "—",
        ];
      }),
    ),
    "",
    "Requests = requests sent (warm-up excluded); Tokens/sec = input + output tokens per second " +
      "from server usage; Output tok/s = output tokens per second.",
    "",
    "## Detailed Results",
    "",
  );
  for (const t of suite.tests) {
    const m = t.metrics;
    out.push(
      `### ${t.name}`,
      "",
      `- **Payload Size:** ${t.payload}`,
      `- **Model:** ${t.model}${
        t.model_substituted_for ? ` (instead of ${t.model_substituted_for})` : ""
      }`,
      `- **Streaming:** ${t.streaming ? "True" : "False"}`,
      `- **Concurrency:** ${t.load.kind === "closed" ? t.load.concurrency : "—"}`,
      `- **Total Requests:** ${m.total_requests}`,
      `- **Successful:** ${m.successful_requests}`,
      `- **Failed:** ${m.failed_requests} (${outcomeLine(t)})`,
      `- **Total Time:** ${fixed(m.window_s)}s`,
      `- **Requests/sec:** ${fixed(m.requests_per_second)}`,
      `- **Tokens/sec:** ${fixed(m.total_tokens_per_second)}`,
      `- **Output Tokens/sec:** ${fixed(m.output_tokens_per_second)}` +
        (m.output_tokens_estimated ? " (some counts estimated by the client)" : ""),
      ...clientHealthLines(t),
      "",
      ...latencyLines("Latency Statistics", m.latency),
    );
    if (t.streaming && m.ttft.count > 0) {
      out.push(
        ...latencyLines("Time to First Token (TTFT)", m.ttft),
        ...latencyLines("Time per Output Token (TPOT)", m.tpot),
        ...latencyLines("Inter-Token Latency (ITL)", m.itl),
      );
    }
    for (const n of t.notes) out.push(`> ${n}`, "");
    if (m.error_samples.length) {
      out.push("**Sample Errors:**", ...m.error_samples.slice(0, 5).map((e) => `- ${e}`), "");
    }
  }
  const pairs = streamingPairs(suite.tests);
  if (pairs.length) {
    out.push(
      "## Streaming vs Non-Streaming",
      "",
      "Each row compares the two tests of one payload at the same concurrency.",
      "",
      mdTable(
        ["Payload", "Metric", "Non-Streaming", "Streaming", "Difference"],
        pairs.flatMap(([a, b]) => [
          [
            a.payload,
            "RPS",
            fixed(a.metrics.requests_per_second),
            fixed(b.metrics.requests_per_second),
            diff(a.metrics.requests_per_second, b.metrics.requests_per_second),
          ],
          [
            a.payload,
            "Avg Latency",
            ms(a.metrics.latency.mean),
            ms(b.metrics.latency.mean),
            diff(a.metrics.latency.mean, b.metrics.latency.mean),
          ],
        ]),
      ),
      "",
    );
  }
  return out.join("\n");
}

function diff(base: number, other: number): string {
  if (base === 0) return "n/a";
  return `${signed(((other - base) / base) * 100, 1)}%`;
}

/** Pairs (non-streaming, streaming) of tests with the same payload and concurrency. */
export function streamingPairs(tests: readonly TestResult[]): [TestResult, TestResult][] {
  const pairs: [TestResult, TestResult][] = [];
  const conc = (t: TestResult) => (t.load.kind === "closed" ? t.load.concurrency : -1);
  for (const a of tests) {
    if (a.streaming) continue;
    const b = tests.find((x) => x.streaming && x.payload === a.payload && conc(x) === conc(a));
    if (b) pairs.push([a, b]);
  }
  return pairs;
}

/** The Throughput section of `BENCHMARK_SUMMARY.md`. */
export function throughputSummary(suite: SuiteResult): string {
  const tests = suite.tests;
  if (tests.length === 0) return "No test completed.";
  const best = tests.reduce((
    a,
    b,
  ) => (b.metrics.requests_per_second > a.metrics.requests_per_second ? b : a));
  let n = 0, sum = 0, total = 0;
  for (const t of tests) {
    n += t.metrics.latency.count;
    sum += t.metrics.latency.mean * t.metrics.latency.count;
    total += t.metrics.total_requests;
  }
  const lines = [
    `- **Best RPS:** ${fixed(best.metrics.requests_per_second)} (${best.name})`,
    `- **Average Latency:** ${ms(n ? sum / n : 0)} (request-weighted over all tests)`,
    `- **Total Requests:** ${total}`,
  ];
  const streams = tests.filter((t) => t.streaming && t.metrics.ttft.count > 0);
  if (streams.length) {
    const worst = streams.reduce((a, b) => (b.metrics.ttft.p99 > a.metrics.ttft.p99 ? b : a));
    lines.push(`- **Worst TTFT P99:** ${ms(worst.metrics.ttft.p99)} (${worst.name})`);
  }
  return lines.join("\n");
}
