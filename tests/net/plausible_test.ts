/**
 * What a server reports that cannot be is never a measured figure: token counts that are
 * negative, fractional or not finite, more cached than prompt tokens, or more tokens than any
 * engine generates in the measured time are set aside, noted, and the count estimated.
 */
import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { ChatClient } from "../../net/client.ts";
import { RecordAggregator } from "../../measure/aggregate.ts";
import { mockServer } from "../_mock.ts";

function answer(usage: Record<string, unknown>): Response {
  return Response.json({
    choices: [{ index: 0, message: { content: "one two three four" }, finish_reason: "stop" }],
    usage,
  });
}

const CASES: [string, Record<string, unknown>, RegExp, (r: Record<string, unknown>) => void][] = [
  [
    "cached > prompt",
    { prompt_tokens: 10, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 100000 } },
    /cached_tokens 100000 of 10 prompt tokens/,
    (r) => assert.equal(r.cachedTokens, null),
  ],
  [
    "negative cached",
    { prompt_tokens: 10, completion_tokens: 4, prompt_tokens_details: { cached_tokens: -500 } },
    /cached_tokens -500/,
    (r) => assert.equal(r.cachedTokens, null),
  ],
  [
    "completion_tokens 1e308",
    { prompt_tokens: 10, completion_tokens: 1e308 },
    /completion_tokens 1e\+308/,
    (r) => {
      assert.equal(r.outputTokensEstimated, true);
      assert.ok((r.outputTokens as number) < 100);
    },
  ],
  [
    "half a token",
    { prompt_tokens: 10, completion_tokens: 0.5 },
    /completion_tokens 0\.5/,
    (r) => assert.equal(r.outputTokensEstimated, true),
  ],
  [
    "a billion tokens in milliseconds",
    { prompt_tokens: 10, completion_tokens: 1_000_000_000 },
    /completion_tokens 1000000000 in [\d.]+ ms/,
    (r) => {
      assert.equal(r.outputTokensEstimated, true);
      assert.ok((r.outputTokens as number) < 100);
    },
  ],
];

for (const [name, usage, why, check] of CASES) {
  openTest(`implausible usage (${name}) is set aside and noted`, async () => {
    const mock = mockServer(() => answer(usage));
    const client = new ChatClient({ baseUrl: mock.url, timeoutMs: 5000 });
    try {
      const r = await client.chat({ model: "m", messages: [], max_tokens: 8 });
      assert.equal(r.outcome, "ok", r.error ?? "");
      assert.match(r.implausible ?? "", why);
      check(r as unknown as Record<string, unknown>);
      const agg = new RecordAggregator();
      agg.add(r);
      const m = agg.metrics();
      assert.equal(m.implausible_usage?.count, 1);
      assert.ok(Number.isFinite(m.total_output_tokens) && m.total_output_tokens < 100);
    } finally {
      client.close();
      await mock.close();
    }
  });
}

openTest("plausible usage is taken as it is, nothing noted", async () => {
  const mock = mockServer(() =>
    answer({ prompt_tokens: 10, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 8 } })
  );
  const client = new ChatClient({ baseUrl: mock.url, timeoutMs: 5000 });
  try {
    const r = await client.chat({ model: "m", messages: [], max_tokens: 8 });
    assert.equal(r.implausible, null);
    assert.equal(r.outputTokens, 4);
    assert.equal(r.cachedTokens, 8);
    assert.equal(r.outputTokensEstimated, false);
  } finally {
    client.close();
    await mock.close();
  }
});
