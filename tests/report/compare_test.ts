import assert from "node:assert/strict";
import { suiteJson } from "./_render.ts";
import { join } from "node:path";
import {
  compareRuns as compare0,
  type LoadedRun,
  parseThresholds as thresholds0,
  type ThresholdOverrides,
} from "../../analysis/compare.ts";
import { comparisonMarkdown } from "../../report/compare.ts";
import { CATALOGUE } from "../../suites/registry.ts";

const compareRuns = (a: LoadedRun, b: LoadedRun, o?: ThresholdOverrides) =>
  compare0(a, b, CATALOGUE, o);
const parseThresholds = (raw: string[]) => thresholds0(raw, CATALOGUE);
import { loadRun } from "../../engine/read_run.ts";
import { UsageError } from "../../util/errors.ts";
import type { RunResult } from "../../measure/result.ts";
import { fakeRun, fakeSuite, fakeTest, spread } from "./_fixtures.ts";

function loaded(run: RunResult): LoadedRun {
  return { dir: "x", source: "run.json", run, schemaVersion: "1.0.0" };
}

function run(latency: number, failed = 0, rps = 1): RunResult {
  return fakeRun([
    fakeSuite("throughput", [
      fakeTest({
        name: "s",
        streaming: true,
        latencies: spread(100, latency, latency * 1.1),
        failed,
        windowS: 100 / rps,
      }),
    ]),
  ]);
}

Deno.test("a run compared with itself has no regression", () => {
  const c = compareRuns(loaded(run(0.2)), loaded(run(0.2)));
  assert.equal(c.regressions.length, 0);
  assert.ok(c.metrics.length >= 8);
  assert.ok(c.metrics.every((m) => m.verdict === "same"));
  assert.match(comparisonMarkdown(c), /## ✅ No regressions/);
});

Deno.test("worse beyond the threshold is a regression; within it or better is not", () => {
  // Latency (and TTFT) +20%, rps −20%: regressions by default thresholds (10%).
  const c = compareRuns(loaded(run(0.2)), loaded(run(0.24, 0, 0.8)));
  const names = c.regressions.map((m) => m.name);
  for (const n of ["throughput.latency_p50_ms", "throughput.ttft_p99_ms", "throughput.rps"]) {
    assert.ok(names.includes(n), n);
  }
  const md = comparisonMarkdown(c);
  assert.ok(md.indexOf("Regressions") < md.indexOf("## All metrics"), "regressions first");
  // TTFT p50 = latency / 4: 52.50 ms → 63.00 ms.
  assert.match(
    md,
    /throughput\.ttft_p50_ms\s+\|\s+52\.50 ms\s+\|\s+63\.00 ms\s+\|\s+\+20\.0% \(\+10\.50 ms\)/,
  );
  // With a 25% threshold on latency-like metrics, +20% is tolerated.
  const loose = compareRuns(
    loaded(run(0.2)),
    loaded(run(0.24)),
    parseThresholds(["latency_p50_ms=25", "latency_p99_ms=25", "ttft_p50_ms=25", "ttft_p99_ms=25"]),
  );
  assert.ok(!loose.regressions.some((m) => m.name.includes("latency") || m.name.includes("ttft")));
  // Faster is better, never a regression.
  const better = compareRuns(loaded(run(0.24)), loaded(run(0.2)));
  assert.equal(better.regressions.length, 0);
  assert.ok(better.metrics.some((m) => m.verdict === "better"));
});

Deno.test("error rate regresses by percentage points", () => {
  // 0 → 1 failure in 101: +0.99 points, within 1 point; 0 → 3 in 103: +2.9 points.
  assert.ok(
    !compareRuns(loaded(run(0.2)), loaded(run(0.2, 1))).regressions.some((m) =>
      m.name === "throughput.error_rate"
    ),
  );
  // 0 → 3 in 103 is +2.9 points, beyond the threshold, but within what ~100 requests can
  // tell apart (Wilson's intervals): within noise, said with the numbers.
  const three = compareRuns(loaded(run(0.2)), loaded(run(0.2, 3)));
  const noisy = three.withinNoise.find((m) => m.name === "throughput.error_rate")!;
  assert.ok(noisy, "within noise");
  assert.equal(noisy.change, "+2.91 pts");
  assert.ok(!three.regressions.some((m) => m.name === "throughput.error_rate"));
  // 0 → 10 in 110 is beyond both.
  const c = compareRuns(loaded(run(0.2)), loaded(run(0.2, 10)));
  const e = c.regressions.find((m) => m.name === "throughput.error_rate")!;
  assert.ok(e);
  assert.equal(e.change, "+9.09 pts");
});

Deno.test("without repeats, a change inside both runs' own intervals is within noise, with its numbers", () => {
  // 20 requests, one slow one that got 12% slower: the p99 of 20 requests is their slowest
  // ones, and one request more or less slow moves it; the interval shows that.
  const few = (slowest: number) =>
    fakeRun([
      fakeSuite("throughput", [
        fakeTest({ name: "s", streaming: true, latencies: [...spread(19, 0.2, 0.3), slowest] }),
      ]),
    ]);
  const c = compareRuns(loaded(few(0.5)), loaded(few(0.56)));
  const p99 = c.metrics.find((m) => m.name === "throughput.latency_p99_ms")!;
  assert.equal(p99.regression, false);
  assert.equal(p99.withinNoise, true);
  assert.match(comparisonMarkdown(c), /## Within noise/);
  assert.match(comparisonMarkdown(c), /95% base \[[0-9.]+ ms, [0-9.]+ ms\], new \[/);
  // The same change over 2000 requests is told apart: a regression.
  const many = (latency: number) =>
    fakeRun([
      fakeSuite("throughput", [
        fakeTest({ name: "s", streaming: true, latencies: spread(2000, latency, latency * 1.1) }),
      ]),
    ]);
  const d = compareRuns(loaded(many(0.2)), loaded(many(0.224)));
  assert.ok(d.regressions.some((m) => m.name === "throughput.latency_p99_ms"));
});

Deno.test("thresholds with unknown metrics are usage errors with close matches", () => {
  assert.throws(() => parseThresholds(["ttft_p99=5"]), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /ttft_p99_ms/);
    return true;
  });
  assert.throws(() => parseThresholds(["ttft_p99_ms"]), UsageError);
  assert.equal(parseThresholds(["kv-cache.hit_rate=3"]).get("kv_cache.hit_rate"), 3);
});

Deno.test("a folder without run.json is read from its per-suite JSON files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = run(0.2);
    await Deno.writeTextFile(
      join(dir, "throughput_results.json"),
      JSON.stringify(suiteJson(r.suites[0])),
    );
    const l = await loadRun(dir);
    assert.equal(l.source, "suite JSON");
    const c = compareRuns(loaded(r), l);
    assert.equal(c.regressions.length, 0);
    assert.ok(c.metrics.find((m) => m.name === "throughput.ttft_p99_ms")!.verdict === "same");
    await assert.rejects(() => loadRun(join(dir, "nope")), /does not exist/);
    const empty = await Deno.makeTempDir({ dir });
    await assert.rejects(() => loadRun(empty), /neither run\.json nor/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
