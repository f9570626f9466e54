import assert from "node:assert/strict";
import { clientHealthLines } from "../../report/health.ts";
import type { TestResult } from "../../measure/result.ts";

const test = (extra: Record<string, unknown>) => ({ extra } as unknown as TestResult);

Deno.test("client health line: figures with 2 decimals, a warning only when saturated", () => {
  const ok = clientHealthLines(
    test({ client_health: { event_loop_lag_p99_ms: 0.4242, cpu_pct: 37.4, saturated: false } }),
  );
  assert.deepEqual(ok, ["- **Client health:** event-loop lag p99 0.42 ms, client CPU 37%"]);
  const bad = clientHealthLines(
    test({ client_health: { event_loop_lag_p99_ms: 25, cpu_pct: 99, saturated: true } }),
  );
  assert.equal(bad.length, 3);
  assert.match(bad[2], /Warning:.*saturated/);
  assert.deepEqual(clientHealthLines(test({})), []);
});
