import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { runOpenTest } from "../../runner/runner.ts";
import { DEFAULT_SERVER_OPTIONS, startServer } from "../../server/mod.ts";
import { CONCURRENT_PAYLOAD } from "../../suites/concurrent/tests.ts";
import { testContext } from "./_ctx.ts";

/** The embedded server with every latency flag at zero, plus `over`. */
function fastServer(over: Record<string, number> = {}) {
  return startServer({
    ...DEFAULT_SERVER_OPTIONS,
    profile: "constant",
    host: "127.0.0.1",
    port: 0,
    ttftMs: 0,
    itlMs: 0,
    latencyMs: 0,
    prefillMsPerToken: 0,
    ...over,
  });
}

const payload = { ...CONCURRENT_PAYLOAD, max_tokens: 5 };

openTest(
  "a 1 s server pause shows in corrected p99 but not in p99 from the actual send",
  async () => {
    // The pause starts 1 s after the server starts; the schedule starts right away. With one
    // request in flight at most, the client holds every arrival of the pause back: only the
    // one request caught in the pause sees it from its send, while ~50 arrivals wait.
    const server = await fastServer({ pauseAtS: 1, pauseMs: 1000 });
    try {
      const r = await runOpenTest(testContext(server.url), {
        suite: "concurrent",
        name: "paused",
        payload,
        rate: 50,
        durationS: 4,
        maxInFlight: 1,
      });
      const m = r.metrics;
      assert.equal(m.failed_requests, 0);
      assert.equal(m.total_requests, 200);
      const p99 = m.latency.p99 * 1000;
      const corrected = m.latency_corrected!.p99 * 1000;
      assert.ok(corrected > 500 && corrected < 1300, `corrected p99 ${corrected} ms`);
      assert.ok(p99 < 100, `p99 from the actual send ${p99} ms`);
      assert.ok(m.latency.max > 0.9, "the request caught in the pause waited it out");
      assert.ok(m.queue_delay!.p99 > 0.5, `queue delay p99 ${m.queue_delay!.p99}`);
      assert.equal(r.extra.schedule_kept, false);
      assert.ok(r.notes.some((n) => /schedule not kept/.test(n)), r.notes.join("; "));
    } finally {
      await server.shutdown();
    }
  },
);

openTest("offered and achieved rate agree within 2% at 100 RPS against a fast server", async () => {
  const server = await fastServer();
  try {
    const r = await runOpenTest(testContext(server.url), {
      suite: "concurrent",
      name: "fast",
      payload,
      rate: 100,
      durationS: 2,
    });
    assert.equal(r.metrics.total_requests, 200);
    assert.equal(r.metrics.failed_requests, 0);
    assert.equal(r.extra.offered_rate, 100);
    const achieved = r.extra.achieved_rate as number;
    assert.ok(Math.abs(achieved - 100) / 100 < 0.02, `achieved ${achieved}/s`);
    // Without a cap and with a fast server, corrected and uncorrected latency differ only by
    // the timer's lag.
    const gap = r.metrics.latency_corrected!.p50 - r.metrics.latency.p50;
    assert.ok(gap >= 0 && gap < 0.01, `corrected − uncorrected p50 ${gap} s`);
  } finally {
    await server.shutdown();
  }
});
