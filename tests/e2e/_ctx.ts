/**
 * A {@linkcode SuiteContext} for tests that drive runner/runner.ts directly against a server
 * started in this process.
 *
 * @module
 */

import type { SuiteContext } from "../../runner/runner.ts";
import { realClock } from "../../util/clock.ts";

/** A quiet context for `baseUrl` with no warm-up. */
export function testContext(baseUrl: string, over: Partial<SuiteContext> = {}): SuiteContext {
  return {
    baseUrl,
    apiKey: null,
    timeoutMs: 10_000,
    http: "native",
    models: [],
    modelOverride: null,
    quick: true,
    seed: 1,
    warmup: 0,
    clock: realClock,
    stop: new AbortController().signal,
    abort: new AbortController().signal,
    embedded: true,
    serverPid: null,
    progress: () => ({ update() {}, finish() {} }),
    log: () => {},
    ...over,
  };
}
