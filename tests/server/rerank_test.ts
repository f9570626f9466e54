/**
 * The embedded server's rerank and score APIs: vLLM's, Jina's and Cohere's request shapes,
 * results sorted by relevance and cut to `top_n`, scores deterministic; the client reads
 * each answer shape, Cohere's billed units among them.
 */
import assert from "node:assert/strict";
import { withServer } from "./_helpers.ts";
import { ChatClient } from "../../net/client.ts";
import { mockServer } from "../_mock.ts";
import { openTest } from "../_open.ts";

const FAST = { ttftMs: 1, itlMs: 1, latencyMs: 0, prefillMsPerToken: 0 };

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

Deno.test({
  name:
    "rerank: sorted by relevance, cut to top_n, the same scores every time; score: one per document",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withServer(FAST, async (server) => {
      const documents = ["the cat sat", { text: "dogs bark loudly" }, "a cat and a dog", "rain"];
      const a = await (await post(`${server.url}/v1/rerank`, {
        model: "r",
        query: "cat",
        documents,
        top_n: 3,
      })).json();
      assert.equal(a.results.length, 3);
      const scores = a.results.map((r: { relevance_score: number }) => r.relevance_score);
      assert.deepEqual(scores, [...scores].sort((x, y) => y - x));
      assert.ok(scores.every((s: number) => s >= 0 && s <= 1));
      const b =
        await (await post(`${server.url}/v2/rerank`, { model: "r", query: "cat", documents }))
          .json();
      assert.equal(b.results.length, 4);
      assert.equal(b.results[0].relevance_score, a.results[0].relevance_score);
      const s = await (await post(`${server.url}/v1/score`, {
        model: "r",
        text_1: "cat",
        text_2: ["the cat sat", "rain"],
      })).json();
      assert.equal(s.data.length, 2);
      assert.ok(Number.isFinite(s.data[0].score));
      assert.ok(s.usage.prompt_tokens > 0);
      const bad = await post(`${server.url}/v1/rerank`, {
        model: "r",
        query: "cat",
        documents: [],
      });
      assert.equal(bad.status, 400);
      await bad.body?.cancel();
    }),
});

openTest(
  "the rerank client reads Cohere's answer (billed units) and refuses one without scores",
  async () => {
    let n = 0;
    const mock = mockServer(() =>
      Response.json(
        n++ === 0
          ? {
            id: "x",
            results: [{ index: 0, relevance_score: 0.9 }, { index: 1, relevance_score: 0.1 }],
            meta: { billed_units: { search_units: 1, input_tokens: 42 } },
          }
          : { results: [{ index: 0 }] },
      )
    );
    const client = new ChatClient({ baseUrl: mock.url, timeoutMs: 5000, endpoint: "rerank" });
    try {
      const ok = await client.chat({ model: "r", query: "q", documents: ["a", "b"] });
      assert.equal(ok.outcome, "ok", ok.error ?? "");
      assert.equal(ok.inputTokens, 42);
      const bad = await client.chat({ model: "r", query: "q", documents: ["a"] });
      assert.equal(bad.outcome, "bad_body");
      assert.match(bad.error ?? "", /results\[0\] has no relevance_score/);
    } finally {
      client.close();
      await mock.close();
    }
  },
);
