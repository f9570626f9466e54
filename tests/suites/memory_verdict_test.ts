import assert from "node:assert/strict";
import { suiteLeak } from "../../suites/memory/analysis.ts";
import type { MemoryTestResult } from "../../suites/memory/result.ts";
import { fakeTest } from "../report/_fixtures.ts";

function memTest(name: string, verdict: string, requests: number): MemoryTestResult {
  const t = fakeTest({ name }) as MemoryTestResult;
  t.extra = { ...t.extra, verdict: verdict as "leak", completed_requests: requests };
  return t;
}

Deno.test("memory: one test's growth the longest test does not confirm is not the suite's leak", () => {
  const one = suiteLeak([
    memTest("Low Load (5 RPS)", "no leak", 300),
    memTest("Medium Load (20 RPS)", "leak", 1200),
    memTest("KV Cache Memory Overhead", "no leak", 30),
    memTest("Long-Running Leak Test (10 RPS)", "no leak", 1200 * 2),
  ]);
  assert.equal(one.leak, false);
  assert.equal(one.leaking.length, 1);
  assert.match(one.why, /Medium Load .* grew, but the longest test \(Long-Running/);
  const all = suiteLeak([
    memTest("Low Load (5 RPS)", "leak", 300),
    memTest("Medium Load (20 RPS)", "leak", 1200),
    memTest("KV Cache Memory Overhead", "inconclusive", 30),
    memTest("Long-Running Leak Test (10 RPS)", "leak", 2400),
  ]);
  assert.equal(all.leak, true);
  assert.match(all.why, /3 of 3 tests found a leak/);
  assert.equal(suiteLeak([memTest("Quick Memory Test", "leak", 600)]).leak, true);
  assert.equal(suiteLeak([memTest("Quick Memory Test", "no leak", 600)]).leak, false);
});
