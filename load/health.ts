/**
 * Client health: is the load generator itself keeping up? A timer probe measures how late
 * the event loop runs a timer (event-loop lag) and the process CPU time is sampled, over the
 * span of one test. A saturated client inflates every latency it measures.
 *
 * @module
 */

import process from "node:process";
import { percentileSorted } from "../measure/summary.ts";
import type { ClientHealth } from "../measure/result.ts";
import type { StampError } from "./canary.ts";

export type { ClientHealth };

/** Event-loop lag p99 above which the client counts as saturated (ms). */
export const SATURATED_LAG_MS = 10;

/** CPU use above which the client counts as saturated (% of one core). */
export const SATURATED_CPU_PCT = 90;

/** Probe timer period (ms). */
export const PROBE_INTERVAL_MS = 10;

/** Most lag samples kept (older ones are overwritten, ring buffer). */
const MAX_SAMPLES = 65_536;

/** CPU time of this process in ms (user + system). */
export function cpuTimeMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Whether these figures mean a saturated client. */
export function isSaturated(lagP99Ms: number, cpuPct: number): boolean {
  return lagP99Ms > SATURATED_LAG_MS || cpuPct > SATURATED_CPU_PCT;
}

/** A running probe. */
export interface HealthProbe {
  /** Stop the probe and summarise what it saw. */
  stop(): ClientHealth;
}

/** Where a probe reads wall and CPU time and sets its timer (tests substitute their own). */
export interface HealthSources {
  /** Wall time in ms (monotonic). */
  now(): number;
  /** CPU time of the process in ms. */
  cpuMs(): number;
  /** Call `fn` after `ms` (default: an unref'd `setTimeout`); returns a cancel function. */
  after?(fn: () => void, ms: number): () => void;
}

function unrefTimeout(fn: () => void, ms: number): () => void {
  const id = setTimeout(fn, ms);
  Deno.unrefTimer(id as unknown as number);
  return () => clearTimeout(id);
}

const PROCESS_SOURCES: HealthSources = { now: () => performance.now(), cpuMs: cpuTimeMs };

/** Start probing the event loop and CPU of this process. */
export function startHealthProbe(
  intervalMs = PROBE_INTERVAL_MS,
  sources: HealthSources = PROCESS_SOURCES,
): HealthProbe {
  const lags = new Float64Array(MAX_SAMPLES);
  let n = 0;
  const wall0 = sources.now();
  const cpu0 = sources.cpuMs();
  const after = sources.after ?? unrefTimeout;
  let expected = wall0 + intervalMs;
  let cancel: () => void;
  const tick = () => {
    const now = sources.now();
    lags[n++ % MAX_SAMPLES] = Math.max(0, now - expected);
    expected = now + intervalMs;
    cancel = after(tick, intervalMs);
  };
  cancel = after(tick, intervalMs);
  return {
    stop(): ClientHealth {
      cancel();
      const wall = sources.now() - wall0;
      const cpuPct = wall > 0 ? ((sources.cpuMs() - cpu0) / wall) * 100 : 0;
      const sorted = lags.slice(0, Math.min(n, MAX_SAMPLES)).sort();
      const lag = percentileSorted(sorted, 0.99);
      return {
        event_loop_lag_p50_ms: percentileSorted(sorted, 0.5),
        event_loop_lag_p99_ms: lag,
        cpu_pct: cpuPct,
        saturated: isSaturated(lag, cpuPct),
      };
    },
  };
}

/** A test's client health with the canary's stamping error over the test, when it has one. */
export function withStampError(health: ClientHealth, error: StampError | null): ClientHealth {
  if (error === null) return health;
  return {
    ...health,
    stamp_error_p50_ms: error.p50_ms,
    stamp_error_p99_ms: error.p99_ms,
    stamp_error_samples: error.samples,
  };
}
