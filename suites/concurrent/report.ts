/**
 * `concurrent_results.md` / `.json`: the original layout (Summary, Detailed Results,
 * Performance Analysis) with its defect fixed — closed-loop bursts are compared only with
 * bursts of the same payload, and the sustained open-loop test is analysed on its own, with
 * latency from the intended send time beside latency from the actual send, queue delay, and
 * offered vs achieved rate — plus error classes and p95.
 *
 * @module
 */

import type { SuiteResult, TestResult } from "../../measure/result.ts";
import type { SuiteAnalysis } from "../../analysis/run.ts";
import type { SuiteReporter } from "../../report/reporter.ts";
import type { ConcurrentExtra } from "./result.ts";

type ConcSuite = SuiteResult<ConcurrentExtra>;
type ConcTest = TestResult<ConcurrentExtra>;
import type { Summary } from "../../measure/summary.ts";
import { fixed, mdCell, ms, NAMING_NOTE, pct } from "../../report/format.ts";
import { commonTestJson, originalTimingJson } from "../../report/json.ts";
import { clientHealthItem, clientHealthWarning } from "../../report/health.ts";
import { sweepBlocks } from "../../report/sweep.ts";
import { searchBlocks } from "../../report/search.ts";
import { repeatBlocks } from "../../report/repeat.ts";
import {
  type Block,
  field,
  heading,
  list,
  note,
  para,
  reportTitle,
  type Span,
  table,
  type Text,
} from "../../report/doc.ts";
import { extraBlocks } from "../../report/extras.ts";

/** One test as a `concurrent_results.json` object (original fields first). */
export function concurrentTestJson(t: ConcTest, a?: SuiteAnalysis): Record<string, unknown> {
  const m = t.metrics;
  return {
    test_name: t.name,
    total_requests: m.total_requests,
    concurrent_connections: concurrency(t),
    successful_requests: m.successful_requests,
    failed_requests: m.failed_requests,
    ...originalTimingJson(m),
    latencies: m.latencies,
    error_messages: m.error_samples,
    ...commonTestJson(t, a),
    ...t.extra,
    success_rate: successPct(t),
    error_rate: 100 - successPct(t),
    error_classes: errorClasses(t),
  };
}

/** The suite's JSON document: an array of per-test objects. */
export function concurrentJson(suite: ConcSuite, a?: SuiteAnalysis): Record<string, unknown>[] {
  return suite.tests.map((t) => concurrentTestJson(t, a));
}

/** Requests in flight of a closed-loop test; null for an open loop. */
function concurrency(t: ConcTest): number | null {
  return t.load.kind === "closed" ? t.load.concurrency : null;
}

function successPct(t: ConcTest): number {
  const m = t.metrics;
  return m.total_requests > 0 ? (m.successful_requests / m.total_requests) * 100 : 0;
}

/** Failed requests per error class (only classes that occurred). */
export function errorClasses(t: ConcTest): Record<string, number> {
  return Object.fromEntries(
    Object.entries(t.metrics.outcomes).filter(([k, v]) => k !== "ok" && v > 0),
  );
}

function classLine(t: ConcTest): string {
  const parts = Object.entries(errorClasses(t)).map(([k, v]) => `${k} ${v}`);
  return parts.length ? parts.join(", ") : "none";
}

function concurrentCell(t: ConcTest): string {
  if (t.load.kind === "closed") return String(t.load.concurrency);
  if (t.load.kind === "open") return `open loop ${fixed(t.load.rate)}/s`;
  return "1";
}

function percentileList(label: string, s: Summary): Block {
  return list(
    [
      `Average: ${ms(s.mean)}`,
      `Min: ${ms(s.min)}`,
      `Max: ${ms(s.max)}`,
      `P50 (Median): ${ms(s.p50)}`,
      `P90: ${ms(s.p90)}`,
      `P95: ${ms(s.p95)}`,
      `P99: ${ms(s.p99)}`,
    ],
    { strong: `${label}:` },
  );
}

function scheduleText(t: ConcTest): Span {
  const kept = t.extra.schedule_kept;
  if (kept === undefined) return "—";
  return kept ? "Yes" : { strong: "No" };
}

function detail(t: ConcTest, a: SuiteAnalysis): Block[] {
  const m = t.metrics;
  const items: Text[] = [field("Total Requests", String(m.total_requests))];
  if (t.load.kind === "open") {
    const l = t.load;
    const bound = l.duration_s !== null
      ? `for ${fixed(l.duration_s, 0)} s`
      : `${l.requests} arrivals`;
    items.push(
      field(
        "Load",
        `open loop, ${l.arrival} arrivals at ${fixed(l.rate)}/s ${bound}` +
          (l.max_in_flight !== null
            ? `, at most ${l.max_in_flight} in flight`
            : ", no cap in flight"),
      ),
      field("Peak In Flight", String(t.extra.peak_in_flight ?? "—")),
      field(
        "Offered Rate",
        `${fixed(t.extra.offered_rate ?? 0)}/s` +
          (l.arrival === "poisson"
            ? ` (this Poisson draw: ${fixed(t.extra.scheduled_rate ?? 0)}/s)`
            : ""),
      ),
      field("Achieved Rate", `${fixed(t.extra.achieved_rate ?? 0)}/s (sends per second)`),
      field("Schedule Kept", [
        scheduleText(t),
        ` (queue delay p99 ${ms(m.queue_delay?.p99 ?? 0)}, bound ${
          fixed(t.extra.max_queue_delay_ms ?? 0)
        }ms)`,
      ]),
    );
  } else {
    items.push(
      field("Concurrent Connections", `${concurrentCell(t)} (one shared connection pool)`),
    );
  }
  items.push(
    field(
      "Model",
      `${t.model}${t.model_substituted_for ? ` (instead of ${t.model_substituted_for})` : ""}`,
    ),
    field("Successful", String(m.successful_requests)),
    field("Failed", String(m.failed_requests)),
    field("Error Classes", classLine(t)),
    field("Success Rate", pct(successPct(t))),
    field("Total Time", `${fixed(m.window_s)}s`),
    field("Requests/sec", fixed(m.requests_per_second)),
    field("Tokens/sec", fixed(m.total_tokens_per_second)),
    field("Output Tokens/sec", fixed(m.output_tokens_per_second)),
    ...clientHealthItem(t),
  );
  const out: Block[] = [
    heading(3, t.name),
    list(items),
    ...clientHealthWarning(t),
    percentileList(
      t.load.kind === "open" ? "Latency Percentiles (from actual send)" : "Latency Percentiles",
      m.latency,
    ),
  ];
  if (m.latency_corrected) {
    out.push(percentileList("Corrected Latency (from intended send time)", m.latency_corrected));
  }
  if (m.queue_delay) {
    const q = m.queue_delay;
    out.push(
      list(
        [`P50: ${ms(q.p50)}`, `P90: ${ms(q.p90)}`, `P99: ${ms(q.p99)}`, `Max: ${ms(q.max)}`],
        { strong: "Queue Delay (actual − intended send time):" },
      ),
    );
  }
  out.push(
    ...extraBlocks(t, a),
    ...t.notes.map((n) => note(n)),
  );
  if (m.error_samples.length) out.push(list(m.error_samples, { strong: "Sample Errors:" }));
  return out;
}

/** Closed-loop tests grouped by payload, so only like is compared with like. */
export function burstGroups(tests: readonly ConcTest[]): ConcTest[][] {
  const groups = new Map<string, ConcTest[]>();
  for (const t of tests) {
    if (t.load.kind !== "closed") continue;
    const key = `${t.payload}\u0000${t.model}\u0000${t.streaming}\u0000${t.max_tokens}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  return [...groups.values()].map((g) => g.sort((a, b) => concurrency(a)! - concurrency(b)!));
}

/** The best error-free burst (highest RPS) of a group, or null. */
export function bestBurst(group: readonly ConcTest[]): ConcTest | null {
  const clean = group.filter((t) => t.metrics.failed_requests === 0 && t.metrics.total_requests);
  if (!clean.length) return null;
  return clean.reduce((a, b) =>
    b.metrics.requests_per_second > a.metrics.requests_per_second ? b : a
  );
}

/** The burst with failures at the lowest concurrency of a group, or null. */
export function firstDegradation(group: readonly ConcTest[]): ConcTest | null {
  return group.find((t) => t.metrics.failed_requests > 0) ?? null;
}

function burstAnalysis(group: ConcTest[], title: string | null): Block[] {
  const out: Block[] = title ? [heading(4, title)] : [];
  const best = bestBurst(group);
  if (best) {
    out.push(
      list(
        [
          `Test: ${best.name}`,
          `Requests/sec: ${fixed(best.metrics.requests_per_second)}`,
          `P99 Latency: ${ms(best.metrics.latency.p99)}`,
          `Concurrent Connections: ${concurrency(best)}`,
        ],
        { strong: "Best Performance (no errors):" },
      ),
    );
  } else {
    out.push(
      para(field("Best Performance (no errors)", "none — every burst had failed requests.")),
    );
  }
  const first = firstDegradation(group);
  if (first) {
    out.push(
      list(
        [
          `Test: ${first.name}`,
          `Concurrent Connections: ${concurrency(first)}`,
          `Error Rate: ${pct(100 - successPct(first))} (${classLine(first)})`,
        ],
        { strong: "First Performance Degradation:" },
      ),
    );
  } else {
    out.push(
      para(field("First Performance Degradation", "none — no burst had failed requests.")),
    );
  }
  if (group.length > 1) {
    const base = group[0].metrics.latency.p99;
    out.push(
      table(
        ["Concurrent", "RPS", "P50", "P99", "P99 vs lowest", "Error Rate"],
        group.map((t) => [
          String(concurrency(t)),
          fixed(t.metrics.requests_per_second),
          ms(t.metrics.latency.p50),
          ms(t.metrics.latency.p99),
          base > 0 && t.metrics.latency.count ? `×${fixed(t.metrics.latency.p99 / base)}` : "n/a",
          pct(100 - successPct(t)),
        ]),
      ),
    );
  }
  return out;
}

function openAnalysis(tests: ConcTest[]): Block[] {
  const out: Block[] = [
    para(
      "Open-loop tests send on a fixed schedule whatever the responses do, so a slow server " +
        "cannot lower the offered load. Corrected latency is measured from when each request " +
        "was due; when the client had to hold requests back, it exceeds latency from the actual " +
        "send by the queue delay.",
    ),
    table(
      [
        "Test",
        "Offered",
        "Achieved",
        "Schedule Kept",
        "P50",
        "P99",
        "Corrected P50",
        "Corrected P99",
        "Queue Delay P99",
        "Success Rate",
      ],
      tests.map((t) => {
        const m = t.metrics;
        return [
          t.name,
          `${fixed(t.extra.offered_rate ?? 0)}/s`,
          `${fixed(t.extra.achieved_rate ?? 0)}/s`,
          scheduleText(t),
          ms(m.latency.p50),
          ms(m.latency.p99),
          ms(m.latency_corrected?.p50 ?? 0),
          ms(m.latency_corrected?.p99 ?? 0),
          ms(m.queue_delay?.p99 ?? 0),
          pct(successPct(t), 1),
        ];
      }),
    ),
  ];
  for (const t of tests) {
    if (t.extra.schedule_kept === false) {
      out.push(
        note([
          { strong: `${t.name}: schedule not kept.` },
          ` The client could not send on time (queue delay p99 ${
            ms(t.metrics.queue_delay?.p99 ?? 0)
          }); read the corrected latency.`,
        ]),
      );
    }
  }
  return out;
}

/** `concurrent_results.md` as blocks. */
export function concurrentDoc(
  suite: ConcSuite,
  a: SuiteAnalysis,
  now: Date = new Date(),
): Block[] {
  const out: Block[] = reportTitle("Concurrent Connections Benchmark Results", suite, now);
  const unkept = suite.tests.filter((t) => t.extra.schedule_kept === false);
  if (unkept.length) {
    out.push(
      note([
        { strong: "Schedule not kept" },
        ` in ${unkept.map((t) => t.name).join(", ")}: see Performance Analysis.`,
      ]),
    );
  }
  out.push(
    para({ em: NAMING_NOTE }),
    heading(2, "Summary"),
    table(
      ["Test", "Requests", "Concurrent", "Success Rate", "RPS", "P50", "P90", "P99", "Errors"],
      suite.tests.map((t) => {
        const m = t.metrics;
        return [
          t.name,
          String(m.total_requests),
          concurrentCell(t),
          pct(successPct(t), 1),
          fixed(m.requests_per_second),
          ms(m.latency.p50),
          ms(m.latency.p90),
          ms(m.latency.p99),
          classLine(t),
        ];
      }),
    ),
    para(
      "Requests = requests sent (warm-up excluded); RPS = successful requests per second; " +
        "latencies are of successful requests only, from the actual send.",
    ),
    heading(2, "Detailed Results"),
  );
  for (const t of suite.tests) out.push(...detail(t, a));
  out.push(heading(2, "Performance Analysis"));
  const groups = burstGroups(suite.tests);
  if (groups.length) {
    out.push(
      heading(3, "Concurrency Bursts (closed loop)"),
      para(
        "Bursts are compared only with bursts of the same payload; the sustained open-loop " +
          "test is analysed separately below.",
      ),
    );
    for (const g of groups) {
      out.push(...burstAnalysis(g, groups.length > 1 ? `Payload: ${g[0].payload}` : null));
    }
  }
  const open = suite.tests.filter((t) => t.load.kind === "open");
  if (open.length) out.push(heading(3, "Sustained Load (open loop)"), ...openAnalysis(open));
  if (!groups.length && !open.length) out.push(para("No test completed."));
  out.push(...sweepBlocks(a.sweeps), ...searchBlocks(suite), ...repeatBlocks(a.repeat));
  return out;
}

/** The Concurrent Connections section of `BENCHMARK_SUMMARY.md`. */
export function concurrentSummary(suite: ConcSuite): string {
  const tests = suite.tests;
  if (tests.length === 0) return "No test completed.";
  const closed = tests.filter((t) => t.load.kind === "closed");
  const lines: string[] = [];
  const best = bestBurst(closed);
  if (best) {
    lines.push(
      `- **Best RPS (no errors):** ${fixed(best.metrics.requests_per_second)} @ ${
        concurrency(best)
      } concurrent`,
      `- **P99 Latency:** ${ms(best.metrics.latency.p99)}`,
    );
  }
  if (closed.length) {
    lines.push(`- **Max Concurrent Tested:** ${Math.max(...closed.map((t) => concurrency(t)!))}`);
    const first = firstDegradation(
      [...closed].sort((a, b) => concurrency(a)! - concurrency(b)!),
    );
    lines.push(
      `- **First Errors:** ${
        first ? `${concurrency(first)} concurrent (${pct(100 - successPct(first))} failed)` : "none"
      }`,
    );
  }
  for (const t of tests.filter((x) => x.load.kind === "open")) {
    const m = t.metrics;
    lines.push(
      `- **${mdCell(t.name)}:** offered ${fixed(t.extra.offered_rate ?? 0)}/s, achieved ${
        fixed(t.extra.achieved_rate ?? 0)
      }/s, schedule kept: ${t.extra.schedule_kept === false ? "**No**" : "Yes"}; P99 ${
        ms(m.latency.p99)
      } (corrected ${ms(m.latency_corrected?.p99 ?? 0)})`,
    );
  }
  return lines.join("\n");
}

/** The concurrent suite's reports. */
export const CONCURRENT_REPORTER: SuiteReporter<ConcurrentExtra> = {
  file: "concurrent_results",
  title: "Concurrent Connections",
  doc: (s, _run, a, now) => concurrentDoc(s, a, now),
  json: (s, _run, a) => concurrentJson(s, a),
  summary: (s) => concurrentSummary(s),
};
