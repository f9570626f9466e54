/**
 * Sweeps (docs/ARCHITECTURE.md, "Capacity"): one full test per concurrency or rate level, the
 * knee where throughput stops rising and latency climbs, and the Pareto frontier of output
 * tokens/s per user against total output tokens/s. A sweep stops after the first point past
 * saturation (too many failures, or an open loop that could not keep its schedule).
 *
 * @module
 */

import { UsageError } from "../util/errors.ts";
import type { TestResult } from "../measure/result.ts";

/** What a sweep varies, and its levels in order. */
export interface SweepSpec {
  /** `rate` (open loop, arrivals per second) or `concurrency` (closed loop). */
  kind: "rate" | "concurrency";
  /** Levels, ascending. */
  levels: number[];
}

/** Most levels one sweep may have. */
export const MAX_LEVELS = 50;

/**
 * Read `--sweep`: `rate:1,2,4,8`, `concurrency:1,4,16`, or a geometric range
 * `rate:1..64x2` (1, 2, 4 … 64).
 *
 * @throws {UsageError} for anything else.
 */
export function parseSweep(text: string): SweepSpec {
  const m = /^(rate|concurrency):(.+)$/i.exec(text.trim());
  if (!m) {
    throw new UsageError(
      `--sweep ${JSON.stringify(text)}: write rate:LEVELS or concurrency:LEVELS ` +
        "(1,2,4,8 or 1..64x2)",
    );
  }
  const kind = m[1].toLowerCase() as SweepSpec["kind"];
  const spec = m[2].trim();
  let levels: number[];
  const range = /^(\d+(?:\.\d+)?)\.\.(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)$/.exec(spec);
  if (range) {
    const [lo, hi, f] = [Number(range[1]), Number(range[2]), Number(range[3])];
    if (!(lo > 0 && hi >= lo && f > 1)) {
      throw new UsageError(`--sweep ${JSON.stringify(text)}: need 0 < FROM <= TO and a factor > 1`);
    }
    levels = [];
    for (let v = lo; v <= hi * (1 + 1e-9) && levels.length <= MAX_LEVELS; v *= f) {
      levels.push(Number(v.toPrecision(6)));
    }
  } else {
    levels = spec.split(",").map((s) => Number(s.trim()));
    if (levels.some((v) => !(v > 0))) {
      throw new UsageError(`--sweep ${JSON.stringify(text)}: levels must be numbers above 0`);
    }
  }
  if (kind === "concurrency" && levels.some((v) => !Number.isInteger(v))) {
    throw new UsageError(`--sweep ${JSON.stringify(text)}: concurrency levels are whole numbers`);
  }
  if (levels.length < 2 || levels.length > MAX_LEVELS) {
    throw new UsageError(`--sweep ${JSON.stringify(text)}: give 2 to ${MAX_LEVELS} levels`);
  }
  levels.sort((a, b) => a - b);
  return { kind, levels: [...new Set(levels)] };
}

/** A failure share above which a sweep point is past saturation. */
export const SATURATION_ERROR_RATE = 0.05;

/** Why a sweep point is past saturation, or null when it is not. */
export function pastSaturation(t: TestResult): string | null {
  if (t.extra.stopped_early) return t.extra.stopped_early;
  const m = t.metrics;
  if (m.total_requests > 0 && m.failed_requests / m.total_requests > SATURATION_ERROR_RATE) {
    return `${((m.failed_requests / m.total_requests) * 100).toFixed(1)}% of requests failed ` +
      `(over ${SATURATION_ERROR_RATE * 100}%)`;
  }
  if (t.extra.schedule_kept === false) {
    return "the open loop could not keep its schedule: the server (or client) is saturated";
  }
  return null;
}

/** One level of a sweep as the analysis sees it. */
export interface SweepPoint {
  /** The level (arrivals/s or concurrency). */
  level: number;
  /** Successful requests per second. */
  rps: number;
  /** Output tokens per second over all users. */
  output_tps: number;
  /** Output tokens per second one user sees: 1 / median TPOT (or tokens ÷ latency). */
  per_user_tps: number | null;
  /** Median latency (s): from the intended send time in an open loop. */
  latency_p50: number;
  /** 99th percentile latency (s), likewise. */
  latency_p99: number;
  /** Median TTFT (s), null without streaming. */
  ttft_p50: number | null;
  /** Median TPOT (s), null without streaming. */
  tpot_p50: number | null;
  /** Failed share of the requests. */
  error_rate: number;
}

/** A sweep point from its test. */
export function sweepPoint(level: number, t: TestResult): SweepPoint {
  const m = t.metrics;
  const lat = m.latency_corrected ?? m.latency;
  const tpot = t.streaming && m.tpot.count > 0 ? m.tpot.p50 : null;
  const perRequest = m.successful_requests > 0 && m.latency.mean > 0
    ? m.total_output_tokens / m.successful_requests / m.latency.mean
    : null;
  return {
    level,
    rps: m.requests_per_second,
    output_tps: m.output_tokens_per_second,
    per_user_tps: tpot !== null && tpot > 0 ? 1 / tpot : perRequest,
    latency_p50: lat.p50,
    latency_p99: lat.p99,
    ttft_p50: t.streaming && m.ttft.count > 0 ? (m.ttft_corrected ?? m.ttft).p50 : null,
    tpot_p50: tpot,
    error_rate: m.total_requests > 0 ? m.failed_requests / m.total_requests : 0,
  };
}

/**
 * The knee: the first level after which output tokens/s rises by less than 5% while p99
 * latency rises by more than 50% (DESIGN section 13). Returns its index, or null when the
 * sweep never bends.
 */
export function kneeOf(points: readonly SweepPoint[]): number | null {
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i], b = points[i + 1];
    if (!(a.output_tps > 0 && a.latency_p99 > 0)) continue;
    const gain = (b.output_tps - a.output_tps) / a.output_tps;
    const climb = (b.latency_p99 - a.latency_p99) / a.latency_p99;
    if (gain < 0.05 && climb > 0.5) return i;
  }
  return null;
}

/**
 * The Pareto frontier in (total output tokens/s, output tokens/s per user): the points no
 * other point beats in both. Returns their indices, by ascending total throughput.
 */
export function paretoFrontier(points: readonly SweepPoint[]): number[] {
  const out: number[] = [];
  points.forEach((p, i) => {
    const mine = p.per_user_tps;
    if (mine === null) return;
    const dominated = points.some((q, j) =>
      j !== i && q.per_user_tps !== null && q.output_tps >= p.output_tps &&
      q.per_user_tps >= mine && (q.output_tps > p.output_tps || q.per_user_tps > mine)
    );
    if (!dominated) out.push(i);
  });
  return out.sort((a, b) => points[a].output_tps - points[b].output_tps);
}
