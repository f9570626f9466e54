import assert from "node:assert/strict";
import { type RepeatableTest, runRepeated } from "../../capacity/repeat.ts";
import { FakeClock } from "../../util/clock.ts";
import { testContext } from "../e2e/_ctx.ts";
import { fakeTest } from "../report/_fixtures.ts";
import type { SuiteContext } from "../../runner/runner.ts";

function counting(clock: FakeClock) {
  const calls: { seed: number; at: number }[] = [];
  const def: RepeatableTest = {
    name: "t",
    run: (ctx: SuiteContext) => {
      calls.push({ seed: ctx.seed, at: clock.now() });
      return Promise.resolve(fakeTest({ latencies: [0.1 * (calls.length)] }));
    },
  };
  return { def, calls };
}

Deno.test("--repeat runs a test N times, seed + k, the pause apart on the clock, and pools them", async () => {
  const clock = new FakeClock(1000);
  const { def, calls } = counting(clock);
  const ctx = testContext("http://127.0.0.1:1", {
    clock,
    seed: 40,
    repeat: { count: 3, pauseS: 2, maxCvPct: 10 },
  });
  const r = await clock.run(runRepeated(def, ctx));
  assert.deepEqual(calls.map((c) => c.seed), [40, 41, 42]);
  assert.deepEqual(calls.map((c) => c.at), [1000, 3000, 5000]);
  assert.equal(r.metrics.total_requests, 3);
  assert.deepEqual(r.repeat!.seeds, [40, 41, 42]);
  assert.equal(r.repeat!.runs.length, 3);
});

Deno.test("a test that is not repeatable, or --repeat 1, runs once and is not pooled", async () => {
  const clock = new FakeClock();
  const { def, calls } = counting(clock);
  const ctx = testContext("http://127.0.0.1:1", {
    clock,
    repeat: { count: 4, pauseS: 0, maxCvPct: 10 },
  });
  const r = await runRepeated({ ...def, repeatable: false }, ctx);
  assert.equal(calls.length, 1);
  assert.equal(r.repeat, undefined);
  await runRepeated(def, { ...ctx, repeat: { count: 1, pauseS: 0, maxCvPct: 10 } });
  assert.equal(calls.length, 2);
});

Deno.test("an interrupt during the pause ends the repeats; those that ran are kept", async () => {
  const clock = new FakeClock();
  const { def, calls } = counting(clock);
  const stop = new AbortController();
  const ctx = testContext("http://127.0.0.1:1", {
    clock,
    stop: stop.signal,
    repeat: { count: 5, pauseS: 10, maxCvPct: 10 },
  });
  const done = runRepeated(def, ctx);
  await clock.advanceTo(10_000); // the second repeat runs at 10 s
  stop.abort();
  const r = await done;
  assert.equal(calls.length, 2);
  assert.equal(r.repeat!.runs.length, 2);
  assert.equal(r.repeat!.count, 5);
});
