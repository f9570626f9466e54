/**
 * Workload tests end to end: the command line's workload options against the embedded server,
 * read back from run.json and the reports.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runInProcess, runProgram } from "./_run.ts";
import type { WorkloadStats } from "../../measure/workload_stats.ts";
import { mockServer } from "../_mock.ts";

/** Constant-profile server timing that keeps these runs short. */
const FAST = ["--ttft-ms", "5", "--itl-ms", "1", "--itl-variance", "0"];

interface RunTest {
  name: string;
  metrics: { successful_requests: number; failed_requests: number; total_output_tokens: number };
  notes: string[];
  extra: {
    workload: WorkloadStats;
    schedule_kept?: boolean;
    offered_rate?: number;
    achieved_rate?: number;
    scheduled_requests?: number;
  };
}

/** Run the CLI in-process into a temp folder; returns the workload test and the folder. */
async function run(args: string[], serve = FAST): Promise<{ t: RunTest; dir: string }> {
  const dir = await Deno.makeTempDir();
  const code = await runInProcess([
    "--server-profile",
    "constant",
    "--warmup",
    "1",
    "-o",
    dir,
    ...args,
  ], serve);
  assert.equal(code, 0, `exit ${code} for ${args.join(" ")}`);
  const runJson = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
  assert.deepEqual(runJson.suites.map((s: { suite: string }) => s.suite), ["throughput"]);
  const t = runJson.suites[0].tests[0] as RunTest;
  return { t, dir };
}

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test({
  ...opts,
  name:
    "--isl 512 --osl 64: the server counts 512 prompt tokens, every answer has 64, the report says so",
  fn: async () => {
    const { t, dir } = await run(["--isl", "512", "--osl", "64", "--requests", "12"]);
    const w = t.extra.workload;
    assert.equal(t.metrics.successful_requests, 12);
    assert.equal(w.tokenizer, "words");
    assert.equal(w.input.requested_mean, 512);
    assert.equal(w.input.server_mean, 512);
    assert.equal(w.input.overhead_mean, 0);
    assert.equal(w.output.requested_mean, 64);
    assert.equal(w.output.delivered_mean, 64);
    assert.equal(t.metrics.total_output_tokens, 12 * 64);
    const md = await Deno.readTextFile(join(dir, "throughput_results.md"));
    assert.match(md, /Input tokens: requested 512 → built mean 512\.0/);
    assert.match(md, /template overhead 0\.0/);
    assert.match(md, /delivered mean 64\.0/);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  ...opts,
  name: "normal ISL/OSL: the report shows the requested mean and spread",
  fn: async () => {
    const { t, dir } = await run([
      "--isl",
      "normal:300,60",
      "--osl",
      "normal:40,8",
      "--requests",
      "60",
      "--concurrency",
      "12",
    ]);
    const w = t.extra.workload;
    assert.equal(w.isl, "normal:300,60");
    assert.ok(Math.abs(w.input.requested_mean! - 300) < 25, `isl mean ${w.input.requested_mean}`);
    assert.ok(Math.abs(w.input.requested_stddev! - 60) < 20, `isl sd ${w.input.requested_stddev}`);
    assert.equal(w.input.server_mean, w.input.requested_mean, "exact in the server's tokenizer");
    assert.ok(Math.abs(w.output.requested_mean! - 40) < 4);
    assert.equal(w.output.delivered_mean, w.output.requested_mean);
    assert.equal(w.output.short, 0);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  ...opts,
  name: "a ShareGPT file, a JSONL file and the built-in corpus each drive a run",
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    try {
      const share = join(tmp, "share.json");
      await Deno.writeTextFile(
        share,
        JSON.stringify(Array.from({ length: 8 }, (_, i) => ({
          id: String(i),
          conversations: [
            { from: "human", value: `Question number ${i}: explain pools and queues please.` },
            { from: "gpt", value: "Short answer ".repeat(i + 2).trim() },
          ],
        }))),
      );
      const jsonl = join(tmp, "d.jsonl");
      await Deno.writeTextFile(
        jsonl,
        Array.from(
          { length: 5 },
          (_, i) => JSON.stringify({ prompt: `tell me ${i} things`, output_len: 7 }),
        )
          .join("\n"),
      );
      const a = await run(["--dataset", share, "--requests", "8"]);
      assert.equal(a.t.extra.workload.dataset?.format, "sharegpt");
      assert.equal(a.t.extra.workload.dataset?.used, 8);
      assert.equal(a.t.metrics.successful_requests, 8);
      // Output lengths come from the dataset's replies: 2..9 words of "Short answer".
      assert.ok(a.t.extra.workload.output.requested_mean! > 4);
      const b = await run(["--dataset", jsonl, "--requests", "10"]);
      assert.equal(b.t.extra.workload.dataset?.reused, true);
      assert.equal(b.t.extra.workload.output.delivered_mean, 7);
      assert.ok(b.t.notes.some((n) => /reused/.test(n)));
      const c = await run(["--dataset", "builtin", "--requests", "10", "--max-isl", "300"]);
      assert.equal(c.t.extra.workload.dataset?.format, "builtin");
      assert.ok(c.t.extra.workload.input.requested_max! <= 300);
      for (const r of [a, b, c]) await Deno.remove(r.dir, { recursive: true });
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  ...opts,
  name: "a malformed dataset or trace exits 2 with file, line and reason before any request",
  fn: async () => {
    let generate = 0;
    const mock = mockServer((req) => {
      const path = new URL(req.url).pathname;
      if (path === "/v1/models") return Response.json({ object: "list", data: [{ id: "m" }] });
      if (path !== "/health") generate++;
      return Response.json({ status: "ok" });
    });
    const tmp = await Deno.makeTempDir();
    try {
      const bad = join(tmp, "bad.jsonl");
      await Deno.writeTextFile(bad, `{"prompt": "ok"}\n{"prompt": 3}\n`);
      const r = await runProgram(["--url", mock.url, "--dataset", bad, "-o", join(tmp, "o")]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /bad\.jsonl/);
      assert.match(r.stderr, /line 2: needs a "prompt"/);
      const trace = join(tmp, "t.jsonl");
      await Deno.writeTextFile(trace, `{"timestamp": 0, "input_length": 5}\n`);
      const r2 = await runProgram(["--url", mock.url, "--trace", trace, "-o", join(tmp, "o2")]);
      assert.equal(r2.code, 2, r2.stderr);
      assert.match(r2.stderr, /t\.jsonl: not a usable trace:\n\s+line 1: output_length/);
      assert.equal(generate, 0, "no request was sent");
    } finally {
      await mock.close();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  ...opts,
  name: "4-turn sessions: per-turn TTFT, and the prefix cache serves more of each later turn",
  fn: async () => {
    const { t, dir } = await run(
      ["--turns", "4", "--isl", "64", "--osl", "16", "--requests", "6", "--concurrency", "3"],
      // Prefill costs time, so cached tokens shorten TTFT.
      [...FAST, "--prefill-ms-per-token", "0.05"],
    );
    const w = t.extra.workload;
    assert.equal(w.kind, "sessions");
    assert.equal(t.metrics.successful_requests, 24);
    assert.equal(w.sessions?.completed, 6);
    const turns = w.per_turn!;
    assert.equal(turns.length, 4);
    for (let k = 1; k < 4; k++) {
      assert.ok(
        turns[k].cached_tokens_mean! > turns[k - 1].cached_tokens_mean!,
        `cached tokens rise: ${turns.map((x) => x.cached_tokens_mean).join(", ")}`,
      );
      assert.ok(turns[k].input_tokens_mean! > turns[k - 1].input_tokens_mean!);
    }
    // The history the client built (its own answers included) is what the server counted.
    assert.equal(w.input.overhead_mean, 0);
    const md = await Deno.readTextFile(join(dir, "throughput_results.md"));
    assert.match(md, /\| Turn \| Requests \| TTFT p50/);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  ...opts,
  name:
    "a Mooncake trace replays on schedule at speed 1 and 4, its shared blocks hitting the cache",
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    try {
      const trace = join(tmp, "trace.jsonl");
      // 12 requests over 1.1 s; all share block 7, pairs share a second block.
      await Deno.writeTextFile(
        trace,
        Array.from({ length: 12 }, (_, i) =>
          JSON.stringify({
            timestamp: 5000 + i * 100,
            input_length: 900,
            output_length: 8,
            hash_ids: [7, 100 + (i >> 1)],
          })).join("\n"),
      );
      for (const speed of [1, 4]) {
        const { t, dir } = await run(["--trace", trace, "--trace-speed", String(speed)]);
        const w = t.extra.workload;
        assert.equal(w.kind, "trace");
        assert.equal(w.trace?.requests, 12);
        assert.equal(w.trace?.blocks, 7);
        assert.ok(Math.abs(w.trace!.duration_s - 1.1 / speed) < 1e-9);
        assert.equal(t.metrics.successful_requests, 12);
        assert.equal(w.input.server_mean, 900);
        // The schedule is the trace's: 12 arrivals over 1.1 s / speed. Whether a busy machine
        // kept it is reported (the exact send times are tested on the fake clock in
        // tests/load/sessions_test.ts); no send may come before its time.
        const e = t.extra as Required<RunTest["extra"]>;
        assert.equal(e.scheduled_requests, 12);
        assert.ok(
          Math.abs(e.offered_rate - (11 / 1.1) * speed) < 1e-9,
          `offered ${e.offered_rate}`,
        );
        assert.ok(e.achieved_rate <= e.offered_rate * 1.05, `achieved ${e.achieved_rate}`);
        assert.equal(typeof t.extra.schedule_kept, "boolean");
        // Block 7 opens every prompt: after the first request it comes from the cache.
        assert.ok(w.input.cached_mean! >= 512 * 10 / 12, `cached mean ${w.input.cached_mean}`);
        await Deno.remove(dir, { recursive: true });
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

for (const endpoint of ["completions", "embeddings", "responses"]) {
  Deno.test({
    ...opts,
    name: `--endpoint ${endpoint} runs end to end against the embedded server`,
    fn: async () => {
      const extra = endpoint === "embeddings" ? ["--batch", "4"] : ["--osl", "12"];
      const { t, dir } = await run([
        "--endpoint",
        endpoint,
        "--isl",
        "40",
        "--requests",
        "10",
        ...extra,
      ]);
      const w = t.extra.workload;
      assert.equal(w.endpoint, endpoint);
      assert.equal(t.metrics.successful_requests, 10);
      if (endpoint === "embeddings") {
        assert.equal(w.input.server_mean, 160, "four inputs of 40 tokens");
        assert.ok(w.embeddings!.inputs_per_second > 0);
      } else {
        assert.equal(w.output.delivered_mean, 12);
        assert.equal(w.input.server_mean, 40);
        assert.ok(w.ttfo !== null, "streamed");
      }
      await Deno.remove(dir, { recursive: true });
    },
  });
}

Deno.test({
  ...opts,
  name:
    "two workload tests of one run send different prompts: neither finds the other's in the cache",
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    try {
      const file = join(tmp, "s.yaml");
      await Deno.writeTextFile(
        file,
        `replace: true
tests:
  - suite: throughput
    name: "Same shape {concurrency}"
    workload: { isl: 256, osl: 4 }
    load: { concurrency: [2, 4], requests: 8, warmup: 0 }
`,
      );
      const out = join(tmp, "o");
      const code = await runInProcess(
        ["--config", file, "--server-profile", "constant", "-o", out],
        FAST,
      );
      assert.equal(code, 0);
      const runJson = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
      const tests = runJson.suites[0].tests as RunTest[];
      assert.equal(tests.length, 2);
      for (const t of tests) {
        assert.equal(t.extra.workload.input.server_mean, 256);
        assert.equal(t.extra.workload.input.cached_mean ?? 0, 0, `${t.name} hit the cache`);
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  ...opts,
  name: "the console shows a workload test's requested and delivered lengths",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const r = await runProgram([
        "--isl",
        "64",
        "--osl",
        "8",
        "--requests",
        "4",
        "--server-profile",
        "constant",
        "-o",
        dir,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Workload: chat isl=64 osl=8, 8 concurrent/);
      assert.match(r.stdout, /Input tokens \(built \/ server\)\s*│ 64\.0 \/ 64\.0/);
      assert.match(r.stdout, /Output tokens \(asked \/ got\)\s*│ 8\.0 \/ 8\.0/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
