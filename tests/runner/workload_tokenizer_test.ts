import assert from "node:assert/strict";
import { LateCounter, runWorkloadTest } from "../../runner/workload.ts";
import type { WorkloadTestSpec } from "../../runner/spec.ts";
import { buildWorkloadApart } from "../../workload/apart.ts";
import { defaultWorkload } from "../../workload/workload.ts";
import { testContext } from "../e2e/_ctx.ts";
import { ev, mockServer, timedStream, tok } from "../_mock.ts";

const ENTRY = new URL("../../main.ts", import.meta.url).href;

/** A streaming chat server that sends usage or not. */
function server(usage: boolean) {
  return mockServer(async (req) => {
    await req.text();
    const parts: [number, string][] = [
      // Two token events, three tokens.
      [0, tok("alpha beta")],
      [0, tok(" gamma")],
      [0, ev({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })],
    ];
    if (usage) {
      parts.push([0, ev({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 3 } })]);
    }
    parts.push([0, "data: [DONE]\n\n"]);
    return timedStream(parts);
  });
}

function spec(warmup: number): WorkloadTestSpec {
  return {
    suite: "throughput",
    name: "late tokenizer",
    payload: { label: "p", model: "gpt-4o", messages: [], max_tokens: 16, stream: true },
    workload: { ...defaultWorkload(), isl: { kind: "constant", value: 32 } },
    load: { kind: "closed", requests: 6, concurrency: 2, warmup },
  };
}

/** A workload test of `gpt-4o` against a server that sends usage or not. */
async function runAgainst(usage: boolean) {
  const mock = server(usage);
  try {
    const ctx = testContext(mock.url, {
      workerEntry: ENTRY,
      target: { embedded: false, models: ["gpt-4o"] },
    });
    return await runWorkloadTest(ctx, spec(2));
  } finally {
    await mock.close();
  }
}

Deno.test("the workload's tokenizer counts answers the server sent without usage", async () => {
  const r = await runAgainst(false);
  assert.equal(r.metrics.successful_requests, 6);
  // Loaded after the warm-up showed no usage: "alpha beta gamma" is 3 tokens in o200k_base.
  assert.equal(r.metrics.output_tokens_counted_by, "o200k_base");
  assert.equal(r.metrics.total_output_tokens, 18);
});

Deno.test("with usage, answers are counted by it", async () => {
  const r = await runAgainst(true);
  assert.equal(r.metrics.successful_requests, 6);
  assert.equal(r.metrics.output_tokens_counted_by, null);
  assert.equal(r.metrics.output_tokens_estimated, false);
});

Deno.test("a late counter loads the tokenizer only when the warm-up's answers need it", async () => {
  const built = await buildWorkloadApart(ENTRY, defaultWorkload(), {
    count: 2,
    seed: 1,
    model: "gpt-4o",
    embedded: false,
  });
  const withUsage = new LateCounter(built);
  await withUsage.loadIfNeeded({ ok: 4, withoutUsage: 0 });
  assert.deepEqual([withUsage.name, withUsage.exact], ["words", false]);
  const without = new LateCounter(built);
  await without.loadIfNeeded({ ok: 4, withoutUsage: 1 });
  assert.deepEqual([without.name, without.exact], ["o200k_base", true]);
  assert.equal(without.count("alpha beta gamma"), 3);
  // No warm-up answer to go by: it loads.
  const blind = new LateCounter(built);
  await blind.loadIfNeeded({ ok: 0, withoutUsage: 0 });
  assert.equal(blind.name, "o200k_base");
});
