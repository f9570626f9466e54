/**
 * `throughput_results.md` / `.json`: the original layout with its defects fixed (a real P90
 * column, requests sent in the Requests column, a streaming comparison of like with like) and
 * TTFT, TPOT, ITL and output tokens/s added.
 *
 * @module
 */

import type { SuiteResult, TestResult } from "../../measure/result.ts";
import type { SuiteAnalysis } from "../../analysis/run.ts";
import type { SuiteReporter } from "../../report/reporter.ts";
import { notesAndErrors, outcomeLine, reportHead } from "../../report/common.ts";
import { streamingPairs } from "./analysis.ts";
import type { Summary } from "../../measure/summary.ts";
import { fixed, mdCell, ms, signed } from "../../report/format.ts";
import { commonTestJson, originalTimingJson } from "../../report/json.ts";
import { clientHealthItem, clientHealthWarning } from "../../report/health.ts";
import { sweepBlocks } from "../../report/sweep.ts";
import { searchBlocks } from "../../report/search.ts";
import { repeatBlocks } from "../../report/repeat.ts";
import { type Block, field, heading, list, para, table } from "../../report/doc.ts";
import { extraBlocks } from "../../report/extras.ts";

/** One test as a `throughput_results.json` object (original fields first). */
export function throughputTestJson(t: TestResult, a?: SuiteAnalysis): Record<string, unknown> {
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
    ...commonTestJson(t, a),
  };
}

/** The suite's JSON document: an array of per-test objects. */
export function throughputJson(suite: SuiteResult, a?: SuiteAnalysis): Record<string, unknown>[] {
  return suite.tests.map((t) => throughputTestJson(t, a));
}

function latencyList(label: string, s: Summary): Block {
  return list(
    [
      `Average: ${ms(s.mean)}`,
      `Min: ${ms(s.min)}`,
      `Max: ${ms(s.max)}`,
      `P50: ${ms(s.p50)}`,
      `P90: ${ms(s.p90)}`,
      `P95: ${ms(s.p95)}`,
      `P99: ${ms(s.p99)}`,
      ...(s.source === "histogram"
        ? [`Percentiles from an HDR histogram (relative error ≤ ${s.relative_error * 100}%)`]
        : []),
    ],
    { strong: `${label}:` },
  );
}

/** `throughput_results.md` as blocks. */
export function throughputDoc(
  suite: SuiteResult,
  a: SuiteAnalysis,
  now: Date = new Date(),
): Block[] {
  const out: Block[] = [
    ...reportHead("Throughput Benchmark Results", suite, now),
    heading(2, "Summary"),
    table(
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
    para(
      "Requests = requests sent (warm-up excluded); Tokens/sec = input + output tokens per second " +
        "from server usage (n/a when the server did not report prompt tokens); Output tok/s = " +
        "output tokens per second.",
    ),
    heading(2, "Detailed Results"),
  ];
  for (const t of suite.tests) {
    const m = t.metrics;
    out.push(
      heading(3, t.name),
      list([
        field("Payload Size", t.payload),
        field(
          "Model",
          `${t.model}${t.model_substituted_for ? ` (instead of ${t.model_substituted_for})` : ""}`,
        ),
        field("Streaming", t.streaming ? "True" : "False"),
        field("Concurrency", t.load.kind === "closed" ? String(t.load.concurrency) : "—"),
        field("Total Requests", String(m.total_requests)),
        field("Successful", String(m.successful_requests)),
        field("Failed", `${m.failed_requests} (${outcomeLine(t)})`),
        field("Total Time", `${fixed(m.window_s)}s`),
        field("Requests/sec", fixed(m.requests_per_second)),
        field("Tokens/sec", fixed(m.total_tokens_per_second)),
        field(
          "Output Tokens/sec",
          fixed(m.output_tokens_per_second) +
            (m.output_tokens_estimated
              ? ` (some counts estimated by the client: ${
                m.output_tokens_counted_by === "events" || !m.output_tokens_counted_by
                  ? "token-bearing chunks counted"
                  : `streamed text counted with the ${m.output_tokens_counted_by} tokenizer`
              })`
              : ""),
        ),
        ...clientHealthItem(t),
      ]),
      ...clientHealthWarning(t),
      latencyList("Latency Statistics", m.latency),
    );
    if (t.streaming && m.ttft.count > 0) {
      out.push(
        latencyList("Time to First Token (TTFT)", m.ttft),
        latencyList("Time per Output Token (TPOT)", m.tpot),
        latencyList("Inter-Token Latency (ITL)", m.itl),
      );
    }
    out.push(
      ...extraBlocks(t, a),
      ...notesAndErrors(t),
    );
  }
  const pairs = streamingPairs(suite.tests);
  if (pairs.length) {
    out.push(
      heading(2, "Streaming vs Non-Streaming"),
      para("Each row compares the two tests of one payload at the same concurrency."),
      table(
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
    );
  }
  out.push(...sweepBlocks(a.sweeps), ...searchBlocks(suite), ...repeatBlocks(a.repeat));
  return out;
}

function diff(base: number, other: number): string {
  if (base === 0) return "n/a";
  return `${signed(((other - base) / base) * 100, 1)}%`;
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
    `- **Best RPS:** ${fixed(best.metrics.requests_per_second)} (${mdCell(best.name)})`,
    `- **Average Latency:** ${ms(n ? sum / n : NaN)} (request-weighted over all tests)`,
    `- **Total Requests:** ${total}`,
  ];
  const streams = tests.filter((t) => t.streaming && t.metrics.ttft.count > 0);
  if (streams.length) {
    const worst = streams.reduce((a, b) => (b.metrics.ttft.p99 > a.metrics.ttft.p99 ? b : a));
    lines.push(`- **Worst TTFT P99:** ${ms(worst.metrics.ttft.p99)} (${mdCell(worst.name)})`);
  }
  return lines.join("\n");
}

/** The throughput suite's reports. */
export const THROUGHPUT_REPORTER: SuiteReporter = {
  file: "throughput_results",
  title: "Throughput",
  doc: (s, _run, a, now) => throughputDoc(s, a, now),
  json: (s, _run, a) => throughputJson(s, a),
  summary: (s) => throughputSummary(s),
};
