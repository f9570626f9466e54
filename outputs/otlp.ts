/**
 * OTLP/HTTP metrics: a test's samples as an `ExportMetricsServiceRequest` (protobuf), POSTed
 * to an OpenTelemetry collector's `/v1/metrics` with `Content-Type: application/x-protobuf`.
 * Gauges become OTLP gauges of double points; the latency summaries become OTLP summaries
 * (count, sum and the quantiles). Every point carries the sample's labels as attributes; the
 * resource says `service.name = fakeai-bench`.
 *
 * Facts: the OTLP specification (HTTP transport, protobuf encoding) and opentelemetry-proto's
 * `collector/metrics/v1/metrics_service.proto`, `metrics/v1/metrics.proto`,
 * `common/v1/common.proto` and `resource/v1/resource.proto` (their field numbers).
 *
 * @module
 */

import protobuf from "protobufjs";
import { FAMILIES, QUANTILES, type Sample } from "./metrics.ts";

const { Field, OneOf, Type } = protobuf;

const AnyValue = new Type("AnyValue").add(new Field("stringValue", 1, "string"));
const KeyValue = new Type("KeyValue").add(new Field("key", 1, "string")).add(
  new Field("value", 2, "AnyValue"),
);
const Resource = new Type("Resource").add(new Field("attributes", 1, "KeyValue", "repeated"));
const Scope = new Type("InstrumentationScope").add(new Field("name", 1, "string")).add(
  new Field("version", 2, "string"),
);
const NumberDataPoint = new Type("NumberDataPoint")
  .add(new Field("attributes", 7, "KeyValue", "repeated"))
  .add(new Field("timeUnixNano", 3, "fixed64"))
  .add(new Field("asDouble", 4, "double"))
  .add(new OneOf("value", ["asDouble"]));
const ValueAtQuantile = new Type("ValueAtQuantile").add(new Field("quantile", 1, "double")).add(
  new Field("value", 2, "double"),
);
const SummaryDataPoint = new Type("SummaryDataPoint")
  .add(new Field("attributes", 7, "KeyValue", "repeated"))
  .add(new Field("timeUnixNano", 3, "fixed64"))
  .add(new Field("count", 4, "fixed64"))
  .add(new Field("sum", 5, "double"))
  .add(new Field("quantileValues", 6, "ValueAtQuantile", "repeated"));
const Gauge = new Type("Gauge").add(new Field("dataPoints", 1, "NumberDataPoint", "repeated"));
const Summary = new Type("Summary").add(new Field("dataPoints", 1, "SummaryDataPoint", "repeated"));
const Metric = new Type("Metric")
  .add(new Field("name", 1, "string"))
  .add(new Field("description", 2, "string"))
  .add(new Field("unit", 3, "string"))
  .add(new Field("gauge", 5, "Gauge"))
  .add(new Field("summary", 11, "Summary"))
  .add(new OneOf("data", ["gauge", "summary"]));
const ScopeMetrics = new Type("ScopeMetrics").add(new Field("scope", 1, "InstrumentationScope"))
  .add(new Field("metrics", 2, "Metric", "repeated"));
const ResourceMetrics = new Type("ResourceMetrics").add(new Field("resource", 1, "Resource"))
  .add(new Field("scopeMetrics", 2, "ScopeMetrics", "repeated"));
const ExportMetricsServiceRequest = new Type("ExportMetricsServiceRequest").add(
  new Field("resourceMetrics", 1, "ResourceMetrics", "repeated"),
);
new protobuf.Root().define("otlp").add(AnyValue).add(KeyValue).add(Resource).add(Scope).add(
  NumberDataPoint,
).add(ValueAtQuantile).add(SummaryDataPoint).add(Gauge).add(Summary).add(Metric).add(
  ScopeMetrics,
).add(ResourceMetrics).add(ExportMetricsServiceRequest);

function attributes(labels: Record<string, string>): Record<string, unknown>[] {
  return Object.entries(labels).map(([key, v]) => ({ key, value: { stringValue: v } }));
}

/** The unit of a family, as OTLP writes units (UCUM). */
function unitOf(name: string): string {
  if (name.endsWith("_seconds")) return "s";
  if (name.endsWith("_per_second")) return "1/s";
  if (name.endsWith("_ratio")) return "1";
  return "";
}

/** An `ExportMetricsServiceRequest` of `samples` at `timestampMs`, protobuf-encoded. */
export function encodeOtlp(samples: readonly Sample[], timestampMs: number): Uint8Array {
  // Nanoseconds do not fit a double exactly: given as a decimal string, which protobufjs reads
  // into a 64-bit integer.
  const timeUnixNano = (BigInt(Math.round(timestampMs)) * 1_000_000n).toString();
  const metrics: Record<string, unknown>[] = [];
  for (const f of FAMILIES) {
    const base = { name: f.name, description: f.help, unit: unitOf(f.name) };
    if (f.type === "gauge") {
      const points = samples.filter((s) => s.name === f.name).map((s) => ({
        attributes: attributes(s.labels),
        timeUnixNano,
        asDouble: s.value,
      }));
      if (points.length > 0) metrics.push({ ...base, gauge: { dataPoints: points } });
      continue;
    }
    // A summary: one point per label set, from its quantile, _sum and _count samples.
    const byKey = new Map<
      string,
      { labels: Record<string, string>; q: Map<string, number>; sum: number; count: number }
    >();
    for (const s of samples) {
      if (s.name !== f.name && s.name !== `${f.name}_sum` && s.name !== `${f.name}_count`) continue;
      const { quantile, ...labels } = s.labels;
      const key = JSON.stringify(labels);
      const e = byKey.get(key) ?? { labels, q: new Map(), sum: 0, count: 0 };
      byKey.set(key, e);
      if (s.name === f.name && quantile !== undefined) e.q.set(quantile, s.value);
      else if (s.name.endsWith("_sum")) e.sum = s.value;
      else if (s.name.endsWith("_count")) e.count = s.value;
    }
    const points = [...byKey.values()].map((e) => ({
      attributes: attributes(e.labels),
      timeUnixNano,
      count: e.count,
      sum: e.sum,
      quantileValues: QUANTILES.filter(([q]) => e.q.has(q)).map(([q]) => ({
        quantile: Number(q),
        value: e.q.get(q)!,
      })),
    }));
    if (points.length > 0) metrics.push({ ...base, summary: { dataPoints: points } });
  }
  const request = {
    resourceMetrics: [{
      resource: { attributes: attributes({ "service.name": "fakeai-bench" }) },
      scopeMetrics: [{ scope: { name: "fakeai-bench", version: "1" }, metrics }],
    }],
  };
  return ExportMetricsServiceRequest.encode(ExportMetricsServiceRequest.fromObject(request))
    .finish();
}
