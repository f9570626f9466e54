import assert from "node:assert/strict";
import { checkShards, mergeRuns, mergeTests, SHARD_ZERO_ONLY } from "../../engine/merge.ts";
import { poolRepeats } from "../../capacity/repeat.ts";
import { shardOrder } from "../../engine/workers.ts";
import { ConfigError } from "../../util/errors.ts";
import { emptyRecord } from "../../measure/record.ts";
import type { LoadSpec, RunResult, SuiteResult, TestResult } from "../../measure/result.ts";
import { RecordAggregator } from "../../measure/aggregate.ts";
import type { Suite } from "../../suites/suite.ts";

function test(name: string, n: number, load: LoadSpec, extra = {}): TestResult {
  const agg = new RecordAggregator();
  for (let i = 0; i < n; i++) {
    const r = emptyRecord(10 + i);
    r.tEnd = r.tSend + 0.1;
    r.e2e = 0.1;
    r.outcome = "ok";
    r.outputTokens = 4;
    agg.add(r);
  }
  return {
    suite: "throughput",
    name,
    payload: "small",
    streaming: false,
    model: "m",
    model_substituted_for: null,
    max_tokens: 4,
    load,
    metrics: agg.metrics(),
    interrupted: false,
    notes: [],
    extra,
  };
}

function suite(name: SuiteResult["suite"], tests: TestResult[], skipped: string | null = null) {
  return {
    suite: name,
    tests,
    started_at: "2026-01-01T00:00:00.000Z",
    finished_at: "2026-01-01T00:01:00.000Z",
    skipped,
    error: null,
    interrupted: false,
  };
}

function run(shard: { index: number; count: number } | null, suites: SuiteResult[]): RunResult {
  return {
    tool_version: "0.1.0",
    run_id: crypto.randomUUID(),
    started_at: "2026-01-01T00:00:00.000Z",
    finished_at: "2026-01-01T00:01:00.000Z",
    mode: "quick",
    plan: { load: { shard } },
    server: {
      base_url: "http://x",
      embedded: false,
      pid: null,
      models: [],
      server_header: null,
      health_status: 200,
    },
    host: { hostname: `h${shard?.index}`, os: "linux", arch: "x86_64", cpus: 2, deno: "2.9.6" },
    suites,
    interrupted: false,
  };
}

const closed = (requests: number, concurrency: number): LoadSpec => ({
  kind: "closed",
  requests,
  concurrency,
  warmup: 3,
});

Deno.test("merging shards adds up loads, counts and additive extras, test by test", () => {
  const shards = [0, 1, 2].map((i) =>
    run({ index: i, count: 3 }, [
      suite(
        i === 0 ? "kv-cache" : "kv-cache",
        i === 0 ? [test("cache", 15, closed(15, 1))] : [],
        i === 0 ? null : SHARD_ZERO_ONLY,
      ),
      suite("throughput", [
        test("a", [7, 7, 6][i], closed([7, 7, 6][i], [2, 2, 1][i]), {
          offered_rate: 1,
          test_kind: `shard ${i}`,
        }),
      ]),
    ])
  );
  const m = mergeRuns(shards);
  // Suites come back in their usual order whatever order shards ran them in.
  assert.deepEqual(m.suites.map((s) => s.suite), ["throughput", "kv-cache"]);
  const t = m.suites[0].tests[0];
  assert.equal(t.metrics.total_requests, 20);
  assert.deepEqual(t.load, { kind: "closed", requests: 20, concurrency: 5, warmup: 9 });
  assert.equal(t.extra.offered_rate, 3);
  assert.equal((t.extra as { test_kind?: string }).test_kind, "shard 0"); // not additive
  assert.ok(t.notes.includes("merged from 3 shards"));
  // A non-shardable suite is taken whole from shard 0.
  assert.equal(m.suites[1].skipped, null);
  assert.equal(m.suites[1].tests[0].metrics.total_requests, 15);
  assert.equal((m.plan!.load as { shard: unknown }).shard, null);
  assert.equal(m.merged!.shards, 3);
  assert.deepEqual(m.merged!.hosts, ["h0", "h1", "h2"]);
});

Deno.test("an incomplete, duplicated or mixed shard set is refused", () => {
  const s = (i: number, n: number) => run({ index: i, count: n }, []);
  assert.throws(
    () => checkShards([s(0, 3), s(1, 3)]),
    (e: unknown) => e instanceof ConfigError && /missing 2\/3/.test(e.message),
  );
  assert.throws(() => checkShards([s(0, 2), s(0, 2)]), /given twice/);
  assert.throws(() => checkShards([s(0, 2), s(1, 3)]), /different splits/);
  assert.throws(() => checkShards([s(0, 2), run(null, [])]), /sharded and unsharded/);
  checkShards([s(1, 2), s(0, 2)]);
  checkShards([run(null, []), run(null, [])]);
});

Deno.test("shards run shardable suites first, the others last on shard 0", () => {
  const suite = (name: string, shardable: boolean): Suite => ({
    name,
    title: name,
    tests: () => [],
    shardable,
  });
  const of = (alone: string) => (n: string) => suite(n, n !== alone);
  assert.deepEqual(
    shardOrder(["throughput", "concurrent"], { index: 0, count: 2 }, of("throughput")),
    [
      "concurrent",
      "throughput",
    ],
  );
  assert.deepEqual(shardOrder(["throughput", "concurrent"], null, of("throughput")), [
    "throughput",
    "concurrent",
  ]);
});

Deno.test("shards of a repeated test merge repeat by repeat", () => {
  const load: LoadSpec = { kind: "closed", requests: 4, concurrency: 2, warmup: 0 };
  const how = { count: 2, pause_s: 0, seeds: [1, 2], max_cv_pct: 10 };
  // Shard 0 ran 4 then 6 requests per repeat; shard 1 ran 2 then 8.
  const s0 = poolRepeats([test("t", 4, load), test("t", 6, load)], how);
  const s1 = poolRepeats([test("t", 2, load), test("t", 8, load)], how);
  const merged = mergeTests([s0, s1]);
  assert.equal(merged.metrics.total_requests, 20);
  assert.deepEqual(merged.repeat!.runs.map((r) => r.metrics.total_requests), [6, 14]);
  // Shards with different numbers of repeats: the repeats are not kept, and a note says why.
  const short = poolRepeats([test("t", 3, load)], how);
  const odd = mergeTests([s0, short]);
  assert.equal(odd.repeat, undefined);
  assert.ok(odd.notes.some((n) => /repeats not kept/.test(n)));
});
