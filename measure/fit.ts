/**
 * Regression and fairness math: least squares, Theil–Sen with Sen's interval, Jain's index,
 * the normal quantile and the median.
 *
 * @module
 */

import { percentileSorted } from "./summary.ts";

/** Result of an ordinary least-squares fit y = intercept + slope·x. */
export interface LinearFit {
  /** Slope of the fitted line. */
  slope: number;
  /** Intercept of the fitted line. */
  intercept: number;
  /** Coefficient of determination (0 when undefined). */
  r2: number;
  /** Number of points used. */
  n: number;
}

/** Ordinary least-squares fit of y on x. Fewer than two distinct x values gives slope 0. */
export function linearFit(xs: ArrayLike<number>, ys: ArrayLike<number>): LinearFit {
  const n = Math.min(xs.length, ys.length);
  if (n === 0) return { slope: 0, intercept: 0, r2: 0, n: 0 };
  let sx = 0, sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i];
    sy += ys[i];
  }
  const mx = sx / n, my = sy / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx, dy = ys[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) return { slope: 0, intercept: my, r2: 0, n };
  const slope = sxy / sxx;
  const r2 = syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept: my - slope * mx, r2, n };
}

/**
 * Jain's fairness index of a set of counts, in [1/n, 1]: (Σx)² / (n·Σx²).
 * Every count must be listed, idle ones (0) included. No counts or all zero gives 0.
 */
export function jainIndex(counts: readonly number[]): number {
  const n = counts.length;
  if (n === 0) return 0;
  let s = 0, sq = 0;
  for (const c of counts) {
    s += c;
    sq += c * c;
  }
  return sq === 0 ? 0 : (s * s) / (n * sq);
}

/**
 * Quantile function of the standard normal distribution (Acklam's rational approximation,
 * relative error below 1.2e-9). `p` must be in (0, 1).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError("p must be in (0, 1)");
  const a = [
    -3.969683028665376e1,
    2.209460984245205e2,
    -2.759285104469687e2,
    1.38357751867269e2,
    -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1,
    1.615858368580409e2,
    -1.556989798598866e2,
    6.680131188771972e1,
    -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3,
    -3.223964580411365e-1,
    -2.400758277161838,
    -2.549732539343734,
    4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Median of values (mean of the two middle ones for an even count); 0 when empty. */
export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  return percentileSorted(sorted, 0.5);
}

/** A Theil–Sen fit y = intercept + slope·x with Sen's rank-based confidence interval. */
export interface TheilSenFit {
  /** Median of the pairwise slopes (yj − yi)/(xj − xi) over pairs with xi ≠ xj. */
  slope: number;
  /** Median of yi − slope·xi (Conover's intercept). */
  intercept: number;
  /** Lower bound of the slope's confidence interval (−Infinity when no pair has distinct x). */
  low: number;
  /** Upper bound of the slope's confidence interval (+Infinity when no pair has distinct x). */
  high: number;
  /** Confidence level of the interval (e.g. 0.95). */
  confidence: number;
  /** Points used. */
  n: number;
  /** Pairwise slopes (pairs with distinct x). */
  pairs: number;
}

/** Sizes of the groups of equal values (only groups of 2 or more). */
function tieGroups(values: ArrayLike<number>): number[] {
  const sorted = Float64Array.from(values).sort();
  const groups: number[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i + 1;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    if (j - i > 1) groups.push(j - i);
    i = j;
  }
  return groups;
}

/** Round half to even (numpy's `round`). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Theil–Sen estimator of the slope of y on x (robust to up to ~29% outliers), with the
 * distribution-free confidence interval of Sen (1968) (Hollander & Wolfe, Nonparametric
 * Statistical Methods, §9.4), computed as `scipy.stats.theilslopes` does: with the N pairwise
 * slopes sorted ascending and C = z₁₋α/₂·√Var(S), where S is Kendall's statistic and
 * Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18 (t over groups of tied x, then of tied y),
 * the bounds are the slopes of 1-based rank round((N − C)/2) and round((N + C)/2) + 1
 * (half to even), clamped to [1, N]. Var(S) uses the normal approximation, so the interval is
 * approximate for small n; it assumes independent residuals. The intercept is
 * median(yᵢ − slope·xᵢ) (scipy's `method="joint"`).
 */
export function theilSen(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  confidence = 0.95,
): TheilSenFit {
  const n = Math.min(xs.length, ys.length);
  const xv = Array.from({ length: n }, (_, i) => xs[i]);
  const yv = Array.from({ length: n }, (_, i) => ys[i]);
  const slopes: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = xv[j] - xv[i];
      if (dx !== 0) slopes.push((yv[j] - yv[i]) / dx);
    }
  }
  const N = slopes.length;
  if (N === 0) {
    return {
      slope: 0,
      intercept: median(yv),
      low: -Infinity,
      high: Infinity,
      confidence,
      n,
      pairs: 0,
    };
  }
  slopes.sort((a, b) => a - b);
  const slope = percentileSorted(slopes, 0.5);
  const intercept = median(yv.map((y, i) => y - slope * xv[i]));
  const ties = (g: number[]) => g.reduce((a, t) => a + t * (t - 1) * (2 * t + 5), 0);
  const varS = (n * (n - 1) * (2 * n + 5) - ties(tieGroups(xv)) - ties(tieGroups(yv))) / 18;
  const c = normalQuantile(1 - (1 - confidence) / 2) * Math.sqrt(Math.max(varS, 0));
  const clamp = (r: number) => Math.min(Math.max(r, 1), N);
  const low = slopes[clamp(roundHalfEven((N - c) / 2)) - 1];
  const high = slopes[clamp(roundHalfEven((N + c) / 2) + 1) - 1];
  return { slope, intercept, low, high, confidence, n, pairs: N };
}
