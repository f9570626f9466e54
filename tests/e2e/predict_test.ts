/**
 * `predict`, as a user runs it: a workload or an inference-perf config played through the
 * engine twin in virtual time, the same report set as a run marked predicted, `stages.json`;
 * and the twin served over HTTP agreeing with it on the same workload.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openTest } from "../_open.ts";
import { runProgram } from "./_run.ts";
import { SchemaSet } from "../_jsonschema.ts";

const schemas = new SchemaSet();

async function json(path: string) {
  return JSON.parse(await Deno.readTextFile(path));
}

openTest(
  "predict: a workload's report set, marked predicted everywhere, nothing sent",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const out = join(dir, "p");
      const r = await runProgram([
        "predict",
        "--isl",
        "256",
        "--osl",
        "32",
        "--concurrency",
        "4",
        "--requests",
        "40",
        "--slo",
        "ttft=100ms",
        "-o",
        out,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Predicted reports written to/);
      for (
        const f of [
          "BENCHMARK_SUMMARY.md",
          "throughput_results.md",
          "throughput_results.json",
          "report.html",
          "run.json",
        ]
      ) {
        await Deno.stat(join(out, f));
      }
      assert.match(
        await Deno.readTextFile(join(out, "BENCHMARK_SUMMARY.md")),
        /\*\*Predicted:\*\* by the engine twin/,
      );
      assert.match(
        await Deno.readTextFile(join(out, "throughput_results.md")),
        /\*\*Predicted:\*\* by the engine twin/,
      );
      assert.match(
        await Deno.readTextFile(join(out, "report.html")),
        /class="banner predicted">Predicted by the engine twin/,
      );
      const run = await json(join(out, "run.json"));
      assert.deepEqual(schemas.validate("run.schema.json", run), []);
      assert.equal(run.predicted.model, "meta-llama/Llama-3.1-8B-Instruct");
      assert.equal(run.server.pid, null, "no server was started");
      const [test] = run.suites[0].tests;
      assert.equal(test.metrics.total_requests, 40);
      assert.equal(test.metrics.successful_requests, 40);
      assert.equal(test.extra.predicted.gpu, "h100-sxm");
      assert.ok(test.metrics.ttft.p50 > 0 && test.metrics.ttft.p50 < 1, `${test.metrics.ttft.p50}`);
      assert.ok(test.extra.slo.requests === 40);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

openTest(
  "predict: an inference-perf config gives stages.json, one object per stage, overload flagged",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const cfg = join(dir, "ip.yaml");
      await Deno.writeTextFile(
        cfg,
        [
          "api: {type: completion, streaming: true}",
          "server: {type: vllm, model_name: meta-llama/Llama-2-7b-hf, ignore_eos: true}",
          "data:",
          "  type: shared_prefix",
          "  shared_prefix: {num_groups: 4, num_prompts_per_group: 5, system_prompt_len: 100, question_len: 400, output_len: 200}",
          "load:",
          "  type: constant",
          "  stages: [{rate: 4, duration: 60}, {rate: 60, duration: 60}]",
        ].join("\n"),
      );
      const out = join(dir, "p");
      const r = await runProgram([
        "predict",
        "--inference-perf",
        cfg,
        "--model-config",
        "llama-2-7b-hf",
        "--max-num-seqs",
        "128",
        "--max-num-batched-tokens",
        "2048",
        "--max-model-len",
        "4096",
        "-o",
        out,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const stages = await json(join(out, "stages.json"));
      assert.deepEqual(schemas.validate("stages.schema.json", stages), []);
      assert.equal(stages.length, 2);
      assert.deepEqual(stages.map((s: { requests: number }) => s.requests), [240, 3600]);
      assert.equal(stages[0].overloaded, false);
      assert.equal(
        stages[1].overloaded,
        true,
        "60 req/s of 500-token prompts is beyond one H100 with a 7B",
      );
      assert.ok(stages[0].e2e.mean > stages[0].ttft.mean);
      assert.ok(stages[0].decode_per_token.p50 > 0.003 && stages[0].decode_per_token.p50 < 0.03);
      const run = await json(join(out, "run.json"));
      assert.equal(run.suites[0].tests.length, 2);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

openTest("predict: what the twin cannot predict is refused before anything runs", async () => {
  const builtIn = await runProgram(["predict", "--quick"]);
  assert.equal(builtIn.code, 2);
  assert.match(builtIn.stderr, /predict needs a workload/);
  const url = await runProgram(["predict", "--url", "http://127.0.0.1:9", "--isl", "10"]);
  assert.equal(url.code, 2);
  assert.match(url.stderr, /--url/);
  const gpu = await runProgram(["predict", "--isl", "10", "--gpu", "tpu"]);
  assert.equal(gpu.code, 2);
  assert.match(gpu.stderr, /--gpu: unknown GPU/);
});

openTest(
  "predict and the twin served over HTTP agree within 5% on the same open-loop workload",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const args = [
        "--isl",
        "1500",
        "--osl",
        "64",
        "--rate",
        "4",
        "--duration",
        "12",
        "--seed",
        "5",
      ];
      const served = await runProgram([
        ...args,
        "--warmup",
        "0",
        "--no-server-metrics",
        "-q",
        "-o",
        join(dir, "run"),
      ]);
      assert.equal(served.code, 0, served.stderr);
      const predicted = await runProgram(["predict", ...args, "-q", "-o", join(dir, "predict")]);
      assert.equal(predicted.code, 0, predicted.stderr);
      const a = (await json(join(dir, "run", "run.json"))).suites[0].tests[0].metrics;
      const b = (await json(join(dir, "predict", "run.json"))).suites[0].tests[0].metrics;
      const within = (x: number, y: number) => Math.abs(x - y) / x < 0.05;
      assert.ok(
        within(a.ttft.mean, b.ttft.mean),
        `TTFT mean: served ${a.ttft.mean}, predicted ${b.ttft.mean}`,
      );
      assert.ok(
        within(a.latency.mean, b.latency.mean),
        `E2E mean: served ${a.latency.mean}, predicted ${b.latency.mean}`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
