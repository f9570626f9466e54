import assert from "node:assert/strict";
import { isSaturated, SATURATED_LAG_MS, startHealthProbe } from "../../core/health.ts";

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
  assert.ok(h.cpu_pct > 50, `cpu ${h.cpu_pct}`);
  assert.equal(h.saturated, true);
});

Deno.test("health probe: an idle loop has small lag and is not saturated", async () => {
  const probe = startHealthProbe(5);
  await new Promise((r) => setTimeout(r, 150));
  const h = probe.stop();
  assert.ok(h.event_loop_lag_p99_ms < SATURATED_LAG_MS, `lag p99 ${h.event_loop_lag_p99_ms}`);
  assert.ok(h.cpu_pct < 50, `cpu ${h.cpu_pct}`);
  assert.equal(h.saturated, false);
});

Deno.test("isSaturated: lag or CPU over its bound", () => {
  assert.equal(isSaturated(1, 20), false);
  assert.equal(isSaturated(SATURATED_LAG_MS + 1, 20), true);
  assert.equal(isSaturated(1, 95), true);
});
