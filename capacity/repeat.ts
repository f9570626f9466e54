/**
 * `--repeat N`: a test run N times becomes one result pooled over its repeats, with each
 * repeat's own result kept beside it (`TestResult.repeat`). Counts and token totals add up;
 * the window is the sum of the repeats' windows, so rates are per second of load (the pauses
 * between repeats count for nothing); distributions pool every repeat's requests. The
 * statistics across repeats (mean, 95% interval, CV) are the reports' (report/repeat.ts).
 *
 * @module
 */

import { mergeMetrics, quantileSample } from "../measure/aggregate.ts";
import type { RepeatInfo, TestExtra, TestResult } from "../measure/result.ts";
import type { SloStats } from "../measure/slo.ts";
import type { SuiteContext } from "../runner/runner.ts";

/** What {@linkcode runRepeated} needs of a test (a suite's `TestDef` is one). */
export interface RepeatableTest<E extends TestExtra = TestExtra> {
  /** Test name (for the progress line). */
  name: string;
  /** Run it once. */
  run(ctx: SuiteContext): Promise<TestResult<E>>;
  /** False for a test that must not be repeated. */
  repeatable?: boolean;
}

/** Default `--max-cv`: a metric whose repeats vary more than this (CV, %) is unstable. */
export const DEFAULT_MAX_CV_PCT = 10;

/** How the repeats of a test were run (everything of {@linkcode RepeatInfo} but the runs). */
export type RepeatHow = Omit<RepeatInfo, "runs">;

/** Mean of `values` weighted by `weights` (null when every weight is 0). */
function weightedMean(values: readonly number[], weights: readonly number[]): number | null {
  let w = 0, s = 0;
  for (let i = 0; i < values.length; i++) {
    w += weights[i];
    s += values[i] * weights[i];
  }
  return w > 0 ? s / w : null;
}

function poolSlo(parts: readonly SloStats[], windows: readonly number[]): SloStats {
  const requests = parts.reduce((s, p) => s + p.requests, 0);
  const met = parts.reduce((s, p) => s + p.met, 0);
  const missed: Record<string, number> = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p.missed_by)) missed[k] = (missed[k] ?? 0) + v;
  }
  return {
    slos: parts[0].slos,
    requests,
    met,
    attainment_pct: requests > 0 ? (met / requests) * 100 : null,
    goodput_rps: weightedMean(parts.map((p) => p.goodput_rps), windows) ?? 0,
    goodput_output_tps: weightedMean(parts.map((p) => p.goodput_output_tps), windows) ?? 0,
    missed_by: missed,
    failed: parts.reduce((s, p) => s + p.failed, 0),
    corrected: parts.some((p) => p.corrected),
  };
}

/**
 * The `extra` of pooled repeats: the first repeat's, with what can be pooled pooled. Rates
 * are means weighted by each repeat's window; counts add up; a schedule was kept when every
 * repeat kept it; SLO tallies add up. Fields that describe one run's course (steady state,
 * time to failure, the server's series, suite-specific details) stay the first repeat's.
 */
export function poolExtra<E extends TestExtra>(
  extras: readonly E[],
  windows: readonly number[],
): E {
  const out: E = { ...extras[0] };
  const all = <K extends keyof TestExtra>(k: K): NonNullable<TestExtra[K]>[] | null => {
    const v = extras.map((e) => e[k]);
    return v.every((x) => x !== undefined && x !== null) ? v as NonNullable<TestExtra[K]>[] : null;
  };
  for (const k of ["offered_rate", "achieved_rate", "scheduled_rate"] as const) {
    const v = all(k);
    if (v) out[k] = weightedMean(v, windows) ?? v[0];
  }
  const scheduled = all("scheduled_requests");
  if (scheduled) out.scheduled_requests = scheduled.reduce((s, x) => s + x, 0);
  const kept = all("schedule_kept");
  if (kept) out.schedule_kept = kept.every(Boolean);
  const slo = all("slo");
  if (slo) out.slo = poolSlo(slo, windows);
  const health = all("client_health");
  if (health) {
    out.client_health = {
      event_loop_lag_p99_ms: Math.max(...health.map((h) => h.event_loop_lag_p99_ms)),
      cpu_pct: weightedMean(health.map((h) => h.cpu_pct), windows) ?? health[0].cpu_pct,
      saturated: health.some((h) => h.saturated),
    };
    // The stamping error of the worst repeat (its three figures), when every repeat has one.
    if (health.every((h) => typeof h.stamp_error_p99_ms === "number")) {
      const worst = health.reduce((a, h) => h.stamp_error_p99_ms! > a.stamp_error_p99_ms! ? h : a);
      out.client_health.stamp_error_p50_ms = worst.stamp_error_p50_ms;
      out.client_health.stamp_error_p99_ms = worst.stamp_error_p99_ms;
      out.client_health.stamp_error_samples = worst.stamp_error_samples;
    }
  }
  const stopped = [...new Set(extras.map((e) => e.stopped_early).filter((x) => x !== undefined))];
  if (stopped.length) out.stopped_early = stopped.join("; ");
  const saturated = extras.map((e) => e.saturated_because).find((x) => x);
  if (saturated) out.saturated_because = saturated;
  return out;
}

/** A repeat's result as kept in `repeat.runs`: its raw latencies cut to a quantile sample. */
export function slimRepeat<E extends TestExtra>(r: TestResult<E>): TestResult<E> {
  const { repeat: _nested, ...rest } = r;
  return {
    ...rest,
    metrics: { ...r.metrics, latencies: quantileSample(r.metrics.latencies) },
  };
}

/**
 * Pool the results of the repeats of one test (in the order they ran) into one result that
 * carries them in `repeat`. One run of a test asked to run once is returned as it is.
 */
export function poolRepeats<E extends TestExtra>(
  runs: readonly TestResult<E>[],
  how: RepeatHow,
): TestResult<E> {
  if (runs.length === 0) throw new RangeError("poolRepeats needs at least one run");
  if (runs.length === 1 && how.count === 1) return runs[0];
  const first = runs[0];
  const windows = runs.map((r) => r.metrics.window_s);
  const notes = [...new Set(runs.flatMap((r) => r.notes))];
  notes.push(
    `pooled over ${runs.length} repeat${runs.length === 1 ? "" : "s"}` +
      (runs.length < how.count ? ` of ${how.count} asked for (interrupted)` : "") +
      ` (seeds ${how.seeds.join(", ")}; ${how.pause_s} s pause between them); steady state, ` +
      "time to failure and server series are the first repeat's, each repeat's own are in " +
      "run.json",
  );
  return {
    ...first,
    metrics: mergeMetrics(runs.map((r) => r.metrics), true),
    interrupted: runs.some((r) => r.interrupted),
    notes,
    extra: poolExtra(runs.map((r) => r.extra), windows),
    repeat: { ...how, runs: runs.map(slimRepeat) },
  };
}

/**
 * Run one test, or under `--repeat` its repeats: repeat k (from 0) with seed + k, so a
 * server's prefix cache cannot serve one repeat from the one before, `pauseS` apart; they are
 * pooled into one result that keeps each ({@linkcode poolRepeats}). An interrupt ends the repeats;
 * those that ran are kept.
 */
export async function runRepeated<E extends TestExtra>(
  def: RepeatableTest<E>,
  ctx: SuiteContext,
): Promise<TestResult<E>> {
  const rep = ctx.repeat;
  if (!rep || rep.count <= 1 || def.repeatable === false) return await def.run(ctx);
  const runs: TestResult<E>[] = [];
  const seeds: number[] = [];
  for (let k = 0; k < rep.count; k++) {
    if (k > 0) {
      if (ctx.stop.aborted) break;
      await ctx.clock.sleepUntil(ctx.clock.now() + rep.pauseS * 1000, ctx.stop);
      if (ctx.stop.aborted) break;
      ctx.log(`${def.name}: repeat ${k + 1}/${rep.count}`);
    }
    const seed = (ctx.seed + k) >>> 0;
    seeds.push(seed);
    runs.push(await def.run({ ...ctx, seed }));
  }
  return poolRepeats(runs, {
    count: rep.count,
    pause_s: rep.pauseS,
    seeds,
    max_cv_pct: rep.maxCvPct,
  });
}
