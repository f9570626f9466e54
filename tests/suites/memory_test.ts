import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { join } from "node:path";
import { startEmbeddedServer } from "../../engine/target.ts";
import type { SuiteContext } from "../../runner/runner.ts";
import type { RunResult, SuiteResult } from "../../measure/result.ts";
import { memoryProbeOf, prepareMemory, runMemoryTest } from "../../suites/memory/tests.ts";
import {
  CACHE_OVERHEAD_FLOOR_KB,
  DEFAULT_LEAK_THRESHOLD_KB,
  FULL_TESTS,
  LOAD_PAYLOAD,
  QUICK_LEAK_THRESHOLD_KB,
  testThresholdKb,
} from "../../suites/memory/tests.ts";
import { writeRunReports } from "../report/_render.ts";
import { mockServer } from "../_mock.ts";
import { ENTRY, runInProcess } from "../e2e/_run.ts";
import { testContext } from "../e2e/_ctx.ts";

// The leak threshold of these short runs. 300 requests cannot bound a slope below ~1 KB per
// request against the noise of a garbage-collected heap on a busy machine, while 8 KB still
// sits far below the 64 KB leak the first test must catch.
const THRESHOLD_KB = 8;

function context(baseUrl: string, embedded: boolean, serverPid: number | null): SuiteContext {
  return testContext(baseUrl, { target: { embedded, serverPid } });
}

// Short runs: 50 requests/s for 6 s, a sample every 250 ms, 1 s baseline and 2 s drain.
// A cold Deno server grows its heap over its first ~600 requests before it settles, so the
// server is warmed with 800 requests before the baseline (the same in both runs).
const SHORT = {
  thresholdKbPerRequest: THRESHOLD_KB,
  name: "Short Leak Test (50 RPS)",
  payload: LOAD_PAYLOAD,
  rate: 50,
  durationS: 6,
  warmup: 800,
  warmupConcurrency: 8,
  timing: { baselineS: 1, drainS: 2, intervalMs: 250 },
};
const FAST = ["--ttft-ms", "5", "--itl-ms", "1"];

async function shortRun(leakBytes: number) {
  const server = await startEmbeddedServer({
    entry: ENTRY,
    serveArgs: [...FAST, "--leak-bytes-per-request", String(leakBytes)],
  });
  try {
    const ctx = context(server.url, true, server.pid);
    assert.equal(await prepareMemory(ctx), null);
    const probe = memoryProbeOf(ctx)!;
    assert.equal(probe.source.pid, server.pid);
    assert.equal(probe.source.kind, "proc");
    return await runMemoryTest(ctx, probe, SHORT);
  } finally {
    await server.stop();
  }
}

openTest(
  "a server that keeps 64 KB per request is a leak, with an interval around 64 KB",
  async () => {
    const r = await shortRun(65536);
    const e = r.extra as Record<string, number & string>;
    assert.equal(e.verdict, "leak", e.verdict_reason);
    assert.equal(e.memory_kind, "rss_anon_swap");
    assert.ok(e.ci_low_kb_per_request <= e.slope_kb_per_request);
    assert.ok(e.slope_kb_per_request <= e.ci_high_kb_per_request);
    // The interval holds about 64 KB/request: it lies within 56..72 and is narrow.
    assert.ok(
      e.ci_low_kb_per_request > 56 && e.ci_high_kb_per_request < 72,
      `[${e.ci_low_kb_per_request}, ${e.ci_high_kb_per_request}]`,
    );
    assert.equal(r.metrics.successful_requests, 300);
    // The drain keeps what the load added: ≈ 300 × 64 KB = 18.75 MB over the baseline.
    const kept = (e.drain_mb as number) - (e.baseline_mb as number);
    assert.ok(kept > 15 && kept < 25, `kept ${kept} MB`);
  },
);

openTest("the same server without the leak is no leak", async () => {
  const r = await shortRun(0);
  const e = r.extra as Record<string, number & string>;
  assert.equal(e.verdict, "no leak", e.verdict_reason);
  assert.ok(e.ci_high_kb_per_request <= THRESHOLD_KB, `${e.ci_high_kb_per_request}`);
  const snaps = e.snapshots as unknown as { phase: string; t_s: number; requests: number }[];
  // Sampled on the timer, independent of requests: baseline samples have no requests,
  // and the load phase has about 6 s / 250 ms samples.
  assert.ok(snaps.filter((s) => s.phase === "baseline").every((s) => s.requests === 0));
  const load = snaps.filter((s) => s.phase === "load").length;
  assert.ok(load >= 20 && load <= 30, `${load} load samples`);
  assert.ok(snaps.filter((s) => s.phase === "drain").length >= 6);
  for (let i = 1; i < snaps.length; i++) assert.ok(snaps[i].t_s >= snaps[i - 1].t_s);
});

openTest(
  "a server started separately on this host is found from its port; reports name it",
  async () => {
    const root = new URL("../../", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", "serve", "--port", "0", ...FAST],
      cwd: root,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const dir = await Deno.makeTempDir();
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!/Listening on (\S+)/.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`server did not start: ${text}`);
        text += value;
      }
      reader.releaseLock();
      child.stdout.cancel().catch(() => {});
      const url = text.match(/Listening on (http:\/\/[^\s/]+)/)![1];
      const ctx = context(url, false, null);
      assert.equal(await prepareMemory(ctx), null);
      const probe = memoryProbeOf(ctx)!;
      assert.equal(probe.source.pid, child.pid);
      assert.match(probe.source.how, /listening on port \d+/);
      assert.match(probe.source.command ?? "", /main\.ts serve --port 0/);
      const result = await runMemoryTest(ctx, probe, {
        ...SHORT,
        name: "Port Test",
        rate: 20,
        durationS: 1.5,
        warmup: 0,
        timing: { baselineS: 0.5, drainS: 0.5, intervalMs: 250 },
      });
      const now = new Date().toISOString();
      const suite: SuiteResult = {
        suite: "memory",
        tests: [result],
        started_at: now,
        finished_at: now,
        skipped: null,
        error: null,
        interrupted: false,
      };
      const run = {
        tool_version: "test",
        run_id: "x",
        started_at: now,
        finished_at: now,
        mode: "quick",
        plan: {},
        server: {
          base_url: url,
          embedded: false,
          pid: null,
          models: [],
          server_header: null,
          health_status: 200,
        },
        host: { hostname: "h", os: "linux", arch: "x86_64", cpus: 2, deno: "2" },
        suites: [suite],
        interrupted: false,
      } satisfies RunResult;
      await writeRunReports(run, dir);
      const md = await Deno.readTextFile(join(dir, "memory_results.md"));
      assert.match(md, new RegExp(`PID ${child.pid} \\(\`[^\`]*main\\.ts serve --port 0`));
      assert.match(md, /\| Test +\| Requests +\| Initial +\| Final +\| Growth +\| Leak\? +\| Rate/);
      assert.match(md, /\*\*Memory Timeline:\*\*/);
      assert.match(md, /## Overall Assessment/);
      const json = JSON.parse(await Deno.readTextFile(join(dir, "memory_results.json")));
      const t = json[0];
      for (
        const k of [
          "test_name",
          "duration",
          "total_requests",
          "initial_memory_mb",
          "final_memory_mb",
          "peak_memory_mb",
          "memory_growth_mb",
          "memory_growth_percent",
          "avg_memory_per_request_kb",
          "leak_detected",
          "leak_rate_mb_per_min",
          "snapshots",
          "memory_source",
          "memory_kind",
          "verdict",
          "slope_kb_per_request",
          "ci_low_kb_per_request",
          "ci_high_kb_per_request",
          "intercept_mb",
          "slope_mb_per_min",
          "baseline_mb",
          "drain_mb",
          "peak_mb",
          "threshold_kb_per_request",
          "schema_version",
        ]
      ) assert.ok(k in t, k);
      assert.equal(t.memory_source.pid, child.pid);
      assert.equal(t.snapshots[0].timestamp, t.snapshots[0].t_s);
      const summary = await Deno.readTextFile(join(dir, "BENCHMARK_SUMMARY.md"));
      assert.match(summary, /Memory Leaks Detected:\*\* (Yes|No)/);
    } finally {
      Deno.kill(child.pid, "SIGTERM");
      await child.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
);

openTest(
  "with no memory source the suite is skipped with its reason, and exits 5 when asked for",
  async () => {
    // A server inside this very process: found from its port, and refused as the client.
    const mock = mockServer((req) => {
      const path = new URL(req.url).pathname;
      if (path === "/health") return Response.json({ status: "ok" });
      return Response.json({ object: "list", data: [{ id: "m", object: "model" }] });
    });
    const dir = await Deno.makeTempDir();
    try {
      const code = await runInProcess(["--url", mock.url, "--suite", "memory", "-o", dir]);
      assert.equal(code, 5);
      const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
      const mem = run.suites.find((s: { suite: string }) => s.suite === "memory");
      assert.match(mem.skipped, /own process.*--server-pid.*--metrics-url/);
      assert.deepEqual(mem.tests, []);
      const summary = await Deno.readTextFile(join(dir, "BENCHMARK_SUMMARY.md"));
      assert.match(summary, /Skipped: no way to read the server's memory/);
      await assert.rejects(() => Deno.stat(join(dir, "memory_results.json")));
    } finally {
      await mock.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("memory: a test is judged at its threshold, never below what its requests resolve", () => {
  const kv = FULL_TESTS.find((t) => t.name === "KV Cache Memory Overhead")!;
  assert.equal(testThresholdKb(kv, false), CACHE_OVERHEAD_FLOOR_KB, "the 30-request test");
  assert.equal(
    testThresholdKb({ ...kv, thresholdKbPerRequest: 200 }, false),
    200,
    "a larger --leak-threshold-kb still applies",
  );
  const low = FULL_TESTS.find((t) => t.name === "Low Load (5 RPS)")!;
  assert.equal(testThresholdKb(low, false), DEFAULT_LEAK_THRESHOLD_KB);
  assert.equal(testThresholdKb(low, true), QUICK_LEAK_THRESHOLD_KB);
  assert.equal(testThresholdKb({ ...low, thresholdKbPerRequest: 2 }, false), 2);
});
