/**
 * Time to failure per error class: how long failed requests took to fail, kept apart from the
 * latencies of successes (a timeout at 120 s and a refused connection at 1 ms are both failures,
 * and neither belongs in a success percentile).
 *
 * @module
 */

import type { Outcome, RequestRecord } from "./record.ts";
import { percentileSorted } from "./summary.ts";

/** How long one error class took to fail (s). */
export interface FailureTime {
  /** Failed requests of the class. */
  count: number;
  /** Median time to failure. */
  p50: number;
  /** 99th percentile. */
  p99: number;
  /** Longest. */
  max: number;
}

/** Most times kept per class (later ones are counted but not kept). */
const MAX_KEPT = 100_000;

/** Collects time to failure per error class. */
export class FailureTimes {
  readonly #times = new Map<Outcome, number[]>();
  readonly #counts = new Map<Outcome, number>();

  /** Count a record (successes are ignored). */
  add(rec: RequestRecord): void {
    if (rec.outcome === "ok") return;
    this.#counts.set(rec.outcome, (this.#counts.get(rec.outcome) ?? 0) + 1);
    const list = this.#times.get(rec.outcome) ?? [];
    if (list.length < MAX_KEPT) list.push(Math.max(0, rec.tEnd - rec.tSend));
    this.#times.set(rec.outcome, list);
  }

  /** Per class that occurred; null when nothing failed. */
  stats(): Partial<Record<Outcome, FailureTime>> | null {
    if (this.#counts.size === 0) return null;
    const out: Partial<Record<Outcome, FailureTime>> = {};
    for (const [cls, list] of this.#times) {
      const sorted = [...list].sort((a, b) => a - b);
      out[cls] = {
        count: this.#counts.get(cls) ?? sorted.length,
        p50: percentileSorted(sorted, 0.5),
        p99: percentileSorted(sorted, 0.99),
        max: sorted[sorted.length - 1],
      };
    }
    return out;
  }
}
