import assert from "node:assert/strict";
import { repeatStat, studentTCdf, studentTQuantile, welch } from "../../capacity/confidence.ts";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

Deno.test("Student's t quantiles match the printed table", () => {
  // Two-sided 95% critical values, from any statistics table.
  const table: [number, number][] = [[1, 12.706], [2, 4.303], [4, 2.776], [9, 2.262], [
    30,
    2.042,
  ]];
  for (const [df, t] of table) close(studentTQuantile(0.975, df), t, 0.0005, `df ${df}`);
  // Towards the normal distribution's 1.960 for many degrees of freedom.
  close(studentTQuantile(0.975, 1e6), 1.95996, 0.0001, "df 1e6");
  // The CDF is symmetric and 1/2 at 0; with one degree it is the Cauchy's.
  close(studentTCdf(0, 3), 0.5, 1e-12, "median");
  close(studentTCdf(-1.5, 7) + studentTCdf(1.5, 7), 1, 1e-12, "symmetry");
  close(studentTCdf(1, 1), 0.75, 1e-9, "Cauchy at 1");
  assert.throws(() => studentTQuantile(0.3, 2), RangeError);
});

Deno.test("repeatStat: mean, sample stdev, t interval and CV", () => {
  const s = repeatStat([10, 12, 11, 13, 9])!;
  assert.equal(s.n, 5);
  assert.equal(s.mean, 11);
  close(s.stdev, Math.sqrt(2.5), 1e-12, "stdev");
  // 11 ± 2.776 × 1.5811 / √5
  close(s.ci95_low!, 11 - 2.776445 * Math.sqrt(2.5) / Math.sqrt(5), 1e-5, "low");
  close(s.ci95_high!, 11 + 2.776445 * Math.sqrt(2.5) / Math.sqrt(5), 1e-5, "high");
  close(s.cv_pct!, (Math.sqrt(2.5) / 11) * 100, 1e-9, "cv");
  // One repeat: no interval; a zero mean: no CV; non-finite values left out; none: null.
  const one = repeatStat([4])!;
  assert.equal(one.ci95_low, null);
  assert.equal(one.stdev, 0);
  assert.equal(repeatStat([0, 0, 0])!.cv_pct, null);
  assert.equal(repeatStat([1, NaN, 3])!.n, 2);
  assert.equal(repeatStat([]), null);
});

Deno.test("Welch's test: separated sets differ, overlapping ones do not", () => {
  const a = repeatStat([10, 12, 11, 13, 9])!, b = repeatStat([14, 15, 13, 16, 14])!;
  const w = welch(a, b)!;
  close(w.diff, 3.4, 1e-12, "diff");
  // Welch–Satterthwaite: (0.5 + 0.26)² / (0.5²/4 + 0.26²/4) = 7.2746
  close(w.df, 7.2746, 1e-3, "df");
  assert.ok(w.significant && w.p < 0.01 && w.p > 0.001, `p ${w.p}`);
  assert.ok(w.low > 0 && w.high > w.low);
  const c = repeatStat([10.5, 11.5, 12, 10, 11])!;
  const same = welch(a, c)!;
  assert.ok(!same.significant && same.p > 0.5, `p ${same.p}`);
  assert.ok(same.low < 0 && same.high > 0);
  // No spread: they differ exactly when the means do; one repeat: no test.
  assert.equal(welch(repeatStat([2, 2])!, repeatStat([2, 2])!)!.significant, false);
  assert.equal(welch(repeatStat([2, 2])!, repeatStat([3, 3])!)!.significant, true);
  assert.equal(welch(repeatStat([2])!, repeatStat([3, 3])!), null);
});
