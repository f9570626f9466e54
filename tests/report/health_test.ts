import assert from "node:assert/strict";
import {
  clientHealthItem,
  clientHealthWarning,
  coarseResolution,
  timingResolution,
} from "../../report/health.ts";
import { mdText, toMarkdown } from "../../report/doc.ts";
import type { TestResult } from "../../measure/result.ts";
import type { ClientHealth } from "../../measure/result.ts";
import { fakeTest } from "./_fixtures.ts";

const test = (client_health?: ClientHealth) => ({ extra: { client_health } }) as TestResult;

/** A test that measured an ITL p50 of `itlP50S` seconds, with the client health given. */
function measured(itlP50S: number, health: ClientHealth): TestResult {
  const t = fakeTest({ name: "T" });
  t.metrics.itl = { ...t.metrics.itl, count: 100, p50: itlP50S };
  t.extra.client_health = health;
  return t;
}

Deno.test("client health line: figures with 2 decimals, a warning only when saturated", () => {
  const ok = test({ event_loop_lag_p99_ms: 0.4242, cpu_pct: 37.4, saturated: false });
  assert.deepEqual(
    clientHealthItem(ok).map(mdText),
    ["**Client health:** event-loop lag p99 0.42 ms, client CPU 37%"],
  );
  assert.deepEqual(clientHealthWarning(ok), []);
  const bad = test({ event_loop_lag_p99_ms: 25, cpu_pct: 99, saturated: true });
  const [warning] = clientHealthWarning(bad);
  assert.equal(warning.kind, "note");
  assert.match(warning.kind === "note" ? mdText(warning.text) : "", /Warning:.*saturated/);
  assert.deepEqual(clientHealthItem(test()), []);
});

Deno.test("a client whose lag is a sizeable share of the ITL says its timing is coarse", () => {
  const t = measured(0.005, {
    event_loop_lag_p50_ms: 0.3,
    event_loop_lag_p99_ms: 1.5,
    cpu_pct: 40,
    saturated: false,
  });
  assert.ok(Math.abs(coarseResolution(t)! - 0.3) < 1e-9);
  assert.match(toMarkdown(clientHealthWarning(t)), /Timing resolution:.*30% of the ITL p50/);
  t.extra.client_health!.event_loop_lag_p99_ms = 0.2;
  assert.equal(coarseResolution(t), null, "4% of the ITL: fine");
  assert.deepEqual(clientHealthWarning(t), []);
});

Deno.test("with the canary's stamping error, the timing resolution is that error, not the lag", () => {
  const health: ClientHealth = {
    event_loop_lag_p50_ms: 0.5,
    event_loop_lag_p99_ms: 2.5,
    cpu_pct: 60,
    saturated: false,
    stamp_error_p50_ms: 0.05,
    stamp_error_p99_ms: 4.9,
    stamp_error_samples: 4000,
  };
  const t = measured(0.01, health);
  assert.deepEqual(timingResolution(health), {
    what: "stamping error p99",
    ms: 4.9,
  });
  // 49% of the 10 ms ITL, where the lag alone would have said 25%.
  assert.ok(Math.abs(coarseResolution(t)! - 0.49) < 1e-9);
  assert.match(
    toMarkdown(clientHealthWarning(t)),
    /Timing resolution:.*stamping error p99 \(4\.90 ms\) is 49% of the ITL p50/,
  );
  assert.deepEqual(clientHealthItem(t).map(mdText), [
    "**Client health:** stamping error p50 0.05 / p99 4.90 ms (canary, 4000 gaps), " +
    "event-loop lag p99 2.50 ms, client CPU 60%",
  ]);
  // A small stamping error clears a lag that would have warned.
  health.stamp_error_p99_ms = 0.3;
  assert.equal(coarseResolution(t), null);
});
