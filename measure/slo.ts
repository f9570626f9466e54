/**
 * Service-level objectives and goodput (docs/ARCHITECTURE.md, "Capacity"). An SLO bounds a
 * per-request metric: TTFT, TPOT, E2E, or the ITL within the request (its largest gap, or a
 * percentile of its gaps). A request meets the SLO set when it succeeded and meets every
 * bound; in an open loop, TTFT and E2E are judged from the intended send time (corrected for
 * coordinated omission). Goodput is such requests, and their output tokens, per second of the
 * test's window; attainment is their share of all counted requests.
 *
 * @module
 */

import { UsageError } from "../util/errors.ts";
import type { RequestRecord } from "./record.ts";

/** The per-request metrics an SLO can bound. */
export const SLO_METRICS = ["ttft", "tpot", "itl", "e2e"] as const;

/** One bound. */
export interface Slo {
  /** The metric. */
  metric: typeof SLO_METRICS[number];
  /** For `itl`: the percentile of the request's gaps (1 = its largest gap). */
  quantile: number;
  /** The bound, in seconds. */
  limitS: number;
  /** As written (`ttft=500ms`). */
  text: string;
}

function durationS(raw: string, where: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/i.exec(raw.trim());
  if (!m) throw new UsageError(`${where}: ${JSON.stringify(raw)} is not a duration (500ms, 2s)`);
  const v = Number(m[1]) * ((m[2] ?? "ms").toLowerCase() === "s" ? 1 : 0.001);
  if (!(v > 0)) throw new UsageError(`${where}: the bound must be above 0`);
  return v;
}

/**
 * Read an SLO: `ttft=500ms`, `tpot=50ms`, `e2e=2s`, `itl=100ms` (the request's largest gap)
 * or `itl.p99=80ms` (the 99th percentile of its gaps). A bare number is milliseconds.
 *
 * @throws {UsageError} for anything else.
 */
export function parseSlo(text: string, where = "--slo"): Slo {
  const eq = text.indexOf("=");
  if (eq < 0) {
    throw new UsageError(`${where} ${JSON.stringify(text)}: write METRIC=BOUND, e.g. ttft=500ms`);
  }
  const [name, pct] = text.slice(0, eq).trim().toLowerCase().split(".");
  const metric = SLO_METRICS.find((m) => m === name);
  if (!metric) {
    throw new UsageError(
      `${where} ${JSON.stringify(text)}: unknown metric ${JSON.stringify(name)} ` +
        `(one of ${SLO_METRICS.join(", ")})`,
    );
  }
  let quantile = 1;
  if (pct !== undefined) {
    const p = /^p(\d+(?:\.\d+)?)$/.exec(pct);
    if (metric !== "itl" || !p || !(Number(p[1]) > 0 && Number(p[1]) <= 100)) {
      throw new UsageError(
        `${where} ${JSON.stringify(text)}: only itl takes a percentile (itl.p99=80ms)`,
      );
    }
    quantile = Number(p[1]) / 100;
  }
  return { metric, quantile, limitS: durationS(text.slice(eq + 1), where), text: text.trim() };
}

/** The value of a request an SLO bounds; null when the request has none (no stream). */
export function sloValue(slo: Slo, rec: RequestRecord): number | null {
  const delay = rec.tIntended === null ? 0 : Math.max(0, rec.tSend - rec.tIntended);
  switch (slo.metric) {
    case "ttft":
      return rec.ttft === null ? null : rec.ttft + delay;
    case "e2e":
      return rec.e2e + delay;
    case "tpot":
      return rec.tpot;
    case "itl": {
      if (rec.itl.length === 0) return null;
      const sorted = [...rec.itl].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.ceil(slo.quantile * sorted.length) - 1)];
    }
  }
}

/**
 * Which SLOs a request misses: an empty list when it met them all. A failed request misses
 * every one; a bound on a metric the request does not have (TTFT of a non-streaming request)
 * is not judged.
 */
export function missedSlos(slos: readonly Slo[], rec: RequestRecord): Slo[] {
  if (rec.outcome !== "ok") return [...slos];
  return slos.filter((s) => {
    const v = sloValue(s, rec);
    return v !== null && v > s.limitS;
  });
}

/** What a test's requests did against the SLO set (`extra.slo`). */
export interface SloStats {
  /** The SLOs, as written. */
  slos: string[];
  /** Counted requests. */
  requests: number;
  /** Requests that succeeded and met every SLO. */
  met: number;
  /** Their share of all counted requests, in % (null without requests). */
  attainment_pct: number | null;
  /** Requests that met every SLO per second of the window. */
  goodput_rps: number;
  /** Their output tokens per second of the window. */
  goodput_output_tps: number;
  /** Successful requests that missed each SLO (a request may miss several). */
  missed_by: Record<string, number>;
  /** Failed requests (they meet no SLO). */
  failed: number;
  /** True when TTFT and E2E were judged from the intended send time (open loop). */
  corrected: boolean;
}

/** Counts a test's requests against an SLO set. */
export class SloTally {
  readonly #slos: readonly Slo[];
  #requests = 0;
  #met = 0;
  #metTokens = 0;
  #failed = 0;
  #corrected = false;
  readonly #missed = new Map<string, number>();

  /** A tally for one test. */
  constructor(slos: readonly Slo[]) {
    this.#slos = slos;
  }

  /** Count one request. */
  add(rec: RequestRecord): void {
    this.#requests++;
    if (rec.tIntended !== null) this.#corrected = true;
    if (rec.outcome !== "ok") {
      this.#failed++;
      return;
    }
    const missed = missedSlos(this.#slos, rec);
    if (missed.length === 0) {
      this.#met++;
      this.#metTokens += rec.outputTokens;
    }
    for (const s of missed) this.#missed.set(s.text, (this.#missed.get(s.text) ?? 0) + 1);
  }

  /** The statistics over a window of `windowS` seconds. */
  stats(windowS: number): SloStats {
    return {
      slos: this.#slos.map((s) => s.text),
      requests: this.#requests,
      met: this.#met,
      attainment_pct: this.#requests > 0 ? (this.#met / this.#requests) * 100 : null,
      goodput_rps: windowS > 0 ? this.#met / windowS : 0,
      goodput_output_tps: windowS > 0 ? this.#metTokens / windowS : 0,
      missed_by: Object.fromEntries(this.#slos.map((s) => [s.text, this.#missed.get(s.text) ?? 0])),
      failed: this.#failed,
      corrected: this.#corrected,
    };
  }
}
