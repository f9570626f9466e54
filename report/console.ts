/**
 * Console output: colours that honour `NO_COLOR`, a progress bar per test on stderr when it
 * is a terminal, and a summary table per test on stdout.
 *
 * @module
 */

import Table from "cli-table3";
import type { Progress } from "../runner/runner.ts";
import type { TestResult } from "../measure/result.ts";
import type { RepeatSummary } from "../analysis/repeat.ts";
import type { SuiteReporter } from "./reporter.ts";
import { fixed, ms } from "./format.ts";
import { coarseResolution, timingResolution } from "./health.ts";
import { generatesTokens } from "./workload.ts";

/** True when colour may be used on stdout. */
export function colorEnabled(): boolean {
  return Deno.env.get("NO_COLOR") === undefined && Deno.stdout.isTerminal();
}

function paint(code: number, text: string): string {
  return colorEnabled() ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** Bold text. */
export const bold = (t: string): string => paint(1, t);
/** Yellow text. */
export const yellow = (t: string): string => paint(33, t);
/** Red text. */
export const red = (t: string): string => paint(31, t);
/** Dim text. */
export const dim = (t: string): string => paint(2, t);

const encoder = new TextEncoder();

/** A progress bar on stderr; does nothing unless stderr is a terminal. */
export function progressBar(label: string, total: number): Progress {
  if (!Deno.stderr.isTerminal() || total <= 0) return { update() {}, finish() {} };
  const width = 30;
  let last = -1;
  const draw = (done: number) => {
    const filled = Math.round((done / total) * width);
    if (filled === last && done !== total) return;
    last = filled;
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    Deno.stderr.writeSync(encoder.encode(`\r  ${bar} ${done}/${total} ${label.slice(0, 40)}`));
  };
  draw(0);
  return {
    update: draw,
    finish() {
      Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
    },
  };
}

/** The per-test summary table printed on stdout. */
export function testTable(
  t: TestResult,
  repeat: RepeatSummary | null = null,
  reporter?: SuiteReporter,
): string {
  const m = t.metrics;
  const table = new Table({
    head: [],
    style: { head: [], border: [] },
    // No rule between rows: one line per metric.
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
  });
  const fail = m.failed_requests > 0 ? red(String(m.failed_requests)) : "0";
  table.push(
    ["Requests (ok / failed)", `${m.successful_requests} / ${fail}`],
    ["Window", `${fixed(m.window_s)} s`],
    ["Requests/s", fixed(m.requests_per_second)],
    ["Output tokens/s", fixed(m.output_tokens_per_second)],
    [
      "Latency p50 / p90 / p99",
      `${ms(m.latency.p50)} / ${ms(m.latency.p90)} / ${ms(m.latency.p99)}`,
    ],
  );
  if (t.streaming && m.ttft.count > 0) {
    table.push(
      ["TTFT p50 / p99", `${ms(m.ttft.p50)} / ${ms(m.ttft.p99)}`],
      ["TPOT p50 / ITL p99", `${ms(m.tpot.p50)} / ${ms(m.itl.p99)}`],
    );
  }
  for (const row of reporter?.consoleRows?.(t) ?? []) table.push(row);
  if (m.latency_corrected) {
    table.push(["Corrected latency p99", ms(m.latency_corrected.p99)]);
  }
  if (typeof t.extra.offered_rate === "number" && typeof t.extra.achieved_rate === "number") {
    table.push([
      "Offered / achieved rate",
      `${fixed(t.extra.offered_rate)} / ${fixed(t.extra.achieved_rate)} /s`,
    ]);
  }
  if (t.extra.schedule_kept === false) {
    table.push([
      "Schedule kept",
      `${red("no")}: queue delay p99 ${ms(m.queue_delay?.p99 ?? 0)}`,
    ]);
  }
  const health = t.extra.client_health;
  const coarse = coarseResolution(t);
  if (coarse !== null && health) {
    const res = timingResolution(health);
    table.push([
      "Timing resolution",
      yellow(`client ${res.what} ${fixed(res.ms, 2)} ms = ${fixed(coarse * 100, 0)}% of ITL p50`),
    ]);
  }
  if (health?.saturated) {
    table.push([
      "Client",
      red(
        `saturated (event-loop lag p99 ${fixed(health.event_loop_lag_p99_ms, 1)} ms, ` +
          `CPU ${fixed(health.cpu_pct, 0)}%): latencies include the client's own delay`,
      ),
    ]);
  }
  const rep = repeat;
  if (rep) {
    const cv = (name: string) => {
      const x = rep.metrics.find((m) => m.name === name);
      if (!x || x.cv_pct === null) return null;
      const text = `${name} CV ${fixed(x.cv_pct, 1)}%`;
      return x.unstable ? red(`${text} (unstable)`) : text;
    };
    const cvs = ["rps", "latency_p99_ms", "ttft_p99_ms"].map(cv).filter((x) => x !== null);
    table.push([`Over ${rep.repeats} repeats`, cvs.join(" · ") || "—"]);
  }
  const slo = t.extra.slo;
  if (slo) {
    table.push([
      "SLO attainment / goodput",
      `${slo.attainment_pct === null ? "—" : `${fixed(slo.attainment_pct, 1)}%`} / ` +
      `${fixed(slo.goodput_rps)} req/s`,
    ]);
  }
  const w = t.extra.workload;
  if (w) {
    const i = w.input, o = w.output;
    const n = (v: number | null) => (v === null ? "—" : fixed(v, 1));
    table.push([
      "Input tokens (built / server)",
      `${n(i.requested_mean)} / ${n(i.server_mean ?? i.server_metrics_mean ?? null)}` +
      (w.tokenizer_exact ? "" : ` ${yellow(`(exact in ${w.tokenizer} only)`)}`),
    ]);
    if (generatesTokens(w)) {
      table.push([
        "Output tokens (asked / got)",
        `${n(o.requested_mean)} / ${n(o.delivered_mean)}` +
        (o.short > 0 ? ` ${red(`(${o.short} stopped early)`)}` : ""),
      ]);
    }
    if (w.ttfo && w.reasoning_tokens_mean !== null) {
      table.push(["TTFO p50 / p99 (answer)", `${ms(w.ttfo.p50)} / ${ms(w.ttfo.p99)}`]);
    }
    if (w.embeddings) {
      table.push(["Embedding inputs/s", fixed(w.embeddings.inputs_per_second, 1)]);
    }
    if (w.tool_calls) {
      const t = w.tool_calls;
      table.push([
        "Tool calls (share · valid)",
        `${fixed(t.share * 100, 1)}% · ${fixed(t.args_valid_share * 100, 1)}%`,
      ]);
      table.push([
        "First tool delta p50 / p99",
        `${ms(t.first_delta.p50)} / ${ms(t.first_delta.p99)}`,
      ]);
    }
    if (w.image_tokens) {
      table.push([
        "Image tokens / share",
        `${n(w.image_tokens.per_request_mean)} / ${
          fixed(w.image_tokens.share_of_prompt * 100, 1)
        }%`,
      ]);
    }
    if (w.ranking) {
      table.push([
        "Queries/s · documents/s",
        `${fixed(w.ranking.queries_per_second, 1)} · ${fixed(w.ranking.documents_per_second, 1)}`,
      ]);
    }
  }
  return `${bold(t.name)}\n${table.toString()}`;
}
