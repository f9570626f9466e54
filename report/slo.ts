/**
 * What any test may add to its section: SLO attainment and goodput, its steady state, and its
 * failures' time to failure per class.
 *
 * @module
 */

import type { TestResult } from "../measure/result.ts";
import { type Block, list, type Text } from "./doc.ts";
import { fixed, ms } from "./format.ts";

/** The lines of a test's SLO result. */
export function sloItems(t: TestResult): Text[] {
  const s = t.extra.slo;
  if (!s) return [];
  const missed = Object.entries(s.missed_by).filter(([, n]) => n > 0)
    .map(([k, n]) => `${k}: ${n}`).join(", ");
  return [
    `SLOs: ${s.slos.join(", ")}${s.corrected ? " (TTFT and E2E from the intended send time)" : ""}`,
    `Attainment: ${s.attainment_pct === null ? "—" : `${fixed(s.attainment_pct, 1)}%`} ` +
    `(${s.met} of ${s.requests} requests met every SLO)`,
    `Goodput: ${fixed(s.goodput_rps)} req/s, ${fixed(s.goodput_output_tps, 1)} output tokens/s`,
    `Missed: ${missed || "none"}${s.failed > 0 ? `; ${s.failed} failed requests (meet none)` : ""}`,
  ];
}

/** The SLO list of a test's section, or nothing. */
export function sloBlocks(t: TestResult): Block[] {
  const items = sloItems(t);
  return items.length ? [list(items, { strong: "SLOs and goodput:" })] : [];
}

/** The steady-state line of a closed-loop test's section, or nothing. */
export function steadyBlocks(t: TestResult): Block[] {
  const s = t.extra.steady_state;
  if (!s) return [];
  return [
    list([
      `Steady state (every lane busy; ${fixed(s.cut_s, 2)} s of ramp-up and drain cut): ` +
      `${s.requests} requests over ${fixed(s.window_s, 2)} s, ${fixed(s.requests_per_second)} ` +
      `req/s, ${fixed(s.output_tokens_per_second, 1)} output tokens/s, latency p50 / p99 ` +
      `${ms(s.latency_p50)} / ${ms(s.latency_p99)}`,
    ]),
  ];
}

/** Time to failure per error class of a test's section, or nothing. */
export function failureBlocks(t: TestResult): Block[] {
  const f = t.extra.failure_times;
  if (!f) return [];
  const items = Object.entries(f).map(([cls, v]) =>
    `${cls}: ${v!.count} failed after p50 ${ms(v!.p50)}, p99 ${ms(v!.p99)}, max ${ms(v!.max)}`
  );
  return [list(items, { strong: "Time to failure (not in the latencies above):" })];
}
