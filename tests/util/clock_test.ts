import assert from "node:assert/strict";
import { recordTimers } from "../_timers.ts";
import { FakeClock, MAX_TIMER_MS, realClock } from "../../util/clock.ts";

Deno.test("fake clock: sleepers wake in deadline order, each at its deadline", async () => {
  const clock = new FakeClock(100);
  const seen: [string, number][] = [];
  const note = (name: string) => () => seen.push([name, clock.now()]);
  clock.sleepUntil(160).then(note("late"));
  clock.sleepUntil(105).then(note("soon"));
  clock.sleepUntil(105).then(note("soon-2"));
  clock.sleepUntil(50).then(note("past"));
  await clock.advanceTo(150);
  assert.deepEqual(seen, [["past", 100], ["soon", 105], ["soon-2", 105]]);
  assert.equal(clock.now(), 150);
  assert.equal(clock.pending, 1);
  await clock.advanceTo(200);
  assert.deepEqual(seen.at(-1), ["late", 160]);
  assert.equal(clock.now(), 200);
});

Deno.test("fake clock: code a sleeper resumes runs before the clock moves on", async () => {
  const clock = new FakeClock();
  const ticks: number[] = [];
  const loop = async () => {
    for (let i = 0; i < 5; i++) {
      await clock.sleep(10);
      ticks.push(clock.now());
    }
  };
  const done = loop();
  await clock.advanceTo(35);
  assert.deepEqual(ticks, [10, 20, 30]);
  await clock.run(done);
  assert.deepEqual(ticks, [10, 20, 30, 40, 50]);
});

Deno.test("fake clock: an abort wakes a sleeper at once; run() refuses work it cannot drive", async () => {
  const clock = new FakeClock();
  const ac = new AbortController();
  const p = clock.sleepUntil(1e9, ac.signal);
  ac.abort();
  await p;
  assert.equal(clock.now(), 0);
  assert.equal(clock.pending, 0);
  const never = new Promise(() => {});
  await assert.rejects(clock.run(never), /waits on something other than the clock/);
});

Deno.test("real clock: a sleep never returns before its deadline; abort ends it early", async () => {
  const deadline = realClock.now() + 15;
  await realClock.sleepUntil(deadline);
  assert.ok(realClock.now() >= deadline);
  const ac = new AbortController();
  const long = realClock.sleepUntil(realClock.now() + 60_000, ac.signal);
  ac.abort();
  await long; // would time the test out if the abort did not end it
});

Deno.test("the real clock's far sleep arms timers it can take, and no more than one", async () => {
  const stop = new AbortController();
  const delays = await recordTimers(async (sleep) => {
    const sleeping = realClock.sleepUntil(performance.now() + 1e15, stop.signal);
    await sleep(50);
    stop.abort();
    await sleeping;
  });
  assert.equal(delays.length, 1, `${delays.length} timers armed`);
  assert.equal(delays[0], MAX_TIMER_MS);
});
