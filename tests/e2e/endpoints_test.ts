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
