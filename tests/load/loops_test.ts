import assert from "node:assert/strict";
import { runClosedLoop, runOpenLoop } from "../../load/loops.ts";
import { emptyRecord, type RequestRecord } from "../../measure/record.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fakeSend(delayMs: number, track: { inFlight: number; peak: number }) {
  return async (_i: number, _warm: boolean, _s: AbortSignal, tIntended?: number) => {
    const t = performance.now();
    track.inFlight++;
    track.peak = Math.max(track.peak, track.inFlight);
    await sleep(delayMs);
    track.inFlight--;
    const r = emptyRecord(t / 1000, tIntended === undefined ? null : tIntended / 1000);
    r.tEnd = performance.now() / 1000;
    r.e2e = r.tEnd - r.tSend;
    return r;
  };
}

Deno.test("closed loop: exact count, never more than C in flight, warm-up not counted", async () => {
  const track = { inFlight: 0, peak: 0 };
  const got: number[] = [];
  let warm = 0;
  const send = fakeSend(5, track);
  const out = await runClosedLoop({
    requests: 37,
    concurrency: 4,
    warmup: 3,
    send: (i, w, s) => {
      if (w) warm++;
      return send(i, w, s);
    },
    onRecord: (_r, i) => got.push(i),
  });
  assert.equal(out.sent, 37);
  assert.equal(got.length, 37);
  assert.equal(new Set(got).size, 37);
  assert.equal(warm, 3);
  assert.equal(track.peak, 4);
});

Deno.test("closed loop: the stop signal ends sending early", async () => {
  const ac = new AbortController();
  const track = { inFlight: 0, peak: 0 };
  setTimeout(() => ac.abort(), 30);
  const out = await runClosedLoop({
    requests: 10_000,
    concurrency: 2,
    warmup: 0,
    stop: ac.signal,
    send: fakeSend(5, track),
    onRecord: () => {},
  });
  assert.ok(out.interrupted);
  assert.ok(out.sent < 10_000);
});

Deno.test("open loop: arrivals keep their schedule even when responses are slow", async () => {
  const track = { inFlight: 0, peak: 0 };
  const recs: RequestRecord[] = [];
  const out = await runOpenLoop({
    rate: 100,
    requests: 30,
    arrival: "constant",
    warmup: 0,
    send: fakeSend(200, track),
    onRecord: (r) => recs.push(r),
  });
  assert.equal(out.sent, 30);
  assert.equal(recs.length, 30);
  // 200 ms responses at 100/s need ~20 in flight: a closed loop would have serialised them.
  assert.ok(track.peak >= 10, `peak in flight ${track.peak}`);
  const intended = recs.map((r) => r.tIntended!).sort((a, b) => a - b);
  for (let i = 1; i < intended.length; i++) {
    assert.ok(Math.abs(intended[i] - intended[i - 1] - 0.01) < 1e-6, "intended gaps are exact");
  }
  const lag = recs.map((r) => r.tSend - r.tIntended!);
  assert.ok(lag.every((l) => l >= -1e-6), "never sent before its time");
});

Deno.test("open loop: a cap on in-flight requests shows up as queue delay", async () => {
  const track = { inFlight: 0, peak: 0 };
  const recs: RequestRecord[] = [];
  await runOpenLoop({
    rate: 200,
    requests: 20,
    arrival: "constant",
    maxInFlight: 2,
    warmup: 0,
    send: fakeSend(50, track),
    onRecord: (r) => recs.push(r),
  });
  assert.equal(track.peak, 2);
  const maxLag = Math.max(...recs.map((r) => r.tSend - r.tIntended!));
  assert.ok(maxLag > 0.2, `max queue delay ${maxLag}`);
});

Deno.test("open loop: Poisson arrivals average the rate", async () => {
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  const track = { inFlight: 0, peak: 0 };
  const recs: RequestRecord[] = [];
  await runOpenLoop({
    rate: 1000,
    requests: 200,
    arrival: "poisson",
    warmup: 0,
    random,
    send: fakeSend(0, track),
    onRecord: (r) => recs.push(r),
  });
  const t = recs.map((r) => r.tIntended!).sort((a, b) => a - b);
  const gaps = t.slice(1).map((x, i) => x - t[i]);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  assert.ok(mean > 0.0007 && mean < 0.0013, `mean gap ${mean}`);
  const distinct = new Set(gaps.map((g) => g.toFixed(6))).size;
  assert.ok(distinct > 100, "gaps vary");
});

Deno.test("open loop rejects a schedule without bound or rate", async () => {
  const track = { inFlight: 0, peak: 0 };
  const base = {
    arrival: "constant" as const,
    warmup: 0,
    send: fakeSend(0, track),
    onRecord: () => {},
  };
  await assert.rejects(runOpenLoop({ ...base, rate: 0, requests: 1 }), RangeError);
  await assert.rejects(runOpenLoop({ ...base, rate: 10 }), RangeError);
});
