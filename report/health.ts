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
  return [
    field(
      "Client health",
      `event-loop lag p99 ${h.event_loop_lag_p99_ms.toFixed(2)} ms, ` +
        `client CPU ${h.cpu_pct.toFixed(0)}%`,
    ),
  ];
}

/** The warning a saturated client's test carries (empty otherwise). */
export function clientHealthWarning(t: TestResult): Block[] {
  if (!clientHealthOf(t)?.saturated) return [];
  return [
    note([
      { strong: "Warning:" },
      " the client was saturated during this test (event-loop lag or CPU high); " +
      "its latencies include client overhead. Lower the load or run the client on a " +
      "less busy machine.",
    ]),
  ];
}
