/**
 * The quick memory test tells the clean embedded server from its leak mode, and an
 * interrupted memory test is never judged a leak.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runInProcess, spawnProgram } from "./_run.ts";

interface MemoryTestJson {
  verdict: string;
  verdict_reason: string;
}

async function quickMemory(serveArgs: string[]): Promise<MemoryTestJson> {
  const dir = await Deno.makeTempDir();
  try {
    const code = await runInProcess(["--quick", "--suite", "memory", "-o", dir], serveArgs);
    assert.equal(code, 0);
    const tests = JSON.parse(await Deno.readTextFile(join(dir, "memory_results.json")));
    return tests[0] as MemoryTestJson;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test({
  ...opts,
  name: "quick memory test: the clean embedded server is 'no leak'",
  fn: async () => {
    const t = await quickMemory([]);
    assert.equal(t.verdict, "no leak", t.verdict_reason);
  },
});

Deno.test({
  ...opts,
  name: "quick memory test: the embedded server keeping 64 KB per request is 'leak'",
  fn: async () => {
    const t = await quickMemory(["--leak-bytes-per-request", "65536"]);
    assert.equal(t.verdict, "leak", t.verdict_reason);
  },
});

Deno.test({
  ...opts,
  name: "SIGTERM during the quick memory test: interrupted, no verdict, never 'leak'",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const p = spawnProgram(["--quick", "--suite", "memory", "-o", dir]);
      // Past the warm-up and baseline, into the load.
      await p.waitForStderr(/\[1\/1\] Quick Memory Test/, 30_000);
      await new Promise((r) => setTimeout(r, 12_000));
      p.signal("SIGTERM");
      const r = await p.result;
      assert.equal(r.code, 130, r.stderr);
      const [t] = JSON.parse(await Deno.readTextFile(join(dir, "memory_results.json")));
      assert.equal(t.verdict, "interrupted", t.verdict_reason);
      const summary = await Deno.readTextFile(join(dir, "BENCHMARK_SUMMARY.md"));
      assert.doesNotMatch(summary, /Memory Leaks Detected:\*\* Yes/);
      assert.match(summary, /interrupted, no verdict: Quick Memory Test/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
