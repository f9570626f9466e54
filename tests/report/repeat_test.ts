import assert from "node:assert/strict";
import {
  compareRuns as compare0,
  type LoadedRun,
  parseThresholds as thresholds0,
  type ThresholdOverrides,
} from "../../analysis/compare.ts";
import { comparisonMarkdown } from "../../report/compare.ts";
import { suiteRepeatSummary as summary0, testRepeatSummary } from "../../analysis/repeat.ts";
import { repeatBlocks } from "../../report/repeat.ts";
import { recommendations as recs0 } from "../../report/summary.ts";
import { toMarkdown } from "../../report/doc.ts";
import { runJson } from "../../report/mod.ts";
import { analyzeReports, reporterOf } from "../../engine/run.ts";
import { CATALOGUE } from "../../suites/registry.ts";
import type { SuiteResult } from "../../measure/result.ts";

const compareRuns = (a: LoadedRun, b: LoadedRun, o?: ThresholdOverrides, intervals?: boolean) =>
  compare0(a, b, CATALOGUE, o, intervals);
const parseThresholds = (raw: string[]) => thresholds0(raw, CATALOGUE);
const suiteRepeatSummary = (s: SuiteResult) => summary0(s, CATALOGUE);
const recommendations = (r: RunResult) => recs0(r, analyzeReports(r), reporterOf);
import { poolRepeats } from "../../capacity/repeat.ts";
import type { RunResult, TestResult } from "../../measure/result.ts";
import { fakeRun, fakeSuite, fakeTest, spread } from "./_fixtures.ts";

/** A test repeated once per entry of `rps`: 100 requests each, over 100 / rps seconds. */
function repeated(rps: readonly number[]): TestResult {
  const runs = rps.map((r) =>
    fakeTest({ name: "t", latencies: spread(100, 0.1, 0.2), windowS: 100 / r })
  );
  return poolRepeats(runs, {
    count: rps.length,
    pause_s: 0,
    seeds: rps.map((_, k) => k),
    max_cv_pct: 10,
  });
}

function run(rps: readonly number[]): RunResult {
  return fakeRun([fakeSuite("throughput", [repeated(rps)])]);
}

function loaded(r: RunResult): LoadedRun {
  return { dir: "x", source: "run.json", run: r, schemaVersion: "1.0.0" };
}

Deno.test("a suite's metrics over its repeats: mean, t interval, CV and the unstable mark", () => {
  const suite = run([10, 12, 8, 11, 9]).suites[0];
  const s = suiteRepeatSummary(suite)!;
  assert.equal(s.repeats, 5);
  const rps = s.metrics.find((m) => m.name === "throughput.rps")!;
  assert.deepEqual(rps.values.map((v) => +v.toFixed(9)), [10, 12, 8, 11, 9]);
  assert.ok(Math.abs(rps.mean - 10) < 1e-9);
  // 10 ± t(0.975, 4) × 1.5811 / √5 = 10 ± 1.9632
  assert.ok(Math.abs(rps.ci95_low! - 8.0368) < 1e-3, String(rps.ci95_low));
  assert.ok(Math.abs(rps.cv_pct! - 15.811) < 1e-3, String(rps.cv_pct));
  assert.equal(rps.unstable, true, "CV 15.8% is above the 10% threshold");
  const p50 = s.metrics.find((m) => m.name === "throughput.latency_p50_ms")!;
  assert.equal(p50.unstable, false, "the same latencies every repeat");
  assert.equal(p50.cv_pct, 0);
  // The test's own table, the report section, run.json and the summary carry them.
  assert.equal(testRepeatSummary(suite.tests[0])!.metrics.find((m) => m.name === "rps")!.mean, 10);
  const md = toMarkdown(repeatBlocks(suiteRepeatSummary(suite)));
  assert.match(md, /## Repeats and Confidence/);
  assert.match(
    md,
    /`throughput\.rps`\s+\|\s+10\.00 req\/s\s+\|\s+8\.04 req\/s – 11\.96 req\/s\s+\|\s+15\.8%\s+\|\s+\*\*unstable\*\*/,
  );
  const r5 = run([10, 12, 8, 11, 9]);
  const json = runJson(r5, analyzeReports(r5)) as { suites: { repeat?: unknown }[] };
  assert.ok(json.suites[0].repeat, "run.json's suite has its repeat statistics");
  assert.ok(
    recommendations(run([10, 12, 8, 11, 9])).some((r) =>
      /Unstable over the repeats: throughput\.rps \(CV 15\.8%\)/.test(r)
    ),
  );
  // A suite whose tests ran once has none.
  assert.equal(suiteRepeatSummary(fakeSuite("throughput", [fakeTest()])), null);
});

Deno.test("compare: a change beyond the threshold but within the repeats' noise is no regression", () => {
  const base = run([10, 12, 8, 11, 9]), next = run([9.4, 11.3, 7.5, 10.3, 8.5]);
  const tight = parseThresholds(["throughput.rps=3"]);
  // Without the intervals the −6% change in rps is a regression at a 3% threshold…
  const plain = compareRuns(loaded(base), loaded(next), tight, false);
  assert.ok(plain.regressions.some((m) => m.name === "throughput.rps"));
  // …with them, Welch's test finds no significant difference: within noise.
  const c = compareRuns(loaded(base), loaded(next), tight);
  assert.ok(!c.regressions.some((m) => m.name === "throughput.rps"));
  const rps = c.withinNoise.find((m) => m.name === "throughput.rps")!;
  assert.ok(rps.noise!.p > 0.4, `p ${rps.noise!.p}`);
  const md = comparisonMarkdown(c);
  assert.match(md, /## Within noise \(1\)/);
  assert.match(md, /worse \(within noise\)/);
});

Deno.test("compare: a change beyond the threshold and the noise stays a regression", () => {
  const base = run([10, 10.1, 9.9]), next = run([8, 8.1, 7.9]);
  const c = compareRuns(loaded(base), loaded(next));
  const rps = c.regressions.find((m) => m.name === "throughput.rps")!;
  assert.ok(rps.noise!.significant && rps.noise!.p < 0.001, `p ${rps.noise!.p}`);
  assert.equal(c.withinNoise.length, 0);
  // One side without repeats: judged by the threshold alone.
  const once = fakeRun([
    fakeSuite("throughput", [
      fakeTest({ name: "t", latencies: spread(100, 0.1, 0.2), windowS: 100 / 8 }),
    ]),
  ]);
  const mixed = compareRuns(loaded(base), loaded(once));
  const m = mixed.regressions.find((x) => x.name === "throughput.rps")!;
  assert.equal(m.noise, null);
});
