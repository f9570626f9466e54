/**
 * The benchmark against the engine profile: latency that grows with concurrency, and an open
 * loop at twice the model's predicted saturation that queues, seen in the server's own series
 * and in latency from the intended send time. The server runs as a child process.
 */
import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { join } from "node:path";
import { runProgram, SMALL_ENGINE, spawnServe } from "./_run.ts";

const PROMPT = "Explain what a connection pool is.";
const OSL = 32;

interface Summary {
  p50: number;
  p99: number;
  count: number;
}
interface TestJson {
  test_name: string;
  latency: Summary;
  ttft: Summary | null;
  latency_corrected: Summary | null;
  server_metrics: { engine: string; waiting: (number | null)[]; running: (number | null)[] };
}

openTest(
  "engine profile: p99 latency and TTFT rise with concurrency; 2× saturation queues",
  async () => {
    const server = await spawnServe([...SMALL_ENGINE]);
    const dir = await Deno.makeTempDir();
    try {
      // The prompt's length as the server counts it, for the model's prediction.
      const probe = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "openai/gpt-oss-120b",
          messages: [{ role: "user", content: PROMPT }],
          max_tokens: 1,
        }),
      });
      const isl = (await probe.json()).usage.prompt_tokens;
      const prediction = await (await fetch(
        `${server.url}/engine/prediction?isl=${isl}&osl=${OSL}`,
      )).json();
      const rate = 2 * prediction.requests_per_second;
      const scenario = join(dir, "engine.json");
      const payload = {
        model: "openai/gpt-oss-120b",
        prompt: PROMPT,
        max_tokens: OSL,
        stream: true,
      };
      await Deno.writeTextFile(
        scenario,
        JSON.stringify({
          version: 1,
          replace: true,
          tests: [
            {
              suite: "concurrent",
              name: "Batch {concurrency}",
              payload,
              load: { concurrency: [1, 8, 32], requests: [8, 32, 96], warmup: 0 },
            },
            {
              suite: "concurrent",
              name: "Twice saturation",
              payload,
              load: { rate, duration_s: 3, max_in_flight: 16, warmup: 0 },
            },
          ],
        }),
      );
      const out = join(dir, "out");
      const r = await runProgram(["--url", server.url, "--config", scenario, "-q", "-o", out]);
      assert.equal(r.code, 0, r.stderr);
      const tests: TestJson[] = JSON.parse(
        await Deno.readTextFile(join(out, "concurrent_results.json")),
      );
      const [c1, c8, c32, open] = tests;
      assert.deepEqual(tests.map((t) => t.test_name), [
        "Batch 1",
        "Batch 8",
        "Batch 32",
        "Twice saturation",
      ]);
      // Batch 1 → 8: TPOT 2.5 → 6 ms; 8 → 32: requests queue for a slot.
      assert.ok(c1.latency.p99 < c8.latency.p99 && c8.latency.p99 < c32.latency.p99);
      assert.ok(c1.ttft!.p99 < c32.ttft!.p99 && c8.ttft!.p99 < c32.ttft!.p99);
      assert.ok(c32.ttft!.p50 > 5 * c8.ttft!.p50, `TTFT p50 ${c8.ttft!.p50} → ${c32.ttft!.p50}`);
      // The server's own gauges: a full batch and a queue at 32 in flight.
      assert.equal(c32.server_metrics.engine, "vllm");
      assert.ok(Math.max(...c32.server_metrics.running.map((v) => v ?? 0)) === 8);
      assert.ok(Math.max(...c32.server_metrics.waiting.map((v) => v ?? 0)) > 0);
      // Twice the predicted saturation: the server queues, and the schedule falls behind, so
      // latency from the intended send time is far above latency from the actual send.
      assert.ok(Math.max(...open.server_metrics.waiting.map((v) => v ?? 0)) > 0);
      assert.ok(
        open.latency_corrected!.p99 > 2 * open.latency.p99,
        `corrected p99 ${open.latency_corrected!.p99} vs ${open.latency.p99}`,
      );
      const md = await Deno.readTextFile(join(out, "concurrent_results.md"));
      assert.match(md, /\*\*Server metrics \(vLLM, sampled every second/);
      const summary = await Deno.readTextFile(join(out, "BENCHMARK_SUMMARY.md"));
      assert.match(summary, /\*\*Server Metrics:\*\* vllm metrics from http:\/\/127\.0\.0\.1/);
      const charts = [...Deno.readDirSync(join(out, "charts"))].map((e) => e.name);
      assert.ok(charts.some((c) => c.startsWith("server-")), charts.join(", "));
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

openTest(
  "a server without engine metrics: the run says so and tests carry no server series",
  async () => {
    const server = await spawnServe(["--ttft-ms", "1", "--itl-ms", "1"]);
    const dir = await Deno.makeTempDir();
    try {
      const r = await runProgram([
        "--url",
        server.url,
        "--quick",
        "--suite",
        "throughput",
        "-o",
        dir,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /server metrics: no vLLM, SGLang, TGI, llama.cpp or NIM metrics at http/,
      );
      const tests: TestJson[] = JSON.parse(
        await Deno.readTextFile(join(dir, "throughput_results.json")),
      );
      for (const t of tests) assert.equal(t.server_metrics, null);
      const summary = await Deno.readTextFile(join(dir, "BENCHMARK_SUMMARY.md"));
      assert.match(summary, /\*\*Server Metrics:\*\* not offered/);
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
