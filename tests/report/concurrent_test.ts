import assert from "node:assert/strict";
import { suiteJson, suiteMarkdown } from "./_render.ts";
import { emptyRecord, type Outcome } from "../../measure/record.ts";
import type { LoadSpec, SuiteResult, TestResult } from "../../measure/result.ts";
import { RecordAggregator } from "../../measure/aggregate.ts";
import { concurrentSummary } from "../../suites/concurrent/report.ts";
import { withConcurrentFields } from "../../suites/concurrent/tests.ts";

/** A result from `n` requests of latency `lat` s, the first `failed` failing with `outcome`. */
function result(
  name: string,
  load: LoadSpec,
  n: number,
  lat: number,
  failed = 0,
  outcome: Outcome = "timeout",
  queue = 0,
): TestResult {
  const agg = new RecordAggregator();
  for (let i = 0; i < n; i++) {
    const t = i * 0.1;
    const r = emptyRecord(t + queue, load.kind === "open" ? t : null);
    r.tEnd = r.tSend + lat;
    r.e2e = lat;
    r.outputTokens = 50;
    r.inputTokens = 10;
    if (i < failed) {
      r.outcome = outcome;
      r.error = `boom ${i}`;
    }
    agg.add(r);
  }
  const t: TestResult = {
    suite: "concurrent",
    name,
    payload: "concurrent",
    streaming: false,
    model: "meta-llama/Llama-3.1-8B-Instruct",
    model_substituted_for: null,
    max_tokens: 50,
    load,
    metrics: agg.metrics(),
    interrupted: false,
    notes: [],
    extra: {},
  };
  if (load.kind === "open") {
    t.extra.offered_rate = load.rate;
    t.extra.achieved_rate = 9.5;
    t.extra.schedule_kept = queue * 1000 <= 10;
  }
  return withConcurrentFields(t, load.kind === "open" ? "sustained" : "burst");
}

const closed = (c: number, n: number): LoadSpec => ({
  kind: "closed",
  requests: n,
  concurrency: c,
  warmup: 0,
});

function suite(): SuiteResult {
  return {
    suite: "concurrent",
    tests: [
      result("10 Concurrent Connections", closed(10, 100), 100, 0.1),
      result("50 Concurrent Connections", closed(50, 200), 200, 0.2, 20, "http_5xx"),
      result(
        "Sustained Load 10 RPS for 30s",
        {
          kind: "open",
          rate: 10,
          duration_s: 30,
          requests: null,
          arrival: "constant",
          max_in_flight: null,
          warmup: 0,
        },
        300,
        0.1,
        3,
        "timeout",
        0.5,
      ),
    ],
    started_at: "",
    finished_at: "",
    skipped: null,
    error: null,
    interrupted: false,
  };
}

Deno.test("concurrent_results.md keeps the original sections and summary columns", () => {
  const md = suiteMarkdown(suite());
  const order = [
    "# Concurrent Connections Benchmark Results",
    "## Summary",
    "| Test ",
    "## Detailed Results",
    "### 10 Concurrent Connections",
    "## Performance Analysis",
    "### Concurrency Bursts (closed loop)",
    "### Sustained Load (open loop)",
  ].map((s) => md.indexOf(s));
  assert.ok(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1])), String(order));
  const header = md.split("\n").find((l) => l.startsWith("| Test"))!;
  assert.deepEqual(
    header.split("|").map((c) => c.trim()).filter(Boolean).slice(0, 8),
    ["Test", "Requests", "Concurrent", "Success Rate", "RPS", "P50", "P90", "P99"],
  );
  assert.match(md, /\| 50 Concurrent Connections +\| 200 +\| 50 +\| 90\.0% .*\| http_5xx 20 /);
  assert.match(md, /- \*\*Success Rate:\*\* 90\.00%/);
  assert.match(md, /- P95: /);
  assert.match(md, /- \*\*Error Classes:\*\* http_5xx 20/);
  assert.match(md, /\*\*Sample Errors:\*\*\n(- http_5xx: boom \d+\n){10}\n/, "up to 10 samples");
});

Deno.test("Performance Analysis compares bursts with bursts; the open loop stands apart", () => {
  const md = suiteMarkdown(suite());
  const bursts = md.slice(
    md.indexOf("### Concurrency Bursts"),
    md.indexOf("### Sustained Load (open loop)"),
  );
  // The original picked the sustained test (recorded as 1 connection) as the first
  // degradation whenever it had an error.
  assert.match(bursts, /\*\*First Performance Degradation:\*\*\n- Test: 50 Concurrent Connections/);
  assert.match(
    bursts,
    /\*\*Best Performance \(no errors\):\*\*\n- Test: 10 Concurrent Connections/,
  );
  assert.ok(!bursts.includes("Sustained"), "no open-loop test among bursts");
  const open = md.slice(md.indexOf("### Sustained Load (open loop)"));
  assert.match(
    open,
    /\| Offered +\| Achieved +\| Schedule Kept +\| P50 .*Corrected P99 .*Queue Delay P99/,
  );
  // Latency from the send is 100 ms; from the intended time, 600 ms; queue delay 500 ms.
  assert.match(
    open,
    /\| 10\.00\/s +\| 9\.50\/s +\| \*\*No\*\* +\| 100\.00ms +\| 100\.00ms +\| 600\.00ms +\| 600\.00ms +\| 500\.00ms/,
  );
  assert.match(md, /> \*\*Schedule not kept\*\* in Sustained Load 10 RPS for 30s/);
});

Deno.test("concurrent_results.json has the original fields plus the new ones", () => {
  const [burst, , open] = suiteJson(suite());
  for (
    const k of [
      "test_name",
      "total_requests",
      "concurrent_connections",
      "successful_requests",
      "failed_requests",
      "total_time",
      "requests_per_second",
      "avg_latency",
      "min_latency",
      "max_latency",
      "p50_latency",
      "p90_latency",
      "p95_latency",
      "p99_latency",
      "total_tokens",
      "tokens_per_second",
      "latencies",
      "error_messages",
      "schema_version",
      "outcomes",
      "success_rate",
    ]
  ) assert.ok(k in burst, k);
  assert.equal(burst.concurrent_connections, 10);
  assert.ok(Math.abs((burst.avg_latency as number) - 0.1) < 1e-9); // seconds
  assert.equal(open.concurrent_connections, null);
  assert.equal(open.schedule_kept, false);
  assert.equal(open.offered_rate, 10);
  assert.equal(open.achieved_rate, 9.5);
  assert.deepEqual(open.error_classes, { timeout: 3 });
  assert.ok(Math.abs((open.latency_corrected as { p99: number }).p99 - 0.6) < 1e-9);
  assert.equal((open.latencies as number[]).length, 297, "failures never enter latencies");
});

Deno.test("the summary section names the best error-free burst and the open-loop verdict", () => {
  const s = concurrentSummary(suite());
  assert.match(s, /\*\*Best RPS \(no errors\):\*\* [\d.]+ @ 10 concurrent/);
  assert.match(s, /\*\*Max Concurrent Tested:\*\* 50/);
  assert.match(s, /\*\*First Errors:\*\* 50 concurrent/);
  assert.match(s, /offered 10\.00\/s, achieved 9\.50\/s, schedule kept: \*\*No\*\*/);
});
