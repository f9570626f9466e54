import assert from "node:assert/strict";
import { percentile } from "../../measure/summary.ts";
import {
  decodeHistogram,
  Distribution,
  encodeHistogram,
  HDR_RELATIVE_ERROR,
  HDR_UNITS_PER_SECOND,
  newHistogram,
} from "../../measure/distribution.ts";
import { mergeMetrics, RecordAggregator } from "../../measure/aggregate.ts";
import { emptyRecord, type RequestRecord } from "../../measure/record.ts";

/** Deterministic pseudo-random samples (seconds) spread over 1 ms … 2 s. */
function samples(n: number, seed: number): number[] {
  let x = seed;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(0.001 * Math.exp((x / 2147483648) * Math.log(2000)));
  }
  return out;
}

/** Two encoded histograms hold the same counts (the encoding also carries sizing headers). */
function sameCounts(a: string, b: string): void {
  const ha = decodeHistogram(a), hb = decodeHistogram(b);
  assert.equal(ha.totalCount, hb.totalCount);
  assert.equal(ha.minNonZeroValue, hb.minNonZeroValue);
  assert.equal(ha.maxValue, hb.maxValue);
  assert.equal(ha.mean, hb.mean);
  for (let p = 1; p < 100; p += 1) {
    assert.equal(ha.getValueAtPercentile(p), hb.getValueAtPercentile(p), `p${p}`);
  }
}

function within(actual: number, expected: number, rel: number, label: string): void {
  assert.ok(
    Math.abs(actual - expected) <= rel * expected + 1e-6,
    `${label}: ${actual} vs ${expected} (allowed ${rel})`,
  );
}

Deno.test("an HDR histogram survives the standard compressed encoding unchanged", () => {
  const h = newHistogram();
  for (const v of samples(5000, 7)) h.recordValue(Math.round(v * HDR_UNITS_PER_SECOND));
  const text = encodeHistogram(h);
  assert.match(text, /^HISTFAA/);
  const back = decodeHistogram(text);
  assert.equal(back.totalCount, 5000);
  for (const p of [50, 90, 99, 99.9]) {
    assert.equal(back.getValueAtPercentile(p), h.getValueAtPercentile(p), `p${p}`);
  }
  sameCounts(encodeHistogram(back), text);
});

Deno.test("beyond the raw cap, percentiles come from the histogram within its stated error", () => {
  const values = samples(20_000, 3);
  const d = new Distribution(1000);
  for (const v of values) d.add(v);
  assert.equal(d.exact, false);
  const s = d.summary();
  assert.equal(s.source, "histogram");
  assert.equal(s.relative_error, HDR_RELATIVE_ERROR);
  assert.equal(s.count, 20_000);
  assert.equal(s.min, Math.min(...values));
  assert.equal(s.max, Math.max(...values));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  within(s.mean, mean, 1e-9, "mean");
  // Rank resolution (1/20000 of the spread near each percentile) plus the histogram's bound.
  for (const [k, p] of [["p50", 0.5], ["p90", 0.9], ["p99", 0.99]] as const) {
    within(s[k], percentile(values, p), s.relative_error + 2e-3, k);
  }
  // Memory stays bounded: only the cap is kept raw.
  assert.equal(d.sorted().length, 1000);
});

Deno.test("under the cap the summary stays exact", () => {
  const d = new Distribution(100);
  for (const v of [0.3, 0.1, 0.2]) d.add(v);
  const s = d.summary();
  assert.equal(s.source, "exact");
  assert.equal(s.relative_error, 0);
  assert.equal(s.p50, 0.2);
});

Deno.test("merging distributions equals adding every sample to one", () => {
  const a = samples(3000, 11), b = samples(2000, 12);
  const whole = new Distribution(100);
  for (const v of [...a, ...b]) whole.add(v);
  const da = new Distribution(100), db = new Distribution(100);
  for (const v of a) da.add(v);
  for (const v of b) db.add(v);
  // Across a report: restore from summary + encoded histogram, then merge.
  const ra = Distribution.restore(da.summary(), da.encodedHistogram());
  ra.merge(Distribution.restore(db.summary(), db.encodedHistogram()));
  const sw = whole.summary(), sm = ra.summary();
  assert.equal(sm.count, 5000);
  assert.equal(sm.min, sw.min);
  assert.equal(sm.max, sw.max);
  within(sm.mean, sw.mean, 1e-9, "mean");
  within(sm.stdev, sw.stdev, 1e-6, "stdev");
  for (const k of ["p50", "p90", "p95", "p99", "p999"] as const) assert.equal(sm[k], sw[k], k);
  sameCounts(ra.encodedHistogram(), whole.encodedHistogram());
});

Deno.test("merging two exact distributions stays exact while it fits", () => {
  const a = new Distribution(10), b = new Distribution(10);
  [1, 2, 3].forEach((v) => a.add(v));
  [4, 5].forEach((v) => b.add(v));
  a.merge(b);
  assert.equal(a.exact, true);
  assert.deepEqual(a.sorted(), [1, 2, 3, 4, 5]);
  const c = new Distribution(10);
  for (let i = 0; i < 8; i++) c.add(10 + i);
  a.merge(c);
  assert.equal(a.exact, false);
  assert.equal(a.count, 13);
  assert.equal(a.summary().source, "histogram");
});

function rec(tSend: number, e2e: number, ok = true): RequestRecord {
  const r = emptyRecord(tSend);
  r.tEnd = tSend + e2e;
  r.e2e = e2e;
  r.outcome = ok ? "ok" : "http_5xx";
  r.outputTokens = ok ? 10 : 0;
  r.inputTokens = ok ? 5 : null;
  if (!ok) r.error = "HTTP 500";
  return r;
}

Deno.test("mergeMetrics adds counts, outcomes and tokens and unions the windows", () => {
  const a = new RecordAggregator(), b = new RecordAggregator();
  for (let i = 0; i < 30; i++) a.add(rec(100 + i * 0.1, 0.2 + i * 0.001));
  for (let i = 0; i < 20; i++) b.add(rec(101 + i * 0.1, 0.25 + i * 0.001, i % 10 !== 0));
  const ma = a.metrics(), mb = b.metrics();
  const m = mergeMetrics([ma, mb]);
  assert.equal(m.total_requests, 50);
  assert.equal(m.successful_requests, 48);
  assert.equal(m.outcomes.http_5xx, 2);
  assert.equal(m.total_output_tokens, 480);
  assert.equal(m.total_input_tokens, 240);
  assert.equal(m.window_start_epoch_s, ma.window_start_epoch_s);
  assert.equal(m.window_end_epoch_s, mb.window_end_epoch_s);
  within(m.window_s, m.window_end_epoch_s! - m.window_start_epoch_s!, 1e-12, "window");
  within(m.requests_per_second, 48 / m.window_s, 1e-12, "rps");
  assert.deepEqual(m.error_samples, ["http_5xx: HTTP 500"]);
  // Raw latencies of both were complete: the merged latency summary is exact.
  assert.equal(m.latency.source, "exact");
  assert.equal(m.latencies.length, 48);
  // The same as aggregating everything in one place.
  const both = new RecordAggregator();
  both.merge(a);
  both.merge(b);
  const mm = both.metrics();
  assert.equal(m.latency.p90, mm.latency.p90);
  sameCounts(m.histograms.latency, mm.histograms.latency);
});

Deno.test("chart samples stand for every sample, also past the raw cap: a late stall shows", () => {
  const d = new Distribution(1000);
  for (let i = 0; i < 5000; i++) d.add(0.005 + (i % 10) * 0.0001);
  for (let i = 0; i < 60; i++) d.add(0.318); // a stall after the cap: 60 gaps of 318 ms
  assert.equal(d.exact, false);
  const s = d.chartSamples(1000);
  assert.equal(s.length, 1000);
  assert.equal(s.at(-1), 0.318, "the max is exact");
  // 60 of 5060 samples are the stall: about 12 of 1000 chart points.
  const stall = s.filter((x) => x > 0.3).length;
  assert.ok(stall >= 10 && stall <= 13, `stall points ${stall}`);
  for (let i = 1; i < s.length; i++) assert.ok(s[i] >= s[i - 1], "ascending");
  // Exact while the raw samples are all kept: the order statistics themselves.
  const e = new Distribution(1000);
  for (const v of [3, 1, 2]) e.add(v);
  assert.deepEqual(e.chartSamples(1000), [1, 2, 3]);
});
