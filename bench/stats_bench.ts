/**
 * `deno bench bench/stats_bench.ts`: recording statistics, the per-request hot path
 * (RecordAggregator.add, Distribution.add), HDR histogram recording (the house's against the
 * hdr-histogram-js library it replaced, 32-bit and packed counts), and merging distributions and
 * histograms.
 *
 * @module
 */

import * as hdr from "hdr-histogram-js";
import { emptyRecord, type RequestRecord } from "../measure/record.ts";
import { Distribution, HDR_SIGNIFICANT_DIGITS, newHistogram } from "../measure/distribution.ts";
import { RecordAggregator } from "../measure/aggregate.ts";

const N = 10_000;
const values = Float64Array.from({ length: N }, (_, i) => 0.05 + ((i * 7919) % 1000) / 1e4);

function record(i: number, streaming: boolean): RequestRecord {
  const r = emptyRecord(i / 1000);
  r.tEnd = r.tSend + values[i];
  r.e2e = values[i];
  r.outputTokens = 16;
  r.inputTokens = 32;
  if (streaming) {
    r.ttft = values[i] / 4;
    r.ttfc = values[i] / 5;
    r.tpot = values[i] / 20;
    r.itl = Array.from({ length: 15 }, (_, k) => 0.01 + k / 1e5);
  }
  return r;
}

const plain = Array.from({ length: N }, (_, i) => record(i, false));
const streamed = Array.from({ length: N }, (_, i) => record(i, true));

Deno.bench({
  name: "Distribution.add ×10k",
  group: "add",
  baseline: true,
  fn: () => {
    const d = new Distribution();
    for (let i = 0; i < N; i++) d.add(values[i]);
    if (d.count !== N) throw new Error("lost samples");
  },
});
Deno.bench({
  name: "Distribution.add ×10k beyond the raw cap (into the histogram)",
  group: "add",
  fn: () => {
    const d = new Distribution(0);
    for (let i = 0; i < N; i++) d.add(values[i]);
  },
});
Deno.bench({
  name: "RecordAggregator.add ×10k non-streaming records",
  group: "aggregate",
  baseline: true,
  fn: () => {
    const a = new RecordAggregator();
    for (const r of plain) a.add(r);
  },
});
Deno.bench({
  name: "RecordAggregator.add ×10k streaming records (15 ITL samples each)",
  group: "aggregate",
  fn: () => {
    const a = new RecordAggregator();
    for (const r of streamed) a.add(r);
  },
});

/** The hdr-histogram-js library's histogram in the house's precision, with `counts` layout. */
function referenceHistogram(counts: 32 | "packed"): hdr.Histogram {
  return hdr.build({
    bitBucketSize: counts,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: HDR_SIGNIFICANT_DIGITS,
    autoResize: true,
    useWebAssembly: false,
  });
}

const micros = Int32Array.from(values, (v) => Math.round(v * 1e6));
Deno.bench({
  name: "HDR recordValue ×10k, the house histogram (32-bit counts)",
  group: "histogram",
  baseline: true,
  fn: () => {
    const h = newHistogram();
    for (let i = 0; i < N; i++) h.recordValue(micros[i]);
  },
});
Deno.bench({
  name: "HDR recordValue ×10k, hdr-histogram-js 32-bit counts",
  group: "histogram",
  fn: () => {
    const h = referenceHistogram(32);
    for (let i = 0; i < N; i++) h.recordValue(micros[i]);
  },
});
Deno.bench({
  name: "HDR recordValue ×10k, hdr-histogram-js packed counts",
  group: "histogram",
  fn: () => {
    const h = referenceHistogram("packed");
    for (let i = 0; i < N; i++) h.recordValue(micros[i]);
  },
});

const histParts = Array.from({ length: 16 }, (_, k) => {
  const h = newHistogram();
  for (let i = k; i < N; i += 16) h.recordValue(micros[i]);
  return h;
});
Deno.bench({
  name: "HDR histogram merge of 16 parts + p99",
  group: "merge",
  fn: () => {
    const all = newHistogram();
    for (const p of histParts) all.add(p);
    if (all.totalCount !== N || !(all.getValueAtPercentile(99) > 0)) {
      throw new Error("lost samples");
    }
  },
});

const parts = Array.from({ length: 16 }, (_, k) => {
  const d = new Distribution();
  for (let i = k; i < N; i += 16) d.add(values[i]);
  return d;
});
Deno.bench({
  name: "Distribution.merge of 16 parts (10k samples) + summary",
  group: "merge",
  fn: () => {
    const all = new Distribution();
    for (const p of parts) all.merge(p);
    if (all.summary().count !== N) throw new Error("lost samples");
  },
});
