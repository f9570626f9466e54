import assert from "node:assert/strict";
import { runClosedLoop, runOpenLoop } from "../../load/loops.ts";
import { emptyRecord, type RequestRecord } from "../../measure/record.ts";
import { FakeClock } from "../../util/clock.ts";

/** In-flight count and its peak, as a server would see them. */
interface Track {
  inFlight: number;
  peak: number;
}

/** A send that answers after `delayMs` on `clock`, stamping its record on that clock. */
function fakeSend(clock: FakeClock, delayMs: number, track: Track) {
  return async (_i: number, _warm: boolean, _s: AbortSignal, tIntended?: number) => {
    const t = clock.now();
    track.inFlight++;
    track.peak = Math.max(track.peak, track.inFlight);
    await clock.sleep(delayMs);
    track.inFlight--;
    const r = emptyRecord(t / 1000, tIntended === undefined ? null : tIntended / 1000);
    r.tEnd = clock.now() / 1000;
    r.e2e = r.tEnd - r.tSend;
    return r;
  };
}

Deno.test("closed loop: exact count, never more than C in flight, warm-up not counted", async () => {
  const clock = new FakeClock();
  const track = { inFlight: 0, peak: 0 };
  const got: number[] = [];
  let warm = 0;
  const send = fakeSend(clock, 5, track);
  const out = await clock.run(runClosedLoop({
    requests: 37,
    concurrency: 4,
    warmup: 3,
    send: (i, w, s) => {
      if (w) warm++;
      return send(i, w, s);
    },
    onRecord: (_r, i) => got.push(i),
  }));
  assert.equal(out.sent, 37);
  assert.equal(got.length, 37);
  assert.equal(new Set(got).size, 37);
  assert.equal(warm, 3);
  assert.equal(track.peak, 4);
  // Warm-up: one wave of 3 (5 ms); then 37 requests in 4 lanes: ceil(37 / 4) = 10 waves.
  assert.equal(clock.now(), 5 + 10 * 5);
});

Deno.test("closed loop: the stop signal ends sending early, in-flight requests finish", async () => {
  const clock = new FakeClock();
  const ac = new AbortController();
  const track = { inFlight: 0, peak: 0 };
  let records = 0;
  const out = await clock.run(runClosedLoop({
    requests: 10_000,
    concurrency: 2,
    warmup: 0,
    stop: ac.signal,
    send: fakeSend(clock, 5, track),
    onRecord: () => {
      if (++records === 6) ac.abort();
    },
  }));
  assert.ok(out.interrupted);
  // Both lanes end each 5 ms wave together: the first to finish the third wave sends the
  // seventh request before the second's completion (the sixth) stops the loop.
  assert.equal(out.sent, 7);
  assert.equal(records, 7);
});

Deno.test("open loop: arrivals keep their exact schedule even when responses are slow", async () => {
  const clock = new FakeClock(1000);
  const track = { inFlight: 0, peak: 0 };
  const recs: RequestRecord[] = [];
  const out = await clock.run(runOpenLoop({
    rate: 100,
    requests: 30,
    arrival: "constant",
    warmup: 0,
    clock,
    send: fakeSend(clock, 200, track),
    onRecord: (r) => recs.push(r),
  }));
  assert.equal(out.sent, 30);
  assert.equal(out.startMs, 1000);
  assert.equal(out.offeredS, 0.29);
  assert.equal(recs.length, 30);
  // 200 ms answers at 100/s: 20 in flight at once; a closed loop would have serialised them.
  assert.equal(track.peak, 20);
  const byIntended = [...recs].sort((a, b) => a.tIntended! - b.tIntended!);
  for (const [i, r] of byIntended.entries()) {
    assert.equal(r.tIntended, (1000 + i * 10) / 1000, `arrival ${i} intended`);
    assert.equal(r.tSend, r.tIntended, `arrival ${i} sent on time`);
  }
  // The last arrival (290 ms) ends 200 ms later.
  assert.equal(clock.now(), 1000 + 290 + 200);
});

Deno.test("open loop: a cap on in-flight requests shows up as exact queue delay", async () => {
  const clock = new FakeClock();
  const track = { inFlight: 0, peak: 0 };
  const recs: RequestRecord[] = [];
  await clock.run(runOpenLoop({
    rate: 200,
    requests: 20,
    arrival: "constant",
    maxInFlight: 2,
    warmup: 0,
    clock,
    send: fakeSend(clock, 50, track),
    onRecord: (r) => recs.push(r),
  }));
  assert.equal(track.peak, 2);
  // Arrivals every 5 ms; arrival i takes the slot arrival i − 2 frees 50 ms after its send.
  const byIntended = [...recs].sort((a, b) => a.tIntended! - b.tIntended!);
  const sendMs: number[] = [];
  for (const [i, r] of byIntended.entries()) {
    sendMs.push(Math.max(i * 5, i >= 2 ? sendMs[i - 2] + 50 : 0));
    assert.ok(Math.abs(r.tSend * 1000 - sendMs[i]) < 1e-9, `arrival ${i}: ${r.tSend * 1000}`);
    assert.ok(Math.abs((r.tSend - r.tIntended!) * 1000 - (sendMs[i] - i * 5)) < 1e-9);
  }
  // The queue delay grows by 40 ms every two arrivals: the cap, not the server, delays them.
  assert.equal(sendMs[19] - 19 * 5, 9 * 40);
});

Deno.test("open loop: the stop signal ends the schedule; nothing is sent after it", async () => {
  const clock = new FakeClock();
  const ac = new AbortController();
  const track = { inFlight: 0, peak: 0 };
  const recs: RequestRecord[] = [];
  const work = runOpenLoop({
    rate: 10,
    durationS: 60,
    arrival: "constant",
    warmup: 0,
    clock,
    stop: ac.signal,
    send: fakeSend(clock, 20, track),
    onRecord: (r) => recs.push(r),
  });
  await clock.advanceTo(450);
  ac.abort();
  const out = await clock.run(work);
  assert.ok(out.interrupted);
  assert.equal(out.scheduled, 5); // 0, 100, 200, 300, 400 ms
  assert.equal(recs.length, 5);
});

Deno.test("open loop: Poisson arrivals average the rate", async () => {
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  const clock = new FakeClock();
  const track = { inFlight: 0, peak: 0 };
  const recs: RequestRecord[] = [];
  await clock.run(runOpenLoop({
    rate: 1000,
    requests: 2000,
    arrival: "poisson",
    warmup: 0,
    random,
    clock,
    send: fakeSend(clock, 0, track),
    onRecord: (r) => recs.push(r),
  }));
  const t = recs.map((r) => r.tIntended!).sort((a, b) => a - b);
  const gaps = t.slice(1).map((x, i) => x - t[i]);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  // 1999 exponential gaps of mean 1 ms: the standard error is 1/sqrt(1999) ≈ 2.2%.
  assert.ok(mean > 0.0009 && mean < 0.0011, `mean gap ${mean}`);
  const distinct = new Set(gaps.map((g) => g.toFixed(9))).size;
  assert.ok(distinct > 1900, "gaps vary");
  assert.ok(recs.every((r) => r.tSend === r.tIntended), "every arrival sent on time");
});

Deno.test("open loop rejects a schedule without bound or rate", async () => {
  const clock = new FakeClock();
  const track = { inFlight: 0, peak: 0 };
  const base = {
    arrival: "constant" as const,
    warmup: 0,
    clock,
    send: fakeSend(clock, 0, track),
    onRecord: () => {},
  };
  await assert.rejects(runOpenLoop({ ...base, rate: 0, requests: 1 }), RangeError);
  await assert.rejects(runOpenLoop({ ...base, rate: 10 }), RangeError);
});

Deno.test("both loops await afterWarmup once, after every warm-up answer and before counting", async () => {
  for (const kind of ["closed", "open"] as const) {
    const clock = new FakeClock(1000);
    const track = { inFlight: 0, peak: 0 };
    const events: string[] = [];
    const send = fakeSend(clock, 5, track);
    const common = {
      warmup: 3,
      afterWarmup: async () => {
        events.push(`hook, ${track.inFlight} in flight`);
        // The hook takes time of its own (a tokenizer loading): counting waits for it.
        await clock.sleep(50);
      },
      send: async (i: number, w: boolean, s: AbortSignal, t?: number) => {
        events.push(w ? "warm" : "count");
        return await send(i, w, s, t);
      },
      onRecord: () => {},
    };
    const out = await clock.run(
      kind === "closed"
        ? runClosedLoop({ ...common, requests: 4, concurrency: 2 })
        : runOpenLoop({ ...common, rate: 100, requests: 4, arrival: "constant", clock }),
    );
    assert.equal(out.sent, 4, kind);
    assert.deepEqual(
      events,
      ["warm", "warm", "warm", "hook, 0 in flight", "count", "count", "count", "count"],
      kind,
    );
    if (kind === "open") {
      // The schedule starts once the hook is done: no arrival is late for the hook's time.
      const o = out as Awaited<ReturnType<typeof runOpenLoop>>;
      assert.equal(o.startMs, 1000 + 3 * 5 + 50);
    }
  }
});

Deno.test("a stopped warm-up does not call afterWarmup", async () => {
  const stop = new AbortController();
  let called = false;
  stop.abort();
  await runClosedLoop({
    requests: 2,
    concurrency: 1,
    warmup: 1,
    stop: stop.signal,
    afterWarmup: () => {
      called = true;
      return Promise.resolve();
    },
    send: () => Promise.resolve(emptyRecord(0, null)),
    onRecord: () => {},
  });
  assert.equal(called, false);
});
