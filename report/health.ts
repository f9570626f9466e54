/**
 * The "client health" line every test's report carries (from `extra.client_health`).
 *
 * @module
 */

import type { ClientHealth } from "../load/health.ts";
import type { TestResult } from "../suites/mod.ts";

/** The test's client health, when it was measured. */
export function clientHealthOf(t: TestResult): ClientHealth | null {
  const h = t.extra.client_health;
  return h && typeof h.event_loop_lag_p99_ms === "number" ? h : null;
}

/**
 * Markdown lines: `- **Client health:** event-loop lag p99 0.42 ms, client CPU 37%`, plus a
 * warning when the client was saturated. Empty when not measured.
 */
export function clientHealthLines(t: TestResult): string[] {
  const h = clientHealthOf(t);
  if (!h) return [];
  const lines = [
    `- **Client health:** event-loop lag p99 ${h.event_loop_lag_p99_ms.toFixed(2)} ms, ` +
    `client CPU ${h.cpu_pct.toFixed(0)}%`,
  ];
  if (h.saturated) {
    lines.push(
      "",
      "> **Warning:** the client was saturated during this test (event-loop lag or CPU high); " +
        "its latencies include client overhead. Lower the load or run the client on a " +
        "less busy machine.",
    );
  }
  return lines;
}
