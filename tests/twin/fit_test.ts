import assert from "node:assert/strict";
import { calibrationSet, checkTwin } from "../../twin/check.ts";
import { predictExperiment } from "../../twin/calibration.ts";
import { fitCoefficients, type StageErrorInput, stageLoss } from "../../twin/fit.ts";
import type { TwinCoefficients } from "../../twin/timing.ts";

/** A start far from any fit: round numbers. */
const NEUTRAL: TwinCoefficients = {
  memEfficiency: 0.8,
  moeEfficiency: 0.7,
  computeEfficiency: 0.6,
  attnEfficiency: 0.6,
  stepOverheadMs: 1,
  perSeqUs: 10,
  allReduceUs: 15,
  linkEfficiency: 0.5,
  requestOverheadMs: 5,
};

Deno.test("fit: the loss is zero for a perfect prediction, counts a missed overload, bounds a wild stage", () => {
  const stage = (p: number, over = false): StageErrorInput => ({
    e2eMean: [2, 2 * p],
    e2eP90: [3, 3 * p],
    decodePerToken: [0.01, 0.01 * p],
    ttftMean: [0.05, 0.05 * p],
    overloaded: [over, false],
  });
  assert.equal(stageLoss([stage(1)]), 0);
  assert.ok(stageLoss([stage(1.1)]) > 0 && stageLoss([stage(1.1)]) < stageLoss([stage(1.5)]));
  assert.equal(stageLoss([stage(1, true)]), 4, "a missed overload costs the most a stage can");
  assert.ok(stageLoss([stage(1e6)]) <= 4 * 3.3, "one wild stage is bounded");
});

Deno.test("fit: half of the calibration set, fitted from round numbers, predicts the other half", () => {
  // Even experiments hold every kind of stage (a 7B with its large KV reads, a 70B on four
  // GPUs, a mixture of experts); the odd ones are predicted from them.
  const all = calibrationSet();
  const train = all.filter((_, i) => i % 2 === 0);
  const held = all.filter((_, i) => i % 2 === 1);
  const loss = (c: TwinCoefficients) =>
    stageLoss(train.flatMap((e) =>
      predictExperiment(e, c, 1, 100).map((p): StageErrorInput => ({
        e2eMean: [p.stage.e2e.mean, p.e2e.mean],
        e2eP90: [p.stage.e2e.p90, p.e2e.p90],
        decodePerToken: [p.stage.decodePerToken, p.decodePerToken],
        ttftMean: [p.stage.ttft.mean, p.ttft.mean],
        overloaded: [p.stage.failed > 0, p.overloaded],
      }))
    ));
  const fit = fitCoefficients(NEUTRAL, loss, { maxEvaluations: 140 });
  assert.ok(
    fit.loss < loss(NEUTRAL) / 3,
    `the fit improved the loss: ${loss(NEUTRAL)} → ${fit.loss}`,
  );
  const s = checkTwin(fit.coefficients, held);
  assert.ok(s.e2eMean <= 0.1, `held-out median E2E mean error ${s.e2eMean}`);
  assert.ok(s.decodePerToken <= 0.1, `held-out median decode error ${s.decodePerToken}`);
  assert.ok(s.ttftMean <= 0.3, `held-out median TTFT error ${s.ttftMean}`);
  assert.ok(s.worstE2eMean <= 0.2, `held-out worst E2E mean error ${s.worstE2eMean}`);
  assert.ok(s.overloadsAgree, "the held-out overloaded stage predicted as overloaded");
});
