/** A saturated client shows everywhere a reader looks: console, summary, HTML headline, gates. */
import assert from "node:assert/strict";
import { fakeRun, fakeSuite, fakeTest } from "./_fixtures.ts";
import { recommendations as recs0 } from "../../report/summary.ts";
import { testTable } from "../../report/console.ts";
import { htmlOf } from "./_render.ts";
import { judgeGates, parseGates } from "../../analysis/gates.ts";
import { analyzeReports, reporterOf } from "../../engine/run.ts";
import { CATALOGUE } from "../../suites/registry.ts";
import type { RunResult } from "../../measure/result.ts";

const recommendations = (run: RunResult) => recs0(run, analyzeReports(run), reporterOf);

const saturated = { event_loop_lag_p99_ms: 42.5, cpu_pct: 99, saturated: true };
const healthy = { event_loop_lag_p99_ms: 1.2, cpu_pct: 20, saturated: false };

function run(health: typeof saturated) {
  const t = fakeTest({ name: "1000 streams", extra: { client_health: health } });
  return fakeRun([fakeSuite("throughput", [t])]);
}

Deno.test("a saturated client: a warning in the summary, a row in the console, a banner in HTML", () => {
  const r = run(saturated);
  const recs = recommendations(r).join("\n");
  assert.match(
    recs,
    /1000 streams: the client itself was saturated \(event-loop lag p99 42\.5 ms, CPU 99%\)/,
  );
  assert.doesNotMatch(recs, /✅/);
  assert.match(
    testTable(r.suites[0].tests[0]),
    /saturated \(event-loop lag p99 42\.5 ms, CPU 99%\)/,
  );
  assert.match(htmlOf(r), /Client saturated in 1 test\(s\) \(1000 streams\)/);
  const calm = run(healthy);
  assert.doesNotMatch(recommendations(calm).join("\n"), /saturated/);
  assert.doesNotMatch(htmlOf(calm), /Client saturated/);
});

Deno.test("--fail-if throughput.client_saturated>0 trips on a saturated client only", () => {
  const gates = parseGates(["throughput.client_saturated>0"], CATALOGUE, ["throughput"]);
  assert.equal(judgeGates(gates, run(saturated).suites, CATALOGUE)[0].failed, true);
  assert.equal(judgeGates(gates, run(healthy).suites, CATALOGUE)[0].failed, false);
});
