import assert from "node:assert/strict";
import { runSessions } from "../../load/sessions.ts";
import { runOpenLoop } from "../../load/loops.ts";
import { emptyRecord, type Outcome } from "../../measure/record.ts";
import { FakeClock } from "../../util/clock.ts";

/** A turn that answers after `ms` on the fake clock, logging when it was sent. */
function turnSender(
  clock: FakeClock,
  ms: number,
  log: string[],
  fail?: (s: number, t: number) => boolean,
) {
  return async (s: number, t: number, _sig: AbortSignal, intended: number | undefined) => {
    log.push(`${clock.now()} s${s}t${t}${intended !== undefined ? `@${intended}` : ""}`);
    await clock.sleep(ms);
    const r = emptyRecord(clock.now() / 1000);
    r.outcome = (fail?.(s, t) ? "http_5xx" : "ok") as Outcome;
    return r;
  };
}

Deno.test("closed sessions: turns in order after the answer plus think time, C sessions at once", async () => {
  const clock = new FakeClock();
  const log: string[] = [];
  const ended: [number, boolean, number][] = [];
  const out = await clock.run(runSessions({
    sessions: 3,
    turns: 2,
    concurrency: 2,
    rate: null,
    thinkMs: 100,
    clock,
    send: turnSender(clock, 10, log),
    onRecord: () => {},
    onSession: (s, ok, start, end) => ended.push([s, ok, end - start]),
  }));
  assert.equal(out.sent, 6);
  // Sessions 0 and 1 start at 0; each second turn after 10 ms answer + 100 ms think;
  // session 2 starts when a lane frees at 120.
  assert.deepEqual(log, ["0 s0t0", "0 s1t0", "110 s0t1", "110 s1t1", "120 s2t0", "230 s2t1"]);
  assert.deepEqual(ended, [[0, true, 120], [1, true, 120], [2, true, 120]]);
});

Deno.test("open sessions start at the rate, only first turns carry an intended time; a failed turn ends its session", async () => {
  const clock = new FakeClock();
  const log: string[] = [];
  const ended: [number, boolean][] = [];
  let records = 0;
  await clock.run(runSessions({
    sessions: 3,
    turns: 3,
    concurrency: 1,
    rate: 10,
    thinkMs: 0,
    clock,
    send: turnSender(clock, 250, log, (s, t) => s === 1 && t === 1),
    onRecord: () => records++,
    onSession: (s, ok) => ended.push([s, ok]),
  }));
  assert.deepEqual(log.filter((l) => l.includes("t0")), [
    "0 s0t0@0",
    "100 s1t0@100",
    "200 s2t0@200",
  ]);
  assert.ok(log.every((l) => l.includes("t0") || !l.includes("@")));
  assert.equal(records, 3 + 2 + 3, "session 1 stops after its failed second turn");
  assert.deepEqual(ended.sort(), [[0, true], [1, false], [2, true]]);
});

Deno.test("stop ends sessions at their next turn", async () => {
  const clock = new FakeClock();
  const stop = new AbortController();
  const log: string[] = [];
  const out = await clock.run(runSessions({
    sessions: 2,
    turns: 5,
    concurrency: 2,
    rate: null,
    thinkMs: 50,
    clock,
    stop: stop.signal,
    send: async (s, t, sig, i) => {
      if (t === 1) stop.abort();
      return await turnSender(clock, 10, log)(s, t, sig, i);
    },
    onRecord: () => {},
  }));
  assert.equal(out.interrupted, true);
  assert.ok(out.sent <= 4, `sent ${out.sent}`);
});

Deno.test("an open loop on a schedule of its own sends at the given offsets", async () => {
  const clock = new FakeClock(1000);
  const sent: [number, number][] = [];
  const out = await clock.run(runOpenLoop({
    rate: 0,
    arrival: "constant",
    warmup: 0,
    clock,
    offsetsMs: [0, 5, 5, 250],
    send: (i, _w, _s, t) => {
      sent.push([i, t]);
      const r = emptyRecord(clock.now() / 1000, t / 1000);
      return Promise.resolve(r);
    },
    onRecord: () => {},
  }));
  assert.deepEqual(sent, [[0, 1000], [1, 1005], [2, 1005], [3, 1250]]);
  assert.equal(out.scheduled, 4);
  assert.equal(out.offeredS, 0.25);
});
