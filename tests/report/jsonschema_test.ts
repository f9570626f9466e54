import assert from "node:assert/strict";
import { SchemaSet } from "../_jsonschema.ts";
import { runJson } from "../../report/mod.ts";
import { throughputJson } from "../../report/throughput.ts";
import { commonTestJson } from "../../report/json.ts";
import { fullFakeRun } from "./_fixtures.ts";
import type { TestResult } from "../../measure/result.ts";

const set = new SchemaSet();

/** A suite file as the contracts describe it: original/common fields plus `extra` spread in. */
function suiteFile(tests: TestResult[]) {
  return tests.map((t) => ({
    test_name: t.name,
    total_requests: t.metrics.total_requests,
    successful_requests: t.metrics.successful_requests,
    failed_requests: t.metrics.failed_requests,
    concurrent_connections: t.load.kind === "closed" ? t.load.concurrency : null,
    ...t.extra,
    ...commonTestJson(t),
  }));
}

/** Validate `doc` as it is written to disk: through JSON (NaN, "no number", becomes null). */
function onDisk(schema: string, doc: unknown) {
  return set.validate(schema, JSON.parse(JSON.stringify(doc)));
}

Deno.test("run.json and every suite file of a synthetic run validate against the schemas", () => {
  const run = fullFakeRun();
  assert.deepEqual(onDisk("run.schema.json", runJson(run)), []);
  assert.deepEqual(
    onDisk("throughput_results.schema.json", throughputJson(run.suites[0])),
    [],
  );
  assert.deepEqual(
    onDisk("kv_cache_results.schema.json", suiteFile(run.suites[1].tests)),
    [],
  );
  assert.deepEqual(
    onDisk("concurrent_results.schema.json", suiteFile(run.suites[2].tests)),
    [],
  );
  assert.deepEqual(onDisk("memory_results.schema.json", suiteFile(run.suites[3].tests)), []);
});

Deno.test("the schemas reject documents that break the contracts", () => {
  const run = fullFakeRun();
  const bad = runJson({ ...run, mode: "fast" as never });
  assert.match(onDisk("run.schema.json", bad).join("\n"), /\$\.mode: "fast" not one of/);
  const leaky = runJson({ ...run, config: { apiKey: "sk-secret" } });
  assert.match(onDisk("run.schema.json", leaky).join("\n"), /\$\.config: must not match/);
  const tp = throughputJson(run.suites[0]);
  delete (tp[0] as Record<string, unknown>).p90_latency;
  (tp[1] as Record<string, unknown>).schema_version = "2.0.0";
  const errs = onDisk("throughput_results.schema.json", tp).join("\n");
  assert.match(errs, /\$\[0\]: missing required property p90_latency/);
  assert.match(errs, /\$\[1\]\.schema_version: '2\.0\.0' does not match/);
  const kv = suiteFile(run.suites[1].tests);
  (kv[0] as Record<string, unknown>).hit_rate = 0.8e3;
  (kv[1] as Record<string, unknown>).worker_distribution = { "worker-0": "many" };
  const kvErrs = onDisk("kv_cache_results.schema.json", kv).join("\n");
  assert.match(kvErrs, /hit_rate: 800 > maximum 100/);
  assert.match(kvErrs, /worker_distribution\.worker-0: expected integer, got string/);
  const mem = suiteFile(run.suites[3].tests);
  ((mem[0] as Record<string, unknown>).snapshots as { phase: string }[])[0].phase = "warmup";
  assert.match(
    onDisk("memory_results.schema.json", mem).join("\n"),
    /snapshots\[0\]\.phase: "warmup" not one of/,
  );
});

Deno.test("the validator refuses keywords it does not implement", () => {
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(`${dir}/x.json`, JSON.stringify({ type: "object", oneOf: [] }));
  const s = new SchemaSet(new URL(`file://${dir}/`));
  assert.throws(() => s.validate("x.json", {}), /unsupported keyword oneOf/);
  Deno.removeSync(dir, { recursive: true });
});
