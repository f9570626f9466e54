import assert from "node:assert/strict";
import { runClosedTest } from "../../runner/runner.ts";
import { testContext } from "../e2e/_ctx.ts";
import { mockServer } from "../_mock.ts";

/** A server that answers at once and counts warm-up requests and TCP connections. */
function counting() {
  let warm = 0, counted = 0, coldConnections = 0;
  const peers = new Set<string>();
  const mock = mockServer(async (req, info) => {
    const body = await req.text();
    if (body.includes("warm-up")) warm++;
    else {
      counted++;
      // A counted request on a connection the warm-up did not open.
      if (!peers.has(`${info.remoteAddr.port}`)) coldConnections++;
    }
    peers.add(`${info.remoteAddr.port}`);
    return new Response(
      JSON.stringify({
        choices: [{ index: 0, message: { role: "assistant", content: "ok" } }],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      }),
      { headers: { "content-type": "application/json" } },
    );
  });
  return { mock, warm: () => warm, counted: () => counted, cold: () => coldConnections };
}

const payload = {
  label: "p",
  model: "m",
  messages: [{ role: "user" as const, content: "hi" }],
  max_tokens: 4,
  stream: false,
};

Deno.test("a closed test warms every lane: at least one warm-up request per connection", async () => {
  const s = counting();
  try {
    const r = await runClosedTest(testContext(s.mock.url, { warmup: 2 }), {
      suite: "throughput",
      name: "lanes",
      payload,
      requests: 24,
      concurrency: 6,
    });
    assert.equal(s.warm(), 6, "warm-up requests");
    assert.equal(s.counted(), 24);
    assert.equal(s.cold(), 0, "counted requests that had to open a connection");
    assert.deepEqual(r.load, { kind: "closed", requests: 24, concurrency: 6, warmup: 6 });
    // More warm-up than lanes is kept; none asked for is none.
    const more = counting();
    try {
      await runClosedTest(testContext(more.mock.url, { warmup: 9 }), {
        suite: "throughput",
        name: "more",
        payload,
        requests: 6,
        concurrency: 3,
      });
      assert.equal(more.warm(), 9);
    } finally {
      await more.mock.close();
    }
    const none = counting();
    try {
      await runClosedTest(testContext(none.mock.url, { warmup: 0 }), {
        suite: "throughput",
        name: "none",
        payload,
        requests: 6,
        concurrency: 3,
      });
      assert.equal(none.warm(), 0);
    } finally {
      await none.mock.close();
    }
  } finally {
    await s.mock.close();
  }
});
