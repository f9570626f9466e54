/**
 * Runs on each endpoint kind against the embedded server, through the program as a user runs
 * it: the figures come from that endpoint's own events and usage, and the outputs pass their
 * schemas.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openTest } from "../_open.ts";
import { runProgram } from "./_run.ts";
import { validateRunFolder } from "../_jsonschema.ts";
import { encodeImage, imagePixels } from "../../workload/images.ts";

async function runJson(args: string[]) {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runProgram([...args, "-o", join(dir, "r")]);
    assert.equal(r.code, 0, r.stderr);
    // Every JSON output of the run passes its published schema.
    const v = await validateRunFolder(join(dir, "r"));
    assert.deepEqual(v.errors, []);
    assert.ok(v.files.includes("run.json"));
    return JSON.parse(await Deno.readTextFile(join(dir, "r", "run.json")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

openTest(
  "--endpoint messages: TTFT, ITL and tokens from the Messages API's events and usage",
  async () => {
    const run = await runJson([
      "--endpoint",
      "messages",
      "--isl",
      "32",
      "--osl",
      "16",
      "--requests",
      "8",
      "--concurrency",
      "2",
    ]);
    const t = run.suites[0].tests[0];
    const m = t.metrics;
    assert.equal(m.outcomes.ok, 8, JSON.stringify(m.outcomes));
    // Tokens from the server's usage (message_delta), not estimated.
    assert.equal(m.total_output_tokens, 8 * 16);
    assert.equal(m.output_tokens_estimated, false);
    assert.equal(m.total_input_tokens, 8 * 32);
    assert.ok(m.ttft.p50 > 0 && m.itl.p50 > 0, "TTFT and ITL from content_block_delta events");
    assert.equal(m.itl.count, 8 * 15);
  },
);

for (const endpoint of ["rerank", "score"]) {
  openTest(
    `--endpoint ${endpoint}: queries/s and documents/s, --batch documents per query`,
    async () => {
      const run = await runJson([
        "--endpoint",
        endpoint,
        "--isl",
        "16",
        "--batch",
        "5",
        "--requests",
        "12",
        "--concurrency",
        "3",
      ]);
      const t = run.suites[0].tests[0];
      const m = t.metrics;
      const w = t.extra.workload;
      assert.equal(m.outcomes.ok, 12, JSON.stringify(m.outcomes));
      assert.equal(w.batch, 5);
      assert.equal(w.tokenless, true);
      assert.ok(Math.abs(w.ranking.queries_per_second - m.requests_per_second) < 1e-9);
      assert.ok(Math.abs(w.ranking.documents_per_second - 5 * m.requests_per_second) < 1e-9);
      // A cross-encoder reads the query with each document: 5 × (16 + 16) tokens.
      assert.equal(w.input.server_mean, 160);
    },
  );
}

openTest(
  "--images: the image token share is reported and prefill grows with image size",
  async () => {
    const at = async (size: string) => {
      const run = await runJson([
        "--isl",
        "32",
        "--osl",
        "8",
        "--images",
        "2",
        "--image-size",
        size,
        "--requests",
        "8",
        "--concurrency",
        "1",
        "--warmup",
        "1",
      ]);
      return run.suites[0].tests[0];
    };
    const small = await at("224x224");
    const large = await at("1120x1120");
    for (const t of [small, large]) {
      assert.equal(t.metrics.outcomes.ok, 8, JSON.stringify(t.metrics.outcomes));
      assert.equal(t.extra.workload.images.per_request, 2);
      assert.ok(t.extra.workload.images.bytes_per_request_mean > 0);
    }
    // Qwen2-VL's rule on the embedded server: 224² → 8 × 8 = 64 tokens; 1120² → 40 × 40 = 1600.
    assert.equal(small.extra.workload.image_tokens.per_request_mean, 2 * 64);
    assert.equal(large.extra.workload.image_tokens.per_request_mean, 2 * 1600);
    assert.ok(
      large.extra.workload.image_tokens.share_of_prompt >
        small.extra.workload.image_tokens.share_of_prompt,
    );
    // The engine twin charges image tokens to prefill: one at a time, TTFT grows with them.
    assert.ok(
      large.metrics.ttft.p50 > small.metrics.ttft.p50 * 1.5,
      `TTFT p50 ${small.metrics.ttft.p50} → ${large.metrics.ttft.p50}`,
    );
  },
);

openTest(
  "images from a dataset, sent as loopback URLs: the server fetches each, tokens as inline",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const size = { width: 280, height: 140 };
      await Deno.writeFile(
        join(dir, "a.png"),
        await encodeImage(imagePixels(size, 9, 1), size, "png"),
      );
      const lines = Array.from({ length: 3 }, (_, i) =>
        JSON.stringify({
          prompt: `question number ${i} about this picture`,
          images: ["a.png"],
          output_len: 4,
        }));
      await Deno.writeTextFile(join(dir, "v.jsonl"), lines.join("\n"));
      const at = async (transport: string) =>
        (await runJson([
          "--dataset",
          join(dir, "v.jsonl"),
          "--image-transport",
          transport,
          "--requests",
          "6",
          "--concurrency",
          "2",
          "--warmup",
          "0",
        ])).suites[0].tests[0];
      const url = await at("url");
      const data = await at("data");
      for (const t of [url, data]) {
        assert.equal(t.metrics.outcomes.ok, 6, JSON.stringify(t.metrics.outcomes));
        assert.equal(t.extra.workload.images.per_request, 1);
        assert.equal(t.extra.workload.images.source, "dataset");
        assert.deepEqual(t.extra.workload.images.sizes, ["280x140"]);
        // Qwen2-VL's rule: 280 × 140 → 10 × 5 blocks of 28 pixels.
        assert.equal(t.extra.workload.image_tokens.per_request_mean, 50);
      }
      assert.equal(url.extra.workload.images.transport, "url");
      assert.equal(url.extra.workload.images.fetched, 6, "one fetch per request");
      assert.equal(data.extra.workload.images.fetched, undefined);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

openTest(
  "--tools: tool-call share, argument validity and time to the first tool-call delta",
  async () => {
    const required = (await runJson([
      "--isl",
      "32",
      "--osl",
      "12",
      "--tools",
      "3",
      "--tool-choice",
      "required",
      "--requests",
      "10",
      "--concurrency",
      "2",
    ])).suites[0].tests[0].extra.workload;
    assert.deepEqual(required.tools, { count: 3, choice: "required" });
    assert.equal(required.tool_calls.with_calls, 10);
    assert.equal(required.tool_calls.args_valid_share, 1);
    assert.ok(required.tool_calls.first_delta.p50 > 0);
    assert.ok(required.tool_calls.complete.p50 > required.tool_calls.first_delta.p50);

    // auto: the embedded server calls a tool for about half of them (--tool-call-rate 0.5).
    const auto = (await runJson([
      "--isl",
      "32",
      "--osl",
      "4",
      "--tools",
      "1",
      "--requests",
      "40",
      "--concurrency",
      "4",
    ])).suites[0].tests[0].extra.workload.tool_calls;
    assert.ok(auto.with_calls > 5 && auto.with_calls < 35, JSON.stringify(auto));

    // A session sends the tool results back: every turn succeeds and the history grows.
    const session = (await runJson([
      "--isl",
      "16",
      "--osl",
      "6",
      "--tools",
      "1",
      "--tool-choice",
      "required",
      "--turns",
      "3",
      "--requests",
      "2",
    ])).suites[0].tests[0];
    assert.equal(session.metrics.outcomes.ok, 6, JSON.stringify(session.metrics.outcomes));
    const turns = session.extra.workload.per_turn;
    assert.ok(turns[2].input_tokens_mean > turns[1].input_tokens_mean);
    assert.ok(turns[1].input_tokens_mean > turns[0].input_tokens_mean);
  },
);
