/**
 * The Grafana dashboard under deploy/grafana/ asks only for metrics the outputs write, and
 * shows every one of them.
 */
import assert from "node:assert/strict";
import { metricNames } from "../../outputs/metrics.ts";
import { dashboardExprs } from "./_dashboard.ts";

Deno.test("the dashboard's queries name only metrics the outputs write, and show them all", async () => {
  const exprs = await dashboardExprs();
  assert.ok(exprs.length >= 15, `${exprs.length} expressions`);
  const written = new Set(metricNames());
  const used = new Set<string>();
  for (const e of exprs) {
    const names = e.match(/\bfakeai_bench_[a-z0-9_]+/g) ?? [];
    assert.ok(names.length > 0, `no metric in ${e}`);
    for (const n of names) {
      assert.ok(written.has(n), `${n} (in ${e}) is not written by any output`);
      used.add(n);
    }
  }
  const shown = [...written].filter((n) => !used.has(n) && !/_sum$|_count$/.test(n));
  assert.deepEqual(shown, [], "metrics no panel shows");
});
