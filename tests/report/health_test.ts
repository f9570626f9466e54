import assert from "node:assert/strict";
import { clientHealthItem, clientHealthWarning } from "../../report/health.ts";
import { mdText } from "../../report/doc.ts";
import type { TestResult } from "../../measure/result.ts";
import type { ClientHealth } from "../../measure/result.ts";

const test = (client_health?: ClientHealth) => ({ extra: { client_health } }) as TestResult;

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
