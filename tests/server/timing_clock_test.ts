import assert from "node:assert/strict";
import { Prng } from "../../util/prng.ts";
import { Clock } from "../../server/timing.ts";

Deno.test("Clock: waits resolve in deadline order and never before their deadline", async () => {
  const clock = new Clock(performance.now(), 0, 0);
  const rng = new Prng(5);
  const base = performance.now();
  const deadlines = Array.from({ length: 300 }, () => base + 1 + rng.next() * 40);
  const order: number[] = [];
  const early: number[] = [];
  await Promise.all(deadlines.map(async (d, i) => {
    const ok = await clock.sleepUntil(d);
    assert.equal(ok, true);
    const now = performance.now();
    if (now < d) early.push(d - now);
    order.push(i);
  }));
  assert.deepEqual(early, []);
  const fired = order.map((i) => deadlines[i]);
  for (let k = 1; k < fired.length; k++) assert.ok(fired[k] >= fired[k - 1], "deadline order");
  assert.equal(clock.pending, 0);
});

Deno.test("Clock: an earlier deadline added later still fires first", async () => {
  const clock = new Clock(performance.now(), 0, 0);
  const t = performance.now();
  const seen: string[] = [];
  const late = clock.sleepUntil(t + 60).then(() => seen.push("late"));
  const soon = clock.sleepUntil(t + 5).then(() => seen.push("soon"));
  await Promise.all([late, soon]);
  assert.deepEqual(seen, ["soon", "late"]);
});

Deno.test("Clock: close resolves pending waits with false and refuses new ones", async () => {
  const clock = new Clock(performance.now(), 0, 0);
  const p = clock.sleepUntil(performance.now() + 60_000);
  clock.close();
  assert.equal(await p, false);
  assert.equal(await clock.sleepUntil(performance.now() + 10), false);
  assert.equal(clock.pending, 0);
});

Deno.test("Clock: adjust moves deadlines inside the pause window to its end only", () => {
  const clock = new Clock(1000, 2, 500); // window [3000, 3500)
  assert.equal(clock.adjust(2999), 2999);
  assert.equal(clock.adjust(3000), 3500);
  assert.equal(clock.adjust(3499.9), 3500);
  assert.equal(clock.adjust(3500), 3500);
  assert.equal(clock.adjust(4000), 4000);
  const none = new Clock(1000, 0, 0);
  assert.equal(none.adjust(1000), 1000);
});
