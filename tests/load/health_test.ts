import assert from "node:assert/strict";
import { isSaturated, SATURATED_LAG_MS, startHealthProbe } from "../../load/health.ts";

Deno.test("health probe: CPU % is CPU time over wall time; saturation follows it", () => {
  let wall = 1000, cpu = 50;
  const sources = { now: () => wall, cpuMs: () => cpu };
  const busy = startHealthProbe(60_000, sources);
  wall += 400;
  cpu += 380; // 95% of one core
  const h = busy.stop();
  assert.equal(h.cpu_pct, 95);
  assert.equal(h.saturated, true);
  const calm = startHealthProbe(60_000, sources);
  wall += 1000;
  cpu += 200;
  const c = calm.stop();
  assert.equal(c.cpu_pct, 20);
  assert.equal(c.event_loop_lag_p99_ms, 0); // no timer fired: no lag sample
  assert.equal(c.saturated, false);
});

/** A timer queue on a fake clock: `run(ms, lateMs)` fires due timers `lateMs` late. */
function fakeTimers() {
  let now = 0;
  let due: { at: number; fn: () => void } | null = null;
  return {
    sources: {
      now: () => now,
      cpuMs: () => 0,
      after(fn: () => void, ms: number) {
        const t = { at: now + ms, fn };
        due = t;
        return () => {
          if (due === t) due = null;
        };
      },
    },
    run(ms: number, lateMs: number) {
      const end = now + ms;
      while (due && due.at + lateMs <= end) {
        const t: { at: number; fn: () => void } = due;
        now = t.at + lateMs;
        due = null;
        t.fn();
      }
      now = end;
    },
  };
}

Deno.test("health probe: lag is how late its timer fired; an idle loop shows none, a blocked one its block", () => {
  const idleClock = fakeTimers();
  const idle = startHealthProbe(5, idleClock.sources);
  idleClock.run(150, 0);
  const blockedClock = fakeTimers();
  const blocked = startHealthProbe(5, blockedClock.sources);
  blockedClock.run(150, 40); // every tick waits behind 40 ms of blocking work
  assert.equal(idle.stop().event_loop_lag_p99_ms, 0);
  assert.equal(blocked.stop().event_loop_lag_p99_ms, 40);
});

Deno.test("health probe on the real event loop: blocking it shows as lag", async () => {
  // Only a lower bound: a busy machine can only add lag, never remove the 40 ms blocks.
  const probe = startHealthProbe(5);
  for (let k = 0; k < 3; k++) {
    const until = performance.now() + 40;
    while (performance.now() < until) {
      // busy
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const busy = probe.stop();
  assert.ok(busy.event_loop_lag_p99_ms >= 20, `blocked lag p99 ${busy.event_loop_lag_p99_ms}`);
});

Deno.test("isSaturated: lag or CPU over its bound", () => {
  assert.equal(isSaturated(1, 20), false);
  assert.equal(isSaturated(SATURATED_LAG_MS + 1, 20), true);
  assert.equal(isSaturated(1, 95), true);
});
