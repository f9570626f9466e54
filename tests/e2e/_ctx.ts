/**
 * A {@linkcode SuiteContext} for tests that drive runner/runner.ts directly against a server
 * started in this process.
 *
 * @module
 */

import type { SuiteContext, TargetInfo } from "../../runner/runner.ts";
import { realClock } from "../../util/clock.ts";

/** Overrides of a test context: its fields, and any of its target's. */
export type ContextOverrides = Omit<Partial<SuiteContext>, "target"> & {
  target?: Partial<TargetInfo>;
};

/** A quiet context for `baseUrl` with no warm-up. */
export function testContext(baseUrl: string, over: ContextOverrides = {}): SuiteContext {
  const { target, ...rest } = over;
  return {
    client: { baseUrl, apiKey: null, timeoutMs: 10_000, http: "native" },
    quick: true,
    seed: 1,
    warmup: 0,
    clock: realClock,
    stop: new AbortController().signal,
    abort: new AbortController().signal,
    progress: () => ({ update() {}, finish() {} }),
    log: () => {},
    ...rest,
    target: Object.assign(
      { models: [], modelOverride: null, embedded: true, serverPid: null },
      target,
    ),
  };
}
