/**
 * Statistics of repeated measurements (docs/ARCHITECTURE.md, "Capacity"): the mean of N
 * repeats with its 95% interval from Student's t distribution, the coefficient of variation,
 * and Welch's test of whether two sets of repeats differ by more than their noise.
 *
 * @module
 */

/** Two-sided confidence level of every interval here. */
export const CONFIDENCE = 0.95;

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; ~15 significant digits). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const c = [
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b), for 0 ≤ x ≤ 1 and a, b > 0. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x),
  );
  return x < (a + 1) / (a + b + 2)
    ? (front * betaFraction(x, a, b)) / a
    : 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/** P(T ≤ t) for Student's t distribution with `df` (> 0, not necessarily whole) degrees. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The `p` quantile (0.5 < p < 1) of Student's t with `df` degrees of freedom. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0.5 && p < 1) || !(df > 0)) {
    throw new RangeError(`studentTQuantile needs 0.5 < p < 1 and df > 0 (got ${p}, ${df})`);
  }
  let lo = 0, hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** A metric over N repeats: mean, sample standard deviation, 95% interval, CV. */
export interface RepeatStat {
  /** The value of each repeat, in the order they ran. */
  values: number[];
  /** Repeats with a value. */
  n: number;
  /** Their mean. */
  mean: number;
  /** Sample standard deviation (n − 1; 0 for one repeat). */
  stdev: number;
  /** 95% interval of the mean (Student's t with n − 1 degrees; null for one repeat). */
  ci95_low: number | null;
  /** Its upper end. */
  ci95_high: number | null;
  /** Coefficient of variation: stdev over |mean|, in % (null when the mean is 0). */
  cv_pct: number | null;
}

/** Mean, interval and CV of one metric's repeat values (non-finite values are left out). */
export function repeatStat(raw: readonly number[]): RepeatStat | null {
  const values = raw.filter(Number.isFinite);
  const n = values.length;
  if (n === 0) return null;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const stdev = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  const half = n > 1 ? studentTQuantile(1 - (1 - CONFIDENCE) / 2, n - 1) * stdev / Math.sqrt(n) : 0;
  return {
    values,
    n,
    mean,
    stdev,
    ci95_low: n > 1 ? mean - half : null,
    ci95_high: n > 1 ? mean + half : null,
    cv_pct: mean !== 0 ? (stdev / Math.abs(mean)) * 100 : null,
  };
}

/** Welch's two-sample t test of `b.mean − a.mean`. */
export interface WelchResult {
  /** Difference of the means (b − a). */
  diff: number;
  /** 95% interval of the difference. */
  low: number;
  /** Its upper end. */
  high: number;
  /** Two-sided p-value. */
  p: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** True when the interval excludes 0 (p < 0.05). */
  significant: boolean;
}

/**
 * Welch's test of two sets of repeats (each with n ≥ 2), or null when either has fewer.
 * Two sets without any spread differ exactly when their means do.
 */
export function welch(a: RepeatStat, b: RepeatStat): WelchResult | null {
  if (a.n < 2 || b.n < 2) return null;
  const diff = b.mean - a.mean;
  const va = a.stdev ** 2 / a.n, vb = b.stdev ** 2 / b.n;
  const se = Math.sqrt(va + vb);
  if (se === 0) {
    return {
      diff,
      low: diff,
      high: diff,
      p: diff === 0 ? 1 : 0,
      df: Infinity,
      significant: diff !== 0,
    };
  }
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  const t = diff / se;
  const p = Math.min(1, 2 * (1 - studentTCdf(Math.abs(t), df)));
  const half = studentTQuantile(1 - (1 - CONFIDENCE) / 2, df) * se;
  return { diff, low: diff - half, high: diff + half, p, df, significant: p < 1 - CONFIDENCE };
}
