import assert from "node:assert/strict";
import { suiteJson, suiteMarkdown } from "./_render.ts";
import { throughputSummary } from "../../suites/throughput/report.ts";
import { testTable } from "../../report/console.ts";
import { fakeSuite, fakeTest } from "./_fixtures.ts";

Deno.test("no successful request, no number: '—' in text, null in JSON, never 0.00ms", () => {
  const t = fakeTest({ name: "All failed", streaming: true, latencies: [], failed: 40 });
  const suite = fakeSuite("throughput", [t]);
  const md = suiteMarkdown(suite);
  assert.ok(!md.includes("0.00ms"), "a zero latency in the Markdown");
  assert.match(md, /\| All failed \| 40 +\| 0\.00 \| [^|]+\| [^|]+\| — +\| — +\| — +\|/);
  assert.match(md, /- Average: —/);
  const summary = throughputSummary(suite);
  assert.match(summary, /\*\*Average Latency:\*\* — /);
  const json = JSON.parse(JSON.stringify(suiteJson(suite)))[0];
  assert.equal(json.latency.count, 0);
  assert.equal(json.latency.p99, null);
  assert.equal(json.latency.mean, null);
  const table = testTable(t);
  assert.ok(!table.includes("0.00ms"), table);
});
