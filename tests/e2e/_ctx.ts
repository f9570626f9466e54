/**
 * A {@linkcode SuiteContext} for tests that drive core/runner directly against a server
 * started in this process.
 *
 * @module
 */

import type { SuiteContext } from "../../core/runner.ts";

/** A quiet context for `baseUrl` with no warm-up. */
export function testContext(baseUrl: string, over: Partial<SuiteContext> = {}): SuiteContext {
  return {
    baseUrl,
    apiKey: null,
    timeoutMs: 10_000,
    models: [],
    modelOverride: null,
    quick: true,
    seed: 1,
    warmup: 0,
    stop: new AbortController().signal,
    abort: new AbortController().signal,
    embedded: true,
    serverPid: null,
    progress: () => ({ update() {}, finish() {} }),
    log: () => {},
    ...over,
  };
}
