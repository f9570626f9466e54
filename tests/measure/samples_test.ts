import assert from "node:assert/strict";
import { SAMPLE_BLOCK, SampleList } from "../../measure/samples.ts";
import { Distribution } from "../../measure/distribution.ts";

Deno.test("SampleList keeps every sample in order across block boundaries", () => {
  const n = SAMPLE_BLOCK * 2 + 77;
  const list = new SampleList();
  for (let i = 0; i < n; i++) list.push(i * 0.5);
  assert.equal(list.length, n);
  for (const i of [0, 255, 256, 257, SAMPLE_BLOCK - 1, SAMPLE_BLOCK, SAMPLE_BLOCK + 1, n - 1]) {
    assert.equal(list.at(i), i * 0.5, `sample ${i}`);
  }
  const all = list.toFloat64Array();
  assert.equal(all.length, n);
  for (let i = 0; i < n; i++) if (all[i] !== i * 0.5) assert.fail(`copy differs at ${i}`);
  assert.deepEqual(Array.from(SampleList.from([3, 1, 2]).toFloat64Array()), [3, 1, 2]);
  assert.equal(new SampleList().toFloat64Array().length, 0);
});

Deno.test("Distribution stays exact over several sample blocks and merges them whole", () => {
  const n = SAMPLE_BLOCK + 1000;
  const a = new Distribution(10 * SAMPLE_BLOCK);
  const b = new Distribution(10 * SAMPLE_BLOCK);
  for (let i = n; i > 0; i--) a.add(i / 1000); // descending: sorting must happen
  for (let i = 1; i <= n; i++) b.add((n + i) / 1000);
  a.merge(b);
  assert.equal(a.count, 2 * n);
  assert.ok(a.exact);
  const sorted = a.sorted();
  assert.equal(sorted.length, 2 * n);
  assert.equal(sorted[0], 0.001);
  assert.equal(sorted[2 * n - 1], (2 * n) / 1000);
  const s = a.summary();
  assert.equal(s.source, "exact");
  // numpy linear percentile of 1..2n (ms): 1 + (2n - 1) * p
  assert.ok(Math.abs(s.p50 - (1 + (2 * n - 1) * 0.5) / 1000) < 1e-12);
  assert.ok(Math.abs(s.p99 - (1 + (2 * n - 1) * 0.99) / 1000) < 1e-12);
});
