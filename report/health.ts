/**
 * The "client health" line every test's report carries (from `extra.client_health`).
 *
 * @module
 */

import type { ClientHealth } from "../load/health.ts";
import type { TestResult } from "../measure/result.ts";
import { type Block, field, note, type Text } from "./doc.ts";

/** The test's client health, when it was measured. */
export function clientHealthOf(t: TestResult): ClientHealth | null {
  const h = t.extra.client_health;
  return h && typeof h.event_loop_lag_p99_ms === "number" ? h : null;
}

/** The client-health item of a test's field list (empty when not measured). */
export function clientHealthItem(t: TestResult): Text[] {
  const h = clientHealthOf(t);
  if (!h) return [];
  const stamps = typeof h.stamp_error_p99_ms === "number"
    ? `stamping error p50 ${h.stamp_error_p50_ms?.toFixed(2)} / p99 ` +
      `${h.stamp_error_p99_ms.toFixed(2)} ms (canary, ${h.stamp_error_samples} gaps), `
    : "";
  return [
    field(
      "Client health",
      `${stamps}event-loop lag p99 ${h.event_loop_lag_p99_ms.toFixed(2)} ms, ` +
        `client CPU ${h.cpu_pct.toFixed(0)}%`,
    ),
  ];
}

/**
 * The client's timing resolution over a test: its stamping error p99 measured on the canary
 * stream when it was, else its event-loop lag p99 (which understates the error at hundreds of
 * streams).
 */
export function timingResolution(h: ClientHealth): { what: string; ms: number } {
  return typeof h.stamp_error_p99_ms === "number"
    ? { what: "stamping error p99", ms: h.stamp_error_p99_ms }
    : { what: "event-loop lag p99", ms: h.event_loop_lag_p99_ms };
}

/**
 * Share of the ITL p50 at and above which the client's own timing resolution
 * ({@linkcode timingResolution}) is worth a warning.
 */
export const RESOLUTION_SHARE = 0.1;

/**
 * The client's timing resolution against the ITL it measured: the share its
 * {@linkcode timingResolution} is of the ITL p50, when it is {@linkcode RESOLUTION_SHARE} or
 * more (null otherwise).
 */
export function coarseResolution(t: TestResult): number | null {
  const h = clientHealthOf(t);
  const itl = t.metrics?.itl;
  if (!h || !itl || itl.count === 0 || !(itl.p50 > 0)) return null;
  const share = timingResolution(h).ms / (itl.p50 * 1000);
  return share >= RESOLUTION_SHARE ? share : null;
}

/** The warnings a test carries about its client: saturated, or too coarse for its ITL. */
export function clientHealthWarning(t: TestResult): Block[] {
  const out: Block[] = [];
  if (clientHealthOf(t)?.saturated) {
    out.push(note([
      { strong: "Warning:" },
      " the client was saturated during this test (event-loop lag or CPU high); " +
      "its latencies include client overhead. Lower the load or run the client on a " +
      "less busy machine.",
    ]));
  }
  const share = coarseResolution(t);
  if (share !== null) {
    const res = timingResolution(clientHealthOf(t)!);
    out.push(note([
      { strong: "Timing resolution:" },
      ` the client's ${res.what} (${res.ms.toFixed(2)} ` +
      `ms) is ${(share * 100).toFixed(0)}% of the ITL p50 it measured ` +
      `(${(t.metrics.itl.p50 * 1000).toFixed(2)} ms): inter-token gaps that short are blurred ` +
      "by the client's own delay. Spread the streams over --workers or fewer streams per client.",
    ]));
  }
  return out;
}
