import assert from "node:assert/strict";
import { median, normalQuantile, theilSen } from "../../measure/fit.ts";

// Reference values from scipy 1.17 `scipy.stats.theilslopes(y, x, conf, method="joint")`
// and `scipy.stats.norm.ppf`.
const close = (a: number, b: number, eps = 1e-9) =>
  assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

Deno.test("theilSen matches scipy on data with an outlier", () => {
  const f = theilSen([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [
    2.1,
    3.9,
    6.2,
    8.1,
    9.8,
    12.3,
    13.9,
    16.2,
    30,
    20.1,
  ]);
  close(f.slope, 2.0250000000000004);
  close(f.intercept, 0, 1e-12);
  close(f.low, 1.950000000000001);
  close(f.high, 2.133333333333333);
  assert.equal(f.pairs, 45);
});

Deno.test("theilSen matches scipy with tied x values and at two confidence levels", () => {
  const x = [0, 0, 10, 20, 30, 40, 50, 60, 70, 80, 80, 90];
  const y = [5, 5.1, 5.2, 5.9, 6.1, 6.3, 7.0, 7.2, 7.1, 8.0, 8.1, 8.4];
  const f = theilSen(x, y);
  close(f.slope, 0.03666666666666668);
  close(f.intercept, 5.033333333333333);
  close(f.low, 0.032499999999999994);
  close(f.high, 0.04000000000000001);
  assert.equal(f.pairs, 64); // 66 pairs minus the 2 with equal x
  const g = theilSen(x, y, 0.9);
  close(g.low, 0.03333333333333333);
  close(g.high, 0.04);
});

Deno.test("theilSen matches scipy on a noisy line of 30 points", () => {
  const x = Array.from({ length: 30 }, (_, i) => i * 12);
  // deno-fmt-ignore
  const y = [50.001, 50.899, 51.363, 51.805, 52.773, 53.254, 54.53, 55.92, 55.754, 56.44,
    57.745, 58.428, 59.053, 59.285, 60.485, 61.598, 61.328, 62.521, 62.549, 63.605, 64.079,
    65.632, 65.866, 67.386, 68.078, 68.657, 68.242, 69.981, 70.976, 71.807];
  const f = theilSen(x, y);
  close(f.slope, 0.06180128205128204);
  close(f.intercept, 49.9791923076923);
  close(f.low, 0.060000000000000005);
  close(f.high, 0.0632048611111111);
  assert.ok(f.low <= f.slope && f.slope <= f.high);
});

Deno.test("theilSen on an exact line gives that line and a zero-width interval", () => {
  const x = [0, 10, 20, 30, 40, 50];
  const f = theilSen(x, x.map((v) => 3 + 0.5 * v));
  assert.equal(f.slope, 0.5);
  assert.equal(f.intercept, 3);
  assert.equal(f.low, 0.5);
  assert.equal(f.high, 0.5);
});

Deno.test("theilSen without two distinct x values has no slope and an unbounded interval", () => {
  const f = theilSen([5, 5, 5], [1, 2, 3]);
  assert.equal(f.slope, 0);
  assert.equal(f.intercept, 2);
  assert.equal(f.low, -Infinity);
  assert.equal(f.high, Infinity);
  assert.equal(f.pairs, 0);
});

Deno.test("normalQuantile matches scipy's norm.ppf", () => {
  close(normalQuantile(0.975), 1.959963984540054, 1e-8);
  close(normalQuantile(0.95), 1.6448536269514722, 1e-8);
  close(normalQuantile(0.001), -3.090232306167813, 1e-8);
  close(normalQuantile(0.9999), 3.719016485455709, 1e-8);
  assert.equal(normalQuantile(0.5), 0);
  assert.throws(() => normalQuantile(1), RangeError);
  assert.equal(median([3, 1, 2, 10]), 2.5);
});
