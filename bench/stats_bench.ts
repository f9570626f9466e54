/**
 * `deno bench bench/stats_bench.ts`: recording statistics, the per-request hot path
 * (RecordAggregator.add, Distribution.add) and merging distributions.
 *
 * `core/stats.ts` has no histogram type yet (HDR histograms are being added on another
 * branch); until then the merge bench measures `Distribution.merge`.
 *
 * @module
 */

import { emptyRecord, type RequestRecord } from "../core/record.ts";
import { Distribution, RecordAggregator } from "../core/stats.ts";

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
  name: "Distribution.add ×10k beyond the raw cap (counters only)",
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
