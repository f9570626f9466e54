/** FakeAI's environment settings: nested and flat names, flags win, bad values name the variable. */
import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { parseServeArgs } from "../../server/options.ts";
import { KvCacheRouter } from "../../server/kv_cache.ts";
import { UsageError } from "../../util/errors.ts";
import { spawnProgram } from "../e2e/_run.ts";
import { ChatClient } from "../../net/client.ts";

const envOf = (vars: Record<string, string>) => (n: string) => vars[n];

Deno.test("nested FakeAI names set the server's options; flags and the profile file win", () => {
  const o = parseServeArgs(
    [],
    envOf({
      FAKEAI_GENERATION__TTFT_MS: "50",
      FAKEAI_GENERATION__ITL_MS: "7",
      FAKEAI_GENERATION__TTFT_VARIANCE_PERCENT: "0",
      FAKEAI_FEATURES__ENABLE_PROMPT_CACHING: "false",
      FAKEAI_FEATURES__CACHE_TTL_SECONDS: "30",
      FAKEAI_FEATURES__MIN_TOKENS_FOR_CACHE: "64",
      FAKEAI_KV_CACHE__NUM_WORKERS: "2",
      FAKEAI_AUTH__REQUIRE_API_KEY: "true",
      FAKEAI_AUTH__API_KEYS: '["k1","k2"]',
    }),
  );
  assert.equal(o.ttftMs, 50);
  assert.equal(o.itlMs, 7);
  assert.equal(o.ttftVariancePct, 0);
  assert.equal(o.kvCache, false);
  assert.equal(o.cacheTtlS, 30);
  assert.equal(o.minTokensForCache, 64);
  assert.equal(o.workers, 2);
  assert.deepEqual(o.apiKeys, ["k1", "k2"]);
  const flags = parseServeArgs(["--ttft-ms", "5"], envOf({ FAKEAI_GENERATION__TTFT_MS: "50" }));
  assert.equal(flags.ttftMs, 5, "a flag wins over the environment");
  const noAuth = parseServeArgs(
    [],
    envOf({ FAKEAI_AUTH__API_KEYS: "a,b", FAKEAI_AUTH__REQUIRE_API_KEY: "false" }),
  );
  assert.deepEqual(noAuth.apiKeys, [], "keys are checked only when required");
});

Deno.test("the guide's flat names, with the guide's meaning; the nested name wins over the flat", () => {
  const o = parseServeArgs(
    [],
    envOf({ FAKEAI_RESPONSE_DELAY: "0.25", FAKEAI_RANDOM_DELAY: "false" }),
  );
  assert.equal(o.latencyMs, 250);
  assert.equal(o.ttftVariancePct, 0);
  assert.equal(o.itlVariancePct, 0);
  const both = parseServeArgs(
    [],
    envOf({
      FAKEAI_FEATURES__CACHE_TTL_SECONDS: "10",
      FAKEAI_CACHE_TTL_SECONDS: "99",
    }),
  );
  assert.equal(both.cacheTtlS, 10);
});

Deno.test("a bad value is a usage error naming the variable", () => {
  for (
    const [name, value] of [
      ["FAKEAI_GENERATION__TTFT_MS", "fast"],
      ["FAKEAI_GENERATION__ITL_MS", "-3"],
      ["FAKEAI_FEATURES__ENABLE_PROMPT_CACHING", "maybe"],
      ["FAKEAI_RESPONSE_DELAY", "soon"],
      ["FAKEAI_AUTH__API_KEYS", "[1,2]"],
      ["FAKEAI_RATE_LIMITS__ENABLED", "true"],
    ]
  ) {
    assert.throws(
      () => parseServeArgs([], envOf({ [name]: value })),
      (e: unknown) => e instanceof UsageError && e.message.startsWith(name),
      `${name}=${value}`,
    );
  }
});

Deno.test("the cache honours its TTL and its minimum prompt length", () => {
  let now = 0;
  const kv = new KvCacheRouter({
    enabled: true,
    blockSize: 4,
    capacityBlocks: 100,
    workers: 1,
    overlapWeight: 1,
    loadWeight: 0,
    ttlMs: 1000,
    minTokens: 10,
    now: () => now,
  });
  const ids = Array.from({ length: 20 }, (_, i) => i + 1);
  assert.equal(kv.route(ids).cachedTokens, 0);
  now = 900;
  assert.equal(kv.route(ids).cachedTokens, 16, "reused within the TTL (and refreshed)");
  now = 1800;
  assert.equal(kv.route(ids).cachedTokens, 16, "900 ms after its last use");
  now = 3000;
  assert.equal(kv.route(ids).cachedTokens, 0, "expired after 1 s unused");
  const short = ids.slice(0, 8);
  kv.route(short);
  assert.equal(kv.route(short).cachedTokens, 0, "prompts under 10 tokens are not cached");
});

openTest(
  "FAKEAI_GENERATION__TTFT_MS=50 and FAKEAI_RESPONSE_DELAY change 'deno task serve' timing",
  async () => {
    for (
      const [env, floorMs] of [[{ FAKEAI_GENERATION__TTFT_MS: "50" }, 45], [{
        FAKEAI_RESPONSE_DELAY: "0.3",
      }, 295]] as const
    ) {
      const p = spawnProgram(["--host", "127.0.0.1", "--port", "0"], env, { task: "serve" });
      const url = (await p.waitForStdout(/Listening on (http:\/\/[^\s/]+)/))[1];
      const c = new ChatClient({ baseUrl: url, timeoutMs: 10_000 });
      try {
        const r = await c.chat({
          model: "m",
          messages: [{ role: "user", content: "hi" }],
          max_tokens: 2,
          stream: true,
        });
        assert.equal(r.outcome, "ok");
        assert.ok(r.ttft! * 1000 >= floorMs, `${JSON.stringify(env)}: TTFT ${r.ttft! * 1000} ms`);
      } finally {
        c.close();
        p.signal("SIGTERM");
        await p.result;
      }
    }
    const bad = spawnProgram(["--port", "0"], { FAKEAI_GENERATION__ITL_MS: "x" }, {
      task: "serve",
    });
    const r = await bad.result;
    assert.equal(r.code, 2);
    assert.match(r.stderr, /FAKEAI_GENERATION__ITL_MS="x"/);
  },
);
