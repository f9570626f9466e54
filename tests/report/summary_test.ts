import assert from "node:assert/strict";
import { recommendations as recs0 } from "../../report/summary.ts";
import { analyzeReports, reporterOf } from "../../engine/run.ts";
import type { RunResult } from "../../measure/result.ts";

const recommendations = (run: RunResult) => recs0(run, analyzeReports(run), reporterOf);
import { fakeRun, fakeSuite, fakeTest } from "./_fixtures.ts";

Deno.test("recommendations name leaks, missed schedules, failures and a low cache hit rate", () => {
  const run = fakeRun([
    fakeSuite("throughput", [fakeTest({ name: "T <1>", failed: 2 })]),
    fakeSuite("kv-cache", [
      fakeTest({ name: "Prefix", extra: { cache_hits: 3, cache_misses: 12 } }),
    ]),
    fakeSuite("concurrent", [fakeTest({ name: "Sustained", extra: { schedule_kept: false } })]),
    fakeSuite("memory", [
      fakeTest({ name: "Leaky", extra: { verdict: "leak", slope_kb_per_request: 64.2 } }),
      fakeTest({ name: "Fine", extra: { verdict: "no leak", slope_kb_per_request: 0.1 } }),
    ]),
  ]);
  const recs = recommendations(run).join("\n");
  assert.match(recs, /T \\<1>: 33\.3% of requests failed/);
  assert.match(recs, /Cache hit rate is 20\.0% over 15 requests/);
  assert.match(recs, /Sustained: the client did not keep the arrival schedule/);
  assert.match(recs, /Leaky: memory leak detected \(64\.2 KB per request\)/);
  assert.doesNotMatch(recs, /Fine/);
  assert.doesNotMatch(recs, /✅/);
});

Deno.test("a clean run gets one all-clear line", () => {
  const recs = recommendations(fakeRun([fakeSuite("throughput", [fakeTest()])]));
  assert.equal(recs.length, 1);
  assert.match(recs[0], /✅/);
});
