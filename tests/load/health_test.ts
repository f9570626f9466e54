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

Deno.test("health probe: an idle loop shows less lag than a blocked one", async () => {
  // Side by side in one test, so a busy machine shifts both alike. Lag is this thread's own;
  // process CPU is not compared here, as other test files' threads share the process.
  const idleProbe = startHealthProbe(5);
  await new Promise((r) => setTimeout(r, 150));
  const idle = idleProbe.stop();
  const busyProbe = startHealthProbe(5);
  for (let k = 0; k < 3; k++) {
    const until = performance.now() + 40;
    while (performance.now() < until) {
      // busy
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const busy = busyProbe.stop();
  assert.ok(
    idle.event_loop_lag_p99_ms < busy.event_loop_lag_p99_ms,
    `lag p99 idle ${idle.event_loop_lag_p99_ms} vs blocked ${busy.event_loop_lag_p99_ms}`,
  );
  assert.ok(busy.event_loop_lag_p99_ms >= 20, `blocked lag p99 ${busy.event_loop_lag_p99_ms}`);
});

Deno.test("isSaturated: lag or CPU over its bound", () => {
  assert.equal(isSaturated(1, 20), false);
  assert.equal(isSaturated(SATURATED_LAG_MS + 1, 20), true);
  assert.equal(isSaturated(1, 95), true);
});
