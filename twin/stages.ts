/**
 * A load stage's figures from the results of its requests, as `predict` writes them to
 * `stages.json` and the calibration compares them with what was measured: TTFT, end-to-end
 * latency and decode time per token (each request's (E2E − TTFT) / (output tokens − 1)),
 * their mean and percentiles, and whether the stage was more than the deployment sustains.
 *
 * @module
 */

import type { SimResult } from "./sim.ts";

/** Mean and percentiles of a figure (seconds; numpy's linear interpolation). */
export interface Figure {
  /** Mean. */
  mean: number;
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 99th percentile. */
  p99: number;
}

/** Mean and percentiles of some numbers (NaN for none). */
export function figureOf(xs: readonly number[]): Figure {
  if (xs.length === 0) return { mean: NaN, p50: NaN, p90: NaN, p99: NaN };
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => {
    const i = p * (s.length - 1), lo = Math.floor(i), hi = Math.ceil(i);
    return s[lo] + (s[hi] - s[lo]) * (i - lo);
  };
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, p50: q(0.5), p90: q(0.9), p99: q(0.99) };
}

/** One stage's figures. */
export interface StageSummary {
  /** Requests sent. */
  requests: number;
  /** Completed. */
  ok: number;
  /** Failed (timed out, or could never fit). */
  failed: number;
  /** True when the load was more than the deployment sustains. */
  overloaded: boolean;
  /** TTFT of completed requests (s). */
  ttft: Figure;
  /** End-to-end latency of completed requests (s). */
  e2e: Figure;
  /** Decode time per output token of completed requests (s). */
  decodePerToken: Figure;
}

/**
 * A stage's figures. Overloaded: more than 1% of its requests failed (timed out waiting), or
 * its queue still grew at the end (the last quarter's median TTFT more than five times the
 * first quarter's, and a second above it).
 */
export function summarizeStage(results: readonly SimResult[]): StageSummary {
  const ok = results.filter((r) => r.outcome === "ok");
  const ttfts = ok.map((r) => r.ttft!);
  const quarter = Math.max(1, Math.floor(ttfts.length / 4));
  const head = figureOf(ttfts.slice(0, quarter)).p50;
  const tail = figureOf(ttfts.slice(-quarter)).p50;
  const failed = results.length - ok.length;
  return {
    requests: results.length,
    ok: ok.length,
    failed,
    overloaded: failed > 0.01 * results.length || tail > 5 * head + 1,
    ttft: figureOf(ttfts),
    e2e: figureOf(ok.map((r) => r.e2e!)),
    decodePerToken: figureOf(
      ok.filter((r) => r.generated > 1).map((r) => (r.e2e! - r.ttft!) / (r.generated - 1)),
    ),
  };
}

/** A stage as `stages.json` holds it (snake_case, seconds; NaN written as null). */
export function stageJson(
  rate: number,
  durationS: number,
  s: StageSummary,
): Record<string, unknown> {
  const fig = (f: Figure) => ({
    mean: finite(f.mean),
    p50: finite(f.p50),
    p90: finite(f.p90),
    p99: finite(f.p99),
  });
  return {
    rate,
    duration_s: durationS,
    requests: s.requests,
    ok: s.ok,
    failed: s.failed,
    overloaded: s.overloaded,
    ttft: fig(s.ttft),
    e2e: fig(s.e2e),
    decode_per_token: fig(s.decodePerToken),
  };
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
