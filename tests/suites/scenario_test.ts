import assert from "node:assert/strict";
import { ConfigError } from "../../util/errors.ts";
import { parseScenario } from "../../cli/scenario.ts";
import { runSuite } from "../../suites/mod.ts";
import { kvCacheSuite, longText } from "../../suites/kv_cache.ts";
import { memorySuite } from "../../suites/memory.ts";
import { withScenario } from "../../suites/scenario.ts";
import { embedded, testContext } from "./_kv.ts";

Deno.test("a scenario keeps what the suite declares: prepare, shardable, custom tests", () => {
  const sc = parseScenario(
    "tests:\n  - suite: memory\n    name: M\n    load: { rate: 5, duration_s: 2 }\n",
    "m.yaml",
  );
  const wrapped = withScenario("memory", memorySuite, sc)!;
  assert.equal(wrapped.prepare, memorySuite.prepare);
  assert.equal(wrapped.shardable, false);
  assert.equal(wrapped.custom, memorySuite.custom);
});

Deno.test("a memory scenario test with a closed loop is refused before anything runs", () => {
  assert.throws(
    () =>
      parseScenario(
        "tests:\n  - suite: memory\n    name: M\n    load: { concurrency: 2, requests: 4 }\n",
        "m.yaml",
      ),
    (e: unknown) => e instanceof ConfigError && /tests\[0\]\.load.*open-loop/.test(e.message),
  );
});

Deno.test({
  name: "a kv-cache scenario test gets the server's cache statistics",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const server = await embedded({ prefillMsPerToken: 0 });
    try {
      const prompt = longText(7, "scenario", 300);
      const sc = parseScenario(
        [
          "replace: [kv-cache]",
          "tests:",
          "  - suite: kv-cache",
          "    name: Shared prompt",
          `    payload: { prompt: ${JSON.stringify(prompt)}, max_tokens: 3, stream: true }`,
          "    load: { concurrency: 1, requests: 4 }",
        ].join("\n"),
        "kv.yaml",
      );
      const suite = withScenario("kv-cache", kvCacheSuite, sc)!;
      const result = await runSuite(suite, testContext(server.url, { warmup: 0 }));
      assert.equal(result.error, null);
      const [t] = result.tests;
      assert.equal(t.name, "Shared prompt");
      // The same long prompt four times: the first misses, the next three hit.
      assert.equal(t.extra.cache_reported, true);
      assert.equal(t.extra.cache_misses, 1);
      assert.equal(t.extra.cache_hits, 3);
      const delta = t.extra.server_metrics_delta as { total_cache_hits: number };
      assert.equal(delta.total_cache_hits, 3);
    } finally {
      await server.shutdown();
    }
  },
});
