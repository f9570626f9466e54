import assert from "node:assert/strict";
import { checkTable, checkTwin, withCheckTable } from "../../twin/check.ts";
import { COEFFICIENT_BOUNDS, COEFFICIENT_NAMES, HOPPER_VLLM } from "../../twin/timing.ts";

Deno.test("twin check: the shipped coefficients meet the calibration set's bounds", () => {
  const s = checkTwin(HOPPER_VLLM);
  assert.equal(s.stages.length, 13);
  assert.ok(s.e2eMean <= 0.1, `median E2E mean error ${s.e2eMean}`);
  assert.ok(s.e2eP90 <= 0.1, `median E2E p90 error ${s.e2eP90}`);
  assert.ok(s.decodePerToken <= 0.1, `median decode error ${s.decodePerToken}`);
  assert.ok(s.ttftMean <= 0.3, `median TTFT error ${s.ttftMean}`);
  assert.ok(s.worstE2eMean <= 0.2, `worst E2E mean error ${s.worstE2eMean}`);
  assert.ok(s.overloadsAgree, "the overloaded stage predicted as overloaded");
  assert.match(checkTable(s), /Median absolute error: E2E mean \d/);
  // docs/twin.md keeps this very table ('deno task twin:check --write-docs' rewrites it).
  const doc = Deno.readTextFileSync(new URL("../../docs/twin.md", import.meta.url));
  assert.equal(doc, withCheckTable(doc, checkTable(s)), "docs/twin.md's table is stale");
});

Deno.test("twin check: the coefficients are few and within their physical bounds", () => {
  assert.ok(COEFFICIENT_NAMES.length <= 10);
  for (const name of COEFFICIENT_NAMES) {
    const [lo, hi] = COEFFICIENT_BOUNDS[name];
    assert.ok(HOPPER_VLLM[name] >= lo && HOPPER_VLLM[name] <= hi, name);
  }
  for (
    const eff of [
      "memEfficiency",
      "moeEfficiency",
      "computeEfficiency",
      "attnEfficiency",
      "linkEfficiency",
    ] as const
  ) {
    assert.ok(HOPPER_VLLM[eff] < 1, eff);
  }
});

Deno.test("twin check: coefficients far from the fitted ones fail the bounds (the check can fail)", () => {
  const s = checkTwin({ ...HOPPER_VLLM, memEfficiency: 0.3, requestOverheadMs: 40 });
  assert.ok(s.e2eMean > 0.1 || s.ttftMean > 0.3);
});
