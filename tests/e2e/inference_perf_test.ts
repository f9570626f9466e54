/**
 * `run --inference-perf FILE` against a server that records what it receives: the requests are
 * the ones inference-perf's definitions give (prompt lengths, the groups' shared system
 * prompts, the data order restarting each stage, exponential gaps scaled to the stage, stages
 * one after another with the lead and the interval), as `twin/inference_perf.ts` states them.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openTest } from "../_open.ts";
import { runProgram } from "./_run.ts";
import { countTokens, tokenIds } from "../../util/words.ts";

interface Seen {
  at: number;
  body: {
    model: string;
    prompt: string;
    max_tokens: number;
    stream: boolean;
    ignore_eos?: boolean;
  };
  end: number;
}

/** A loopback server answering completions at once, recording each request. */
function recordingServer() {
  const seen: Seen[] = [];
  const enc = new TextEncoder();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/v1/models") {
      return Response.json({
        object: "list",
        data: [{ id: "meta-llama/Llama-2-7b-hf", object: "model" }],
      });
    }
    if (path !== "/v1/completions") return new Response("not found", { status: 404 });
    const at = performance.now();
    const body = await req.json();
    const rec: Seen = { at, body, end: at };
    seen.push(rec);
    const n = body.max_tokens as number;
    const chunks = Array.from(
      { length: n },
      (_, k) =>
        `data: ${
          JSON.stringify({
            id: "c",
            object: "text_completion",
            choices: [{ index: 0, text: ` t${k}`, finish_reason: k === n - 1 ? "length" : null }],
          })
        }\n\n`,
    );
    chunks.push(
      `data: ${
        JSON.stringify({
          id: "c",
          object: "text_completion",
          choices: [],
          usage: { prompt_tokens: countTokens(body.prompt), completion_tokens: n, total_tokens: n },
        })
      }\n\n`,
      "data: [DONE]\n\n",
    );
    rec.end = performance.now();
    return new Response(enc.encode(chunks.join("")), {
      headers: { "content-type": "text/event-stream" },
    });
  });
  return { seen, url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

const CONFIG = `
api: {type: completion, streaming: true}
server: {type: vllm, model_name: meta-llama/Llama-2-7b-hf, ignore_eos: true}
data:
  type: shared_prefix
  shared_prefix: {num_groups: 3, num_prompts_per_group: 4, system_prompt_len: 40, question_len: 20, output_len: 4}
load:
  type: constant
  interval: 1
  stages: [{rate: 20, duration: 2}, {rate: 10, duration: 2}]
`;

openTest("run --inference-perf sends the requests inference-perf would", async () => {
  const dir = await Deno.makeTempDir();
  const server = recordingServer();
  try {
    const cfg = join(dir, "config.yaml");
    await Deno.writeTextFile(cfg, CONFIG);
    const r = await runProgram([
      "--url",
      server.url,
      "--inference-perf",
      cfg,
      "--no-server-metrics",
      "-q",
      "-o",
      join(dir, "out"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const seen = server.seen;
    assert.equal(seen.length, 40 + 20, "rate × duration per stage");
    const [one, two] = [seen.slice(0, 40), seen.slice(40)];
    for (const s of seen) {
      assert.equal(s.body.model, "meta-llama/Llama-2-7b-hf");
      assert.equal(s.body.max_tokens, 4);
      assert.equal(s.body.stream, true);
      assert.equal(s.body.ignore_eos, true);
      // System prompt (40 tokens) and question (20), joined by a space.
      assert.equal(countTokens(s.body.prompt), 60, s.body.prompt);
    }
    // Three groups: every prompt starts with one of three system prompts, four prompts each.
    const system = (p: string) => tokenIds(p).slice(0, 40).join(",");
    const groups = Map.groupBy(one.slice(0, 12), (s) => system(s.body.prompt));
    assert.equal(groups.size, 3);
    for (const g of groups.values()) {
      assert.equal(g.length, 4);
      assert.equal(new Set(g.map((s) => s.body.prompt)).size, 4, "distinct questions");
    }
    // The data set is shuffled once and cycled: request i and i + 12 send the same prompt;
    // the second stage takes it from index 0 again.
    for (let i = 0; i + 12 < one.length; i++) {
      assert.equal(one[i].body.prompt, one[i + 12].body.prompt);
    }
    assert.equal(two[0].body.prompt, one[0].body.prompt);
    assert.ok(
      one.slice(0, 4).some((s) => system(s.body.prompt) !== system(one[0].body.prompt)),
      "shuffled",
    );
    // Stage one's 40 arrivals span its 2 s with exponential (not even) gaps.
    const span = one[39].at - one[0].at;
    assert.ok(span > 1500 && span < 2200, `stage span ${span} ms`);
    const gaps = one.slice(1).map((s, i) => s.at - one[i].at);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
    assert.ok(sd / mean > 0.5, `gaps' CV ${sd / mean}: exponential, not constant`);
    // Stage two starts after stage one's last answer, the 1 s interval, and the 1 s lead.
    const lastEnd = Math.max(...one.map((s) => s.end));
    assert.ok(two[0].at - lastEnd >= 2000 - 50, `gap between stages ${two[0].at - lastEnd} ms`);
    const run = JSON.parse(await Deno.readTextFile(join(dir, "out", "run.json")));
    assert.deepEqual(
      run.suites[0].tests.map((t: { metrics: { total_requests: number } }) =>
        t.metrics.total_requests
      ),
      [40, 20],
    );
    assert.equal(run.plan.inference_perf, cfg);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

openTest("run --inference-perf refuses what it cannot send", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cfg = join(dir, "bad.yaml");
    await Deno.writeTextFile(
      cfg,
      "data: {type: cnn_dailymail}\nload: {stages: [{rate: 1, duration: 1}]}",
    );
    const r = await runProgram(["--inference-perf", cfg, "-o", join(dir, "o")]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /data.type: "cnn_dailymail" is not supported/);
    await Deno.writeTextFile(cfg, CONFIG);
    const both = await runProgram(["--inference-perf", cfg, "--isl", "10", "-o", join(dir, "o")]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /without a workload/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
