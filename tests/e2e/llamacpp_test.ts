/**
 * A run against a server that speaks as llama.cpp's does: chat streams of one token per
 * event, no usage, the last chunk's `finish_reason: "length"` and no `data: [DONE]`; and
 * `llamacpp:` metrics. Every request succeeds with its 64 tokens, nothing "stopped early",
 * and the server's metrics are sampled and named.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openTest } from "../_open.ts";
import { runProgram } from "./_run.ts";

function llamaServer() {
  let prompt = 0, predicted = 0, processing = 0;
  const enc = new TextEncoder();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/v1/models") {
      return Response.json({ object: "list", data: [{ id: "tiny", object: "model" }] });
    }
    if (path === "/metrics") {
      return new Response(
        [
          "# TYPE llamacpp:prompt_tokens_total counter",
          `llamacpp:prompt_tokens_total ${prompt}`,
          "# TYPE llamacpp:tokens_predicted_total counter",
          `llamacpp:tokens_predicted_total ${predicted}`,
          "# TYPE llamacpp:requests_processing gauge",
          `llamacpp:requests_processing ${processing}`,
          "# TYPE llamacpp:requests_deferred gauge",
          "llamacpp:requests_deferred 0",
          "# TYPE llamacpp:kv_cache_usage_ratio gauge",
          "llamacpp:kv_cache_usage_ratio 0.25",
          "",
        ].join("\n"),
        { headers: { "content-type": "text/plain" } },
      );
    }
    if (path !== "/v1/chat/completions") return new Response("no", { status: 404 });
    const body = await req.json();
    const n = body.max_tokens as number;
    const words = (body.messages as { content: string }[]).map((m) => m.content).join(" ").split(
      /\s+/,
    );
    prompt += Math.round(words.length * 1.3); // its own tokenizer counts more than words
    processing++;
    const stream = new ReadableStream<Uint8Array>({
      async start(c) {
        for (let k = 0; k < n; k++) {
          if (k % 16 === 0) await new Promise((r) => setTimeout(r, 1));
          c.enqueue(enc.encode(`data: ${
            JSON.stringify({
              choices: [{
                index: 0,
                delta: { content: k ? " token" : "Token" },
                finish_reason: k === n - 1 ? "length" : null,
              }],
            })
          }\n\n`));
          predicted++;
        }
        processing--;
        c.close();
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream" } });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

openTest(
  "a llama.cpp-like server: no [DONE], no usage, one token per event; every answer counts its 64 tokens",
  async () => {
    const dir = await Deno.makeTempDir();
    const target = llamaServer();
    try {
      const out = join(dir, "out");
      const r = await runProgram([
        "--url",
        target.url,
        "--isl",
        "32",
        "--osl",
        "64",
        "--tokenizer",
        "words",
        "--concurrency",
        "2",
        "--requests",
        "10",
        "--warmup",
        "0",
        "-o",
        out,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /server metrics: llamacpp metrics from http/);
      const run = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
      const t = run.suites[0].tests[0];
      assert.equal(t.metrics.successful_requests, 10);
      assert.equal(t.metrics.total_output_tokens, 640);
      assert.equal(t.metrics.output_tokens_counted_by, "max_tokens");
      assert.equal(t.metrics.streams_without_done, 10);
      assert.ok(t.notes.some((n: string) => /10 streams ended without data: \[DONE\]/.test(n)));
      assert.equal(t.extra.workload.output.short, 0, "none stopped early");
      assert.equal(t.extra.server_metrics.engine, "llamacpp");
      assert.ok(
        t.extra.server_metrics.tokens.output >= 600,
        JSON.stringify(t.extra.server_metrics.tokens),
      );
      // Prompts exact in words only; the server's own counters say what it processed.
      assert.equal(t.extra.workload.tokenizer_exact, false);
      assert.ok(t.extra.workload.input.server_metrics_mean > 32);
      const md = await Deno.readTextFile(join(out, "throughput_results.md"));
      assert.match(md, /lengths exact in words only[^\n]*the server counted [0-9.]+ per prompt/);
    } finally {
      await target.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
