/**
 * Runs on each endpoint kind against the embedded server, through the program as a user runs
 * it: the figures come from that endpoint's own events and usage.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openTest } from "../_open.ts";
import { runProgram } from "./_run.ts";

async function runJson(args: string[]) {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runProgram([...args, "-o", join(dir, "r")]);
    assert.equal(r.code, 0, r.stderr);
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
