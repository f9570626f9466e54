import assert from "node:assert/strict";
import { judgeGates, parseGate as parse1, parseGates as parseN } from "../../analysis/gates.ts";
import { CATALOGUE } from "../../suites/registry.ts";
import type { SuiteResult } from "../../measure/result.ts";

const parseGate = (e: string) => parse1(e, CATALOGUE);
const parseGates = (e: string[], s?: string[]) => parseN(e, CATALOGUE, s);
const evaluateGates = (g: ReturnType<typeof parseGates>, s: SuiteResult[]) =>
  judgeGates(g, s, CATALOGUE);
import { UsageError } from "../../util/errors.ts";
import { fakeSuite, fakeTest, spread } from "./_fixtures.ts";

Deno.test("--fail-if expressions parse, and bad ones are usage errors", () => {
  const g = parseGate(" throughput.ttft_p99_ms >= 800 ");
  assert.equal(g.metric, "throughput.ttft_p99_ms");
  assert.equal(g.op, ">=");
  assert.equal(g.value, 800);
  assert.equal(parseGate("concurrent.error_rate>0.01").value, 0.01);
  for (const bad of ["throughput.ttft_p99_ms", "throughput.rps>>1", "x>1", "throughput.rps>abc"]) {
    assert.throws(() => parseGate(bad), UsageError, bad);
  }
  assert.throws(
    () => parseGates(["memory.leaks>0"], ["throughput"]),
    /needs the memory suite/,
  );
});

Deno.test("gates fail when their condition holds or the metric was not measured", () => {
  const suite = fakeSuite("throughput", [
    fakeTest({ name: "s", streaming: true, latencies: spread(20, 0.4, 0.4), failed: 1 }),
  ]);
  const results = evaluateGates(
    parseGates([
      "throughput.ttft_p99_ms>50", // TTFT is latency / 4 = 100 ms: fails
      "throughput.ttft_p99_ms>500", // passes
      "throughput.error_rate>0.01", // 1 of 21: fails
    ]),
    [suite],
  );
  assert.deepEqual(results.map((r) => r.failed), [true, false, true]);
  assert.match(results[0].message, /throughput\.ttft_p99_ms = 100\.00 ms \(fails: is > 50\)/);
  assert.match(results[2].message, /throughput\.error_rate = 0\.0476/);
  const missing = evaluateGates(parseGates(["kv_cache.hit_rate<50"]), [suite]);
  assert.equal(missing[0].failed, true);
  assert.match(missing[0].message, /not measured/);
});
