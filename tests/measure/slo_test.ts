import assert from "node:assert/strict";
import { missedSlos, parseSlo, SloTally } from "../../measure/slo.ts";
import { emptyRecord, type RequestRecord } from "../../measure/record.ts";
import { UsageError } from "../../util/errors.ts";

function rec(o: Partial<RequestRecord>): RequestRecord {
  return { ...emptyRecord(10, null), tEnd: 11, e2e: 1, outputTokens: 10, ...o };
}

Deno.test("SLOs parse from METRIC=BOUND; bad ones are usage errors naming the option", () => {
  assert.deepEqual(parseSlo("ttft=500ms"), {
    metric: "ttft",
    quantile: 1,
    limitS: 0.5,
    text: "ttft=500ms",
  });
  assert.equal(parseSlo("e2e=2s").limitS, 2);
  assert.equal(parseSlo("tpot=40").limitS, 0.04, "a bare number is milliseconds");
  assert.equal(parseSlo("itl.p99=80ms").quantile, 0.99);
  for (const bad of ["ttft", "ttfb=1s", "ttft=fast", "ttft=0ms", "e2e.p99=1s", "itl.p0=1ms"]) {
    assert.throws(
      () => parseSlo(bad),
      (e: unknown) => e instanceof UsageError && /--slo/.test(e.message),
      bad,
    );
  }
});

Deno.test("a request meets the set when it succeeded and meets every bound; failures meet none", () => {
  const slos = [parseSlo("ttft=100ms"), parseSlo("itl.p50=20ms"), parseSlo("e2e=1s")];
  const ok = rec({ ttft: 0.05, itl: [0.01, 0.01, 0.05], e2e: 0.9 });
  assert.deepEqual(missedSlos(slos, ok), []);
  const slowGaps = rec({ ttft: 0.05, itl: [0.03, 0.03, 0.01], e2e: 0.9 });
  assert.deepEqual(missedSlos(slos, slowGaps).map((s) => s.text), ["itl.p50=20ms"]);
  assert.equal(missedSlos(slos, rec({ outcome: "timeout" })).length, 3);
  // A non-streaming request has no TTFT or ITL: only E2E is judged.
  assert.deepEqual(missedSlos(slos, rec({ e2e: 0.5 })), []);
});

Deno.test("an open loop judges TTFT and E2E from the intended send time", () => {
  const slos = [parseSlo("ttft=100ms")];
  // Sent 80 ms late: 50 ms from the send, 130 ms from the schedule's point of view.
  const late = rec({ tIntended: 9.92, tSend: 10, ttft: 0.05 });
  assert.equal(missedSlos(slos, late).length, 1);
  const tally = new SloTally(slos);
  tally.add(late);
  tally.add(rec({ tIntended: 10, tSend: 10, ttft: 0.05 }));
  tally.add(rec({ outcome: "http_5xx" }));
  const s = tally.stats(2);
  assert.equal(s.corrected, true);
  assert.equal(s.met, 1);
  assert.ok(Math.abs(s.attainment_pct! - 100 / 3) < 1e-9);
  assert.equal(s.goodput_rps, 0.5);
  assert.equal(s.goodput_output_tps, 5);
  assert.deepEqual(s.missed_by, { "ttft=100ms": 1 });
  assert.equal(s.failed, 1);
});
