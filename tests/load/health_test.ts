import assert from "node:assert/strict";
import { isSaturated, SATURATED_LAG_MS, startHealthProbe } from "../../load/health.ts";

Deno.test("health probe: a blocked event loop shows as lag and CPU; saturated is flagged", async () => {
  const probe = startHealthProbe(5);
  // Block the loop for 60 ms a few times: each block delays the probe timer by ~60 ms.
  for (let k = 0; k < 4; k++) {
    const until = performance.now() + 60;
    while (performance.now() < until) {
      // busy
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const h = probe.stop();
  assert.ok(h.event_loop_lag_p99_ms >= 30, `lag p99 ${h.event_loop_lag_p99_ms}`);
  assert.ok(h.cpu_pct > 25, `cpu ${h.cpu_pct}`); // a busy machine takes its share of the core
  assert.equal(h.saturated, true);
});

Deno.test("health probe: an idle loop shows less lag and CPU than a blocked one", async () => {
  // Side by side in one test, so a busy machine shifts both alike.
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
  assert.ok(idle.cpu_pct < busy.cpu_pct, `cpu idle ${idle.cpu_pct} vs blocked ${busy.cpu_pct}`);
});

Deno.test("isSaturated: lag or CPU over its bound", () => {
  assert.equal(isSaturated(1, 20), false);
  assert.equal(isSaturated(SATURATED_LAG_MS + 1, 20), true);
  assert.equal(isSaturated(1, 95), true);
});
