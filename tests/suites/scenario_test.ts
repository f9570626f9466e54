import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { ConfigError } from "../../util/errors.ts";
import { parseScenario as parse0 } from "../../plan/scenario.ts";
import { runSuite } from "../../suites/suite.ts";
import { SUITE_RULES } from "../../cli/plan.ts";
import { kvCacheSuite, longText } from "../../suites/kv_cache/tests.ts";
import { memorySuite } from "../../suites/memory/tests.ts";
import { withScenario } from "../../suites/scenario.ts";
import type { TestResult } from "../../measure/result.ts";
import type { KvCacheExtra } from "../../suites/kv_cache/result.ts";
import { embedded, testContext } from "./_kv.ts";

const parseScenario = (text: string, file: string) => parse0(text, file, SUITE_RULES);

Deno.test("a scenario keeps what the suite declares: prepare, shardable, custom tests", () => {
  const memory = memorySuite();
  const sc = parseScenario(
    "tests:\n  - suite: memory\n    name: M\n    load: { rate: 5, duration_s: 2 }\n",
    "m.yaml",
  );
  const wrapped = withScenario("memory", memory, sc)!;
  assert.equal(wrapped.prepare, memory.prepare);
  assert.equal(wrapped.shardable, false);
  assert.equal(wrapped.custom, memory.custom);
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

openTest("a kv-cache scenario test gets the server's cache statistics", async () => {
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
    const t = result.tests[0] as TestResult<KvCacheExtra>;
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
});
