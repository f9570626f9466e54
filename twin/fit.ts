/**
 * Fitting the twin's coefficients to measured stages: a loss over the figures the twin is held
 * to (E2E mean and p90, decode time per token, TTFT), minimised by Nelder–Mead within each
 * coefficient's physical bounds.
 *
 * @module
 */

import { COEFFICIENT_BOUNDS, COEFFICIENT_NAMES, type TwinCoefficients } from "./timing.ts";

/** A measured stage against its prediction: the figures the loss weighs. */
export interface StageErrorInput {
  /** Measured and predicted E2E mean (s). */
  e2eMean: [number, number];
  /** Measured and predicted E2E p90 (s). */
  e2eP90: [number, number];
  /** Measured and predicted decode time per token (s). */
  decodePerToken: [number, number];
  /** Measured and predicted TTFT mean (s). */
  ttftMean: [number, number];
  /** Measured and predicted overload. */
  overloaded: [boolean, boolean];
}

/** Weights of the figures in the loss. */
export const LOSS_WEIGHTS = { e2eMean: 1, e2eP90: 1, decodePerToken: 1, ttftMean: 0.3 };

/** Squared log error, bounded so one wild stage cannot swamp the rest. */
function sq(measured: number, predicted: number): number {
  if (!(measured > 0) || !(predicted > 0)) return 4;
  const e = Math.log(predicted / measured);
  return Math.min(e * e, 4);
}

/**
 * The loss of predictions against measurements: squared log errors of each stage's figures,
 * weighted; a stage measured overloaded counts only for being predicted overloaded (its
 * latencies depend on the client's timeout more than on the server).
 */
export function stageLoss(stages: readonly StageErrorInput[]): number {
  let loss = 0;
  for (const s of stages) {
    if (s.overloaded[0]) {
      loss += s.overloaded[1] ? 0 : 4;
      continue;
    }
    if (s.overloaded[1]) {
      loss += 4 * 4;
      continue;
    }
    loss += LOSS_WEIGHTS.e2eMean * sq(...s.e2eMean) + LOSS_WEIGHTS.e2eP90 * sq(...s.e2eP90) +
      LOSS_WEIGHTS.decodePerToken * sq(...s.decodePerToken) +
      LOSS_WEIGHTS.ttftMean * sq(...s.ttftMean);
  }
  return loss / Math.max(1, stages.length);
}

/** A coefficient vector ⇄ numbers in (0, 1) (the bounds mapped away). */
function toUnit(c: TwinCoefficients, names: readonly (keyof TwinCoefficients)[]): number[] {
  return names.map((n) => {
    const [lo, hi] = COEFFICIENT_BOUNDS[n];
    return (c[n] - lo) / (hi - lo);
  });
}

function fromUnit(
  x: readonly number[],
  base: TwinCoefficients,
  names: readonly (keyof TwinCoefficients)[],
): TwinCoefficients {
  const out = { ...base };
  names.forEach((n, i) => {
    const [lo, hi] = COEFFICIENT_BOUNDS[n];
    out[n] = lo + Math.min(1, Math.max(0, x[i])) * (hi - lo);
  });
  return out;
}

/** Options of {@linkcode fitCoefficients}. */
export interface FitOptions {
  /** Coefficients to fit (default all). */
  names?: readonly (keyof TwinCoefficients)[];
  /** Most loss evaluations (default 400). */
  maxEvaluations?: number;
  /** Sees each improvement. */
  onProgress?(loss: number, c: TwinCoefficients, evaluations: number): void;
}

/** A fit's result. */
export interface FitResult {
  /** The coefficients. */
  coefficients: TwinCoefficients;
  /** Their loss. */
  loss: number;
  /** Loss evaluations made. */
  evaluations: number;
}

/**
 * Minimise `loss` over the coefficients from `start`, each kept within its bounds
 * (Nelder–Mead on the unit cube, restarted once from the best point).
 */
export function fitCoefficients(
  start: TwinCoefficients,
  loss: (c: TwinCoefficients) => number,
  opts: FitOptions = {},
): FitResult {
  const names = opts.names ?? COEFFICIENT_NAMES;
  const budget = opts.maxEvaluations ?? 400;
  let evaluations = 0;
  let best = { x: toUnit(start, names), f: Infinity };
  const f = (x: number[]) => {
    evaluations++;
    const v = loss(fromUnit(x, start, names));
    if (v < best.f) {
      best = { x: [...x], f: v };
      opts.onProgress?.(v, fromUnit(x, start, names), evaluations);
    }
    return v;
  };
  for (let round = 0; round < 2 && evaluations < budget; round++) {
    nelderMead(f, best.x, round === 0 ? 0.15 : 0.05, () => evaluations >= budget);
  }
  return { coefficients: fromUnit(best.x, start, names), loss: best.f, evaluations };
}

/** Nelder–Mead from `x0` with an initial simplex of `step`, until `stop()` or convergence. */
function nelderMead(
  f: (x: number[]) => number,
  x0: readonly number[],
  step: number,
  stop: () => boolean,
): void {
  const n = x0.length;
  const clamp = (x: number[]) => x.map((v) => Math.min(1, Math.max(0, v)));
  const simplex: { x: number[]; v: number }[] = [{ x: [...x0], v: f([...x0]) }];
  for (let i = 0; i < n; i++) {
    const x = [...x0];
    x[i] = x[i] + step <= 1 ? x[i] + step : x[i] - step;
    simplex.push({ x, v: f(x) });
  }
  while (!stop()) {
    simplex.sort((a, b) => a.v - b.v);
    const spread = simplex[n].v - simplex[0].v;
    if (spread < 1e-6 * (Math.abs(simplex[0].v) + 1e-9)) return;
    const centroid = Array.from(
      { length: n },
      (_, j) => simplex.slice(0, n).reduce((s, p) => s + p.x[j], 0) / n,
    );
    const worst = simplex[n];
    const along = (t: number) => clamp(centroid.map((c, j) => c + t * (worst.x[j] - c)));
    const r = along(-1), fr = f(r);
    if (fr < simplex[0].v) {
      const e = along(-2), fe = f(e);
      simplex[n] = fe < fr ? { x: e, v: fe } : { x: r, v: fr };
    } else if (fr < simplex[n - 1].v) {
      simplex[n] = { x: r, v: fr };
    } else {
      const c = along(0.5), fc = f(c);
      if (fc < worst.v) simplex[n] = { x: c, v: fc };
      else {
        for (let i = 1; i <= n; i++) {
          const x = clamp(
            simplex[i].x.map((v, j) => simplex[0].x[j] + 0.5 * (v - simplex[0].x[j])),
          );
          simplex[i] = { x, v: f(x) };
        }
      }
    }
  }
}
