/**
 * The server's own metrics in the reports: per test, what the server said about its batch,
 * queue, KV cache and latencies beside what the client measured, and a chart of its queue over
 * the test on the client's time axis.
 *
 * @module
 */

import type { ServerHistogramSummary, ServerSeries } from "../measure/server_series.ts";
import type { Summary } from "../measure/summary.ts";
import type { TestResult } from "../measure/result.ts";
import { type Block, list, type Text } from "./doc.ts";
import { fixed, ms } from "./format.ts";

/** Display names of the engines whose metrics are known. */
const ENGINE_NAMES: Record<string, string> = { vllm: "vLLM", sglang: "SGLang", tgi: "TGI" };

const present = (xs: readonly (number | null)[]) => xs.filter((x): x is number => x !== null);

const maxOf = (xs: readonly (number | null)[]) => {
  const v = present(xs);
  return v.length ? Math.max(...v) : null;
};

const meanOf = (xs: readonly (number | null)[]) => {
  const v = present(xs);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
};

/** `server p50 / p99 (client p50 / p99)` for one latency the server also measures. */
function beside(server: ServerHistogramSummary, client: Summary | null): string {
  const s = `${ms(server.p50)} / ${ms(server.p99)} (n=${server.count})`;
  if (!client || client.count === 0) return s;
  return `${s}; client ${ms(client.p50)} / ${ms(client.p99)}, ` +
    `client − server at p50 ${ms(client.p50 - server.p50)}`;
}

/** The items of a test's server metrics (empty when the server offered none). */
export function serverItems(s: ServerSeries, t: TestResult): Text[] {
  const items: Text[] = [];
  const running = maxOf(s.running), waiting = maxOf(s.waiting);
  if (running !== null) {
    items.push(
      `Requests running: max ${fixed(running, 0)}, mean ${fixed(meanOf(s.running) ?? 0, 1)}` +
        (waiting !== null
          ? `; waiting: max ${fixed(waiting, 0)}, mean ${fixed(meanOf(s.waiting) ?? 0, 1)}`
          : ""),
    );
  }
  const kv = maxOf(s.kv_usage);
  if (kv !== null) items.push(`KV-cache usage: max ${fixed(kv * 100, 1)}%`);
  const hits = present(s.prefix_hit_rate);
  if (hits.length) items.push(`Prefix-cache hit rate: ${fixed(hits[hits.length - 1] * 100, 1)}%`);
  const pre = maxOf(s.preemptions);
  if (pre !== null) items.push(`Preemptions: ${fixed(pre, 0)}`);
  const m = t.metrics;
  if (s.ttft) items.push(`TTFT p50 / p99: ${beside(s.ttft, t.streaming ? m.ttft : null)}`);
  if (s.itl) {
    items.push(`Inter-token latency p50 / p99: ${beside(s.itl, t.streaming ? m.itl : null)}`);
  }
  if (s.e2e) items.push(`End-to-end p50 / p99: ${beside(s.e2e, m.latency)}`);
  if (s.queue) items.push(`Queue time p50 / p99: ${ms(s.queue.p50)} / ${ms(s.queue.p99)}`);
  if (s.failed_scrapes) items.push(`${s.failed_scrapes} scrapes failed (gaps in the series)`);
  return items;
}

/** The server-metrics list of a test's section, or nothing. */
export function serverBlocks(t: TestResult): Block[] {
  const s = t.extra.server_metrics;
  if (!s) return [];
  const items = serverItems(s, t);
  if (!items.length) return [];
  const engine = s.engine ? ENGINE_NAMES[s.engine] : "server";
  return [
    list(items, {
      strong: `Server metrics (${engine}, sampled every second; its percentiles are ` +
        "interpolated within its histogram buckets):",
    }),
  ];
}
