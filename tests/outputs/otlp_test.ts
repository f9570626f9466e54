/**
 * `--out otlp=URL`: what a run sends, decoded with the OpenTelemetry project's own protobuf
 * definitions (the generated root of `@opentelemetry/otlp-transformer`, built from
 * opentelemetry-proto), gives back the report's numbers.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runProgram } from "../e2e/_run.ts";
import { mockServer } from "../_mock.ts";
// The OpenTelemetry project's generated protobufjs root (CommonJS).
import root from "@opentelemetry/otlp-transformer/build/src/generated/root.js";

// deno-lint-ignore no-explicit-any
const otel = (root as any).opentelemetry.proto;
const Request = otel.collector.metrics.v1.ExportMetricsServiceRequest;

Deno.test({
  name: "OTLP/HTTP: an ExportMetricsServiceRequest per test, with the report's numbers",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const bodies: { type: string | null; bytes: Uint8Array }[] = [];
    const collector = mockServer(async (req) => {
      bodies.push({
        type: req.headers.get("content-type"),
        bytes: new Uint8Array(await req.arrayBuffer()),
      });
      return new Response(new Uint8Array(0), {
        headers: { "content-type": "application/x-protobuf" },
      });
    });
    const dir = await Deno.makeTempDir();
    try {
      const r = await runProgram([
        "--suite",
        "throughput",
        "--quick",
        "--out",
        `otlp=${collector.url}/v1/metrics`,
        "--tag",
        "env=ci",
        "-o",
        join(dir, "run"),
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /not delivered/);
      const run = JSON.parse(await Deno.readTextFile(join(dir, "run", "run.json")));
      const tests = run.suites[0].tests;
      assert.equal(bodies.length, tests.length, "one request per completed test");
      for (const [k, body] of bodies.entries()) {
        assert.equal(body.type, "application/x-protobuf");
        const msg = Request.toObject(Request.decode(body.bytes), { longs: String });
        const rm = msg.resourceMetrics[0];
        const service = rm.resource.attributes.find((a: { key: string }) =>
          a.key === "service.name"
        );
        assert.equal(service.value.stringValue, "fakeai-bench");
        const metrics = rm.scopeMetrics[0].metrics;
        const byName = (n: string) => metrics.find((m: { name: string }) => m.name === n);
        const t = tests[k];
        const attrs = (p: { attributes: { key: string; value: { stringValue: string } }[] }) =>
          Object.fromEntries(p.attributes.map((a) => [a.key, a.value.stringValue]));
        const requests = byName("fakeai_bench_requests").gauge.dataPoints;
        assert.equal(attrs(requests[0]).test, t.name);
        assert.equal(attrs(requests[0]).env, "ci");
        assert.equal(attrs(requests[0]).run_id, run.run_id);
        const total = requests.reduce((n: number, p: { asDouble: number }) => n + p.asDouble, 0);
        assert.equal(total, t.metrics.total_requests);
        const e2e = byName("fakeai_bench_e2e_seconds").summary.dataPoints[0];
        assert.equal(Number(e2e.count), t.metrics.latency.count);
        const p99 = e2e.quantileValues.find((q: { quantile: number }) => q.quantile === 0.99);
        assert.equal(p99.value, t.metrics.latency.p99);
        assert.equal(byName("fakeai_bench_e2e_seconds").unit, "s");
        // Nanoseconds since the epoch, within this run.
        const ns = BigInt(e2e.timeUnixNano);
        assert.ok(ns > BigInt(Date.parse(run.started_at)) * 1_000_000n);
      }
    } finally {
      await collector.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
