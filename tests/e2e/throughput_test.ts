import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { join } from "node:path";
import { runInProcess, runProgram } from "./_run.ts";

openTest(
  "quick throughput suite against the embedded server measures its TTFT and TPOT",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const code = await runInProcess(
        ["--server-profile", "constant", "--quick", "--suite", "throughput", "--output-dir", dir],
        ["--ttft-ms", "50", "--itl-ms", "10", "--prefill-ms-per-token", "0"],
      );
      assert.equal(code, 0);
      for (
        const f of [
          "throughput_results.md",
          "throughput_results.json",
          "BENCHMARK_SUMMARY.md",
          "run.json",
        ]
      ) {
        assert.ok((await Deno.stat(join(dir, f))).isFile, f);
      }
      const tests = JSON.parse(await Deno.readTextFile(join(dir, "throughput_results.json")));
      assert.equal(tests.length, 2);
      const stream = tests.find((t: { streaming: boolean }) => t.streaming);
      const plain = tests.find((t: { streaming: boolean }) => !t.streaming);
      assert.equal(stream.successful_requests, 20);
      assert.equal(plain.successful_requests, 20);
      // The server waits 50 ms ±10% before the first token: TTFT taken at the role chunk
      // would read ~0 ms, TTFT including the whole stream ~540 ms.
      const ttft = stream.ttft.p50 * 1000;
      assert.ok(ttft > 44 && ttft < 75, `TTFT p50 ${ttft} ms`);
      const tpot = stream.tpot.p50 * 1000;
      assert.ok(tpot > 9 && tpot < 12, `TPOT p50 ${tpot} ms`);
      const itl = stream.itl.p50 * 1000;
      assert.ok(itl > 8 && itl < 13, `ITL p50 ${itl} ms`);
      // Output is exactly max_tokens and counted from server usage.
      assert.equal(stream.total_output_tokens, 20 * 50);
      assert.equal(stream.output_tokens_estimated, false);
      // Non-streaming takes the same simulated time: ~50 + 49×10 ms.
      const e2e = plain.p50_latency * 1000;
      assert.ok(e2e > 480 && e2e < 650, `non-streaming p50 ${e2e} ms`);
      assert.ok(plain.p90_latency >= plain.p50_latency, "P90 is not P50");
      const md = await Deno.readTextFile(join(dir, "throughput_results.md"));
      assert.match(md, /\| Test .*\| P90 Latency .*\| TTFT P50/);
      const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
      assert.equal(run.server.embedded, true);
      assert.equal(run.mode, "quick");
      // Every test states the client's stamping error, measured on the canary stream.
      for (const t of run.suites[0].tests) {
        const h = t.extra.client_health;
        assert.ok(h.stamp_error_samples >= 20, `${t.name}: ${h.stamp_error_samples} gaps`);
        assert.ok(h.stamp_error_p50_ms >= 0 && h.stamp_error_p99_ms >= h.stamp_error_p50_ms);
      }
      assert.match(md, /stamping error p50 [\d.]+ \/ p99 [\d.]+ ms \(canary, \d+ gaps\)/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("an unreachable --url exits 3 within 5 s with one line naming the URL", async () => {
  const r = await runProgram([
    "--url",
    "http://127.0.0.1:9",
    "--suite",
    "throughput",
    "-o",
    await Deno.makeTempDir(),
  ]);
  assert.equal(r.code, 3);
  assert.ok(r.ms < 5000 + 3000, `took ${r.ms} ms`); // start-up of deno itself included
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /http:\/\/127\.0\.0\.1:9/);
});

Deno.test("an unknown flag exits 2 with a one-line usage hint", async () => {
  const r = await runProgram(["--bogus"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /unknown option --bogus.*--help/);
});

Deno.test("--help and --version exit 0", async () => {
  const h = await runProgram(["--help"]);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /--url URL/);
  const s = await runProgram(["help", "serve"]);
  assert.equal(s.code, 0);
  assert.match(s.stdout, /--ttft-ms/);
  const v = await runProgram(["--version"]);
  assert.match(v.stdout, /^fakeai-bench \d+\.\d+\.\d+/);
});
