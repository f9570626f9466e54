import assert from "node:assert/strict";
import * as reference from "hdr-histogram-js";
import { HdrEncodingError, HdrHistogram } from "../../measure/hdr.ts";

/** Deterministic pseudo-random integers spread log-uniformly over 1 … 3.6e9 (1 µs … 1 h). */
function values(n: number, seed: number, top = 3.6e9): number[] {
  let x = seed;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(Math.round(Math.exp((x / 2147483648) * Math.log(top))));
  }
  return out;
}

/** The reference library's histogram with the house's settings. */
function referenceOf(vs: number[]): reference.Histogram {
  const h = reference.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });
  for (const v of vs) h.recordValue(v);
  return h;
}

const PERCENTILES = [0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

Deno.test("percentiles agree with the reference HdrHistogram library", () => {
  for (const [n, seed, top] of [[1, 1, 1e3], [7, 2, 1e4], [5000, 3, 3.6e9], [20000, 4, 1e6]]) {
    const vs = values(n, seed, top);
    vs.push(0);
    const ours = new HdrHistogram(3);
    for (const v of vs) ours.recordValue(v);
    const ref = referenceOf(vs);
    assert.equal(ours.totalCount, ref.totalCount);
    for (const p of PERCENTILES) {
      assert.equal(ours.getValueAtPercentile(p), ref.getValueAtPercentile(p), `n=${n} p${p}`);
    }
    assert.equal(ours.mean, ref.mean, `n=${n} mean`);
  }
});

Deno.test("our compressed encoding is read by the reference library, and theirs by us", () => {
  const vs = values(5000, 9);
  const ours = new HdrHistogram(3);
  for (const v of vs) ours.recordValue(v);
  const ref = referenceOf(vs);
  const text = ours.encodeCompressed();
  assert.match(text, /^HISTFAAA/);
  const refRead = reference.decodeFromCompressedBase64(text, 32, false);
  const weRead = HdrHistogram.decodeCompressed(reference.encodeIntoCompressedBase64(ref));
  assert.equal(refRead.totalCount, 5000);
  assert.equal(weRead.totalCount, 5000);
  for (const p of PERCENTILES) {
    assert.equal(refRead.getValueAtPercentile(p), ours.getValueAtPercentile(p), `theirs p${p}`);
    assert.equal(weRead.getValueAtPercentile(p), ref.getValueAtPercentile(p), `ours p${p}`);
  }
  assert.equal(weRead.maxValue, ours.highestEquivalentValue(Math.max(...vs)));
  assert.equal(weRead.minNonZeroValue, ours.lowestEquivalentValue(Math.min(...vs)));
});

Deno.test("merging adds counts exactly, across precisions too", () => {
  const a = values(3000, 5), b = values(2000, 6);
  const ha = new HdrHistogram(3), hb = new HdrHistogram(3), all = new HdrHistogram(3);
  for (const v of a) ha.recordValue(v), all.recordValue(v);
  for (const v of b) hb.recordValue(v), all.recordValue(v);
  ha.add(hb);
  assert.equal(ha.totalCount, 5000);
  for (const p of PERCENTILES) {
    assert.equal(ha.getValueAtPercentile(p), all.getValueAtPercentile(p));
  }
  assert.equal(ha.maxValue, Math.max(...a, ...b));
  // A 2-digit histogram's counts land in the 3-digit one's buckets at their bucket bottoms.
  const coarse = new HdrHistogram(2);
  coarse.recordValue(123_456, 4);
  const fine = new HdrHistogram(3);
  fine.add(coarse);
  assert.equal(fine.totalCount, 4);
  assert.equal(
    fine.getValueAtPercentile(50),
    fine.highestEquivalentValue(coarse.lowestEquivalentValue(123_456)),
  );
});

Deno.test("an empty histogram encodes, decodes and reads as empty", () => {
  const back = HdrHistogram.decodeCompressed(new HdrHistogram(3).encodeCompressed());
  assert.equal(back.totalCount, 0);
  assert.equal(back.getValueAtPercentile(99), 0);
  assert.equal(back.maxValue, 0);
});

Deno.test("bad encodings and values fail with typed errors", () => {
  assert.throws(() => HdrHistogram.decodeCompressed("not base64 !"), HdrEncodingError);
  assert.throws(() => HdrHistogram.decodeCompressed(btoa("abcdefgh")), HdrEncodingError);
  const good = new HdrHistogram(3);
  good.recordValue(1000);
  const text = good.encodeCompressed();
  const cut = atob(text).slice(0, 12);
  assert.throws(() => HdrHistogram.decodeCompressed(btoa(cut)), HdrEncodingError);
  // A count after a zero run that reaches past 2^53 would allocate without bound: refused.
  const raw = good.encode();
  const bogus = new Uint8Array(raw.length + 10);
  bogus.set(raw);
  const view = new DataView(bogus.buffer);
  view.setInt32(4, raw.length - 40 + 10);
  // ZigZag of -(2^50): 2^51 − 1, as LEB128 (eight 7-bit groups).
  let z = 2 ** 51 - 1;
  for (let i = 0; i < 8; i++) {
    bogus[raw.length + i] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  bogus[raw.length + 8] = z;
  bogus[raw.length + 9] = 2; // then a count of 1
  assert.throws(() => HdrHistogram.decode(bogus), /beyond 2\^53/);
  assert.throws(() => good.recordValue(-1), RangeError);
  assert.throws(() => new HdrHistogram(6), RangeError);
});
