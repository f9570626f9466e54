import assert from "node:assert/strict";
import { suiteJson } from "./_render.ts";
import { SchemaSet } from "../_jsonschema.ts";
import { runJson } from "../../report/mod.ts";
import { analyzeReports } from "../../engine/run.ts";
import { fullFakeRun } from "./_fixtures.ts";
import type { RunResult } from "../../measure/result.ts";

const set = new SchemaSet();

/** Validate `doc` as it is written to disk: through JSON (NaN, "no number", becomes null). */
function onDisk(schema: string, doc: unknown) {
  return set.validate(schema, JSON.parse(JSON.stringify(doc)));
}

const json = (run: RunResult) => runJson(run, analyzeReports(run));

Deno.test("run.json and every suite file of a synthetic run validate against the schemas", () => {
  const run = fullFakeRun();
  assert.deepEqual(onDisk("run.schema.json", json(run)), []);
  for (const s of run.suites) {
    const file = { throughput: "throughput", "kv-cache": "kv_cache" }[s.suite] ?? s.suite;
    assert.deepEqual(onDisk(`${file}_results.schema.json`, suiteJson(s)), [], s.suite);
  }
});

Deno.test("the schemas reject documents that break the contracts", () => {
  const run = fullFakeRun();
  assert.match(
    onDisk("run.schema.json", json({ ...run, mode: "fast" as never })).join("\n"),
    /\/mode: must be equal to one of the allowed values/,
  );
  // The plan is closed: a key it does not know (a secret, say) is refused.
  const leaky = json({ ...run, plan: { ...run.plan, api_key: "sk-secret" } });
  assert.match(
    onDisk("run.schema.json", leaky).join("\n"),
    /\/plan: must NOT have additional properties \(api_key\)/,
  );
  const tp = suiteJson(run.suites[0]);
  delete tp[0].p90_latency;
  tp[1].schema_version = "2.0.0";
  const errs = onDisk("throughput_results.schema.json", tp).join("\n");
  assert.match(errs, /\/0: must have required property 'p90_latency'/);
  assert.match(errs, /\/1\/schema_version: must match pattern/);
  const kv = suiteJson(run.suites[1]);
  kv[0].hit_rate = 0.8e3;
  kv[1].worker_distribution = { "worker-0": "many" };
  const kvErrs = onDisk("kv_cache_results.schema.json", kv).join("\n");
  assert.match(kvErrs, /\/0\/hit_rate: must be <= 100/);
  assert.match(kvErrs, /\/1\/worker_distribution\/worker-0: must be integer/);
  const mem = suiteJson(run.suites[3]);
  (mem[0].snapshots as { phase: string }[])[0].phase = "warmup";
  assert.match(
    onDisk("memory_results.schema.json", mem).join("\n"),
    /\/0\/snapshots\/0\/phase: must be equal to one of the allowed values/,
  );
});
