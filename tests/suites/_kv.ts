/**
 * Helpers for kv-cache tests: an embedded server in this process, a suite context for it,
 * small suite sizes, and a mock server that reports no cache fields.
 *
 * @module
 */

import type { SuiteContext } from "../../runner/runner.ts";
import { type ContextOverrides, testContext as quietContext } from "../e2e/_ctx.ts";
import type { SuiteResult } from "../../measure/result.ts";
import type { KvCacheExtra } from "../../suites/kv_cache/result.ts";
import { DEFAULT_SERVER_OPTIONS, type ServerOptions, startServer } from "../../server/mod.ts";
import type { RunningServer } from "../../server/mod.ts";
import { type KvCacheOptions, makeKvCacheSuite } from "../../suites/kv_cache/tests.ts";
import { runSuite } from "../../suites/suite.ts";
import { ev, type Mock, mockServer, timedStream } from "../_mock.ts";

/** Small sizes that keep a whole suite run to a few seconds. */
export const SMALL_KV: KvCacheOptions = {
  iterations: 2,
  routerRequests: 12,
  coldWarmPrompts: 4,
  maxTokens: 4,
  prefixWords: 300,
  coldWarmWords: 600,
};

/** Start the embedded server in this process with some options changed. */
export function embedded(over: Partial<ServerOptions> = {}): Promise<RunningServer> {
  return startServer({
    ...DEFAULT_SERVER_OPTIONS,
    profile: "constant",
    port: 0,
    itlMs: 1,
    ...over,
  });
}

/** A suite context for `url` (no progress, no log, one warm-up request). */
export function testContext(url: string, over: ContextOverrides = {}): SuiteContext {
  return quietContext(url, {
    quick: false,
    seed: 42,
    warmup: 1,
    ...over,
    target: { embedded: false, ...over.target },
  });
}

/** Run the kv-cache suite with `sizes` against `url`. */
export function runKv(
  url: string,
  sizes: KvCacheOptions = SMALL_KV,
  over: ContextOverrides = {},
): Promise<SuiteResult<KvCacheExtra>> {
  return runSuite(makeKvCacheSuite(sizes), testContext(url, over));
}

/**
 * A server that streams chat answers with usage but no `prompt_tokens_details`, and has no
 * `/kv-cache/*` endpoints (404), like a server without cache reporting.
 */
export function noCacheServer(): Mock {
  return mockServer(async (req) => {
    const path = new URL(req.url).pathname;
    if (path !== "/v1/chat/completions") {
      await req.body?.cancel();
      return new Response("not found", { status: 404 });
    }
    await req.json();
    const chunk = (content: string) => ev({ choices: [{ index: 0, delta: { content } }] });
    return timedStream([
      [0, ev({ choices: [{ index: 0, delta: { role: "assistant" } }] })],
      [5, chunk("Hello")],
      [1, chunk(" there")],
      [0, ev({ choices: [], usage: { prompt_tokens: 300, completion_tokens: 2 } })],
      [0, "data: [DONE]\n\n"],
    ]);
  });
}
