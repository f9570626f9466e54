import assert from "node:assert/strict";
import { guideBlocks as blocks0, guideRecommendations as recs1 } from "../../report/guide.ts";
import { type GuideCheck, guideChecks as checks0 } from "../../analysis/guide.ts";
import { toMarkdown } from "../../report/doc.ts";
import { recommendations as recs0 } from "../../report/summary.ts";
import { analyzeReports, reporterOf } from "../../engine/run.ts";
import { suiteNamed } from "../../suites/registry.ts";
import type { RunResult, SuiteName, TestResult } from "../../measure/result.ts";
import { summaryOf } from "./_render.ts";

const guideChecks = (run: RunResult) => checks0(run, (n) => suiteNamed(n)?.guide);
const guideBlocks = (run: RunResult) => blocks0(guideChecks(run));
const guideRecommendations = (run: RunResult) => recs1(guideChecks(run));
const recommendations = (run: RunResult) => recs0(run, analyzeReports(run), reporterOf);
import { fakeRun, fakeSuite, fakeTest, spread } from "./_fixtures.ts";

/** A closed-loop test of `requests` at `concurrency` whose rate is `rps` and p99 about `p99` s. */
function closed(
  name: string,
  payload: string,
  streaming: boolean,
  requests: number,
  concurrency: number,
  rps: number,
  p99: number,
  failed = 0,
): TestResult {
  const t = fakeTest({
    name,
    streaming,
    latencies: spread(requests - failed, p99 / 2, p99),
    failed,
    windowS: (requests - failed) / rps,
    load: { kind: "closed", requests, concurrency, warmup: 0 },
  });
  return { ...t, payload };
}

function full(suites: ReturnType<typeof fakeSuite>[]): RunResult {
  const r = fakeRun(suites);
  r.mode = "full";
  return r;
}

function find(checks: GuideCheck[], suite: SuiteName, words: string): GuideCheck {
  const c = checks.find((x) => x.suite === suite && x.expectation.includes(words));
  assert.ok(c, `${suite}: ${words}`);
  return c;
}

Deno.test("guide: the throughput suite's tests, run as the guide ran them, against its figures", () => {
  const run = full([fakeSuite("throughput", [
    closed("Small Payload - Non-Streaming", "small", false, 100, 10, 120, 0.35),
    closed("Small Payload - Streaming", "small", true, 100, 10, 115, 0.36),
    closed("Medium Payload - Non-Streaming", "medium", false, 50, 10, 60, 0.6),
    closed("Medium Payload - Streaming", "medium", true, 50, 10, 40, 0.7),
    closed("Large Payload - Non-Streaming", "large", false, 20, 5, 30, 0.9),
  ])]);
  const c = guideChecks(run);
  // RPS 50–200: the large payload's 30 req/s misses.
  const rps = find(c, "throughput", "RPS: 50–200");
  assert.equal(rps.verdict, "misses");
  assert.match(rps.note!, /lowest: Large Payload - Non-Streaming/);
  assert.equal(find(c, "throughput", "P99 latency < 500 ms").verdict, "meets");
  // Medium streaming runs a third slower than non-streaming: not "similar RPS".
  const streaming = find(c, "throughput", "Streaming:");
  assert.equal(streaming.verdict, "misses");
  assert.match(streaming.note!, /within 33\.3%/);
  // Targets: the slower small test (115 req/s) is on target; a 360 ms P99 is acceptable.
  assert.equal(find(c, "throughput", "RPS (small)").verdict, "target");
  assert.equal(find(c, "throughput", "P99 latency: < 300 ms").verdict, "acceptable");
  const recs = guideRecommendations(run);
  assert.equal(recs.length, 2, recs.join("\n"));
  assert.ok(
    recs.some((r) =>
      /misses the guide.s expectation "RPS: 50–200.*": lowest: Large Payload - Non-Streaming 30\.00 req\/s\./
        .test(r)
    ),
    recs.join("\n"),
  );
  // A test of the same name under another load is not the guide's test.
  const other = full([fakeSuite("throughput", [
    closed("Small Payload - Non-Streaming", "small", false, 100, 20, 120, 0.35),
  ])]);
  assert.ok(guideChecks(other).every((x) => x.verdict === "not comparable"));
});

Deno.test("guide: quick mode and scenario tests are not comparable, one row per suite saying why", () => {
  const quick = fakeRun([fakeSuite("throughput", [
    closed("Quick Throughput - Non-Streaming", "small", false, 20, 5, 23, 0.22),
  ])]);
  const c = guideChecks(quick);
  assert.equal(c.length, 5);
  assert.ok(c.every((x) => x.verdict === "not comparable" && /quick mode/.test(x.note!)));
  const md = toMarkdown(guideBlocks(quick));
  assert.match(md, /\| throughput \| both\s*\| all 5: RPS, P99, streaming, RPS target, P99 target/);
  assert.equal(guideRecommendations(quick).length, 0);
  const scenario = full([fakeSuite("concurrent", [{
    ...closed("10 Concurrent Connections", "small", false, 100, 10, 50, 0.3),
    extra: { scenario: "mine.yaml" },
  }])]);
  assert.match(guideChecks(scenario)[0].note!, /workload or scenario/);
});

Deno.test("guide: kv-cache and concurrent figures; misses and poor marks become recommendations", () => {
  const hitRate = fakeTest({
    name: "Cache Hit Rate Test",
    extra: { cache_reported: true, hit_rate: 65, latency_improvement: 25, token_reuse_rate: 45 },
  });
  const bursts = [10, 50, 100, 200].map((n, i) =>
    closed(
      `${n} Concurrent Connections`,
      "small",
      false,
      [100, 200, 300, 400][i],
      n,
      50,
      0.4,
      n === 200 ? 40 : 0,
    )
  );
  const run = full([fakeSuite("kv-cache", [hitRate]), fakeSuite("concurrent", bursts)]);
  const c = guideChecks(run);
  assert.equal(find(c, "kv-cache", "Hit rate > 60%").verdict, "meets");
  assert.equal(find(c, "kv-cache", "Latency improvement").verdict, "misses");
  assert.equal(find(c, "kv-cache", "Token reuse").verdict, "meets");
  assert.equal(find(c, "kv-cache", "Cache hit rate:").verdict, "acceptable");
  assert.equal(find(c, "concurrent", "reasonable concurrency").verdict, "meets");
  assert.equal(find(c, "concurrent", "P99 latency < 1000").verdict, "meets");
  // 200 concurrent lost 10% of its requests: not handled, and the success target is poor.
  assert.equal(find(c, "concurrent", "Handles 100+").verdict, "misses");
  const target = find(c, "concurrent", "Success rate: 100%");
  assert.equal(target.verdict, "poor");
  assert.match(target.measured!, /90\.00% \(lowest of 4 tests\)/);
  const recs = recommendations(run);
  assert.ok(
    recs.some((r) =>
      /concurrent is poor against the guide.s target "Success rate: 100%.*": 90\.00% \(lowest of 4 tests\)/
        .test(r)
    ),
  );
  assert.ok(
    recs.some((r) =>
      /kv-cache misses the guide.s expectation "Latency improvement 30–50%": 25\.0%/.test(r)
    ),
  );
  // A server that reports no cache: not comparable, not a miss.
  const quiet = fakeTest({ name: "Cache Hit Rate Test", extra: { cache_reported: false } });
  const silent = full([fakeSuite("kv-cache", [quiet])]);
  assert.ok(guideChecks(silent).every((x) => /reports no cached tokens/.test(x.note!)));
  // The summary carries the section before the detailed reports.
  const md = summaryOf(run);
  assert.ok(md.indexOf("## Against the Guide's Expectations") < md.indexOf("## Detailed Reports"));
});
