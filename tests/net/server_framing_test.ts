/**
 * Real servers' stream framings (docs/servers.md, "What servers send"): a llama.cpp-style
 * stream ends with its last chunk's finish reason and no `data: [DONE]`; each of its events
 * carries one token and no usage. A stream that breaks off is still cut.
 */
import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { ChatClient } from "../../net/client.ts";
import { ev, mockServer, timedStream } from "../_mock.ts";

/** A llama.cpp-style stream: `n` one-token chunks, the last with `finish`, no usage, no [DONE]. */
function llamaStream(n: number, finish: string | null): Response {
  const parts: [number, string][] = Array.from({ length: n }, (_, k) => [
    0,
    ev({
      choices: [{
        index: 0,
        delta: { content: k === 0 ? "Once" : ` t${k}` },
        finish_reason: k === n - 1 ? finish : null,
      }],
    }),
  ]);
  return timedStream(parts);
}

openTest(
  "a stream that ends on its finish reason without [DONE] is complete, 64 of 64 tokens",
  async () => {
    const mock = mockServer(() => llamaStream(64, "length"));
    const client = new ChatClient({ baseUrl: mock.url, timeoutMs: 5000 });
    try {
      const r = await client.chat({ model: "m", messages: [], stream: true, max_tokens: 64 });
      assert.equal(r.outcome, "ok", r.error ?? "");
      assert.equal(r.doneMarker, false, "no [DONE] seen");
      assert.equal(r.finishReason, "length");
      // The server stopped at the length limit: exactly max_tokens, not a tokenizer's guess.
      assert.equal(r.outputTokens, 64);
      assert.equal(r.outputTokensCountedBy, "max_tokens");
      assert.equal(r.itl.length, 63);
    } finally {
      client.close();
      await mock.close();
    }
  },
);

openTest(
  "without usage or a length limit, a stream's tokens are its events when the tokenizer is not the model's",
  async () => {
    const mock = mockServer(() => llamaStream(40, "stop"));
    const client = new ChatClient({ baseUrl: mock.url, timeoutMs: 5000 });
    try {
      const r = await client.chat({ model: "m", messages: [], stream: true, max_tokens: 64 });
      assert.equal(r.outcome, "ok");
      assert.equal(r.outputTokens, 40);
      assert.equal(r.outputTokensCountedBy, "events");
    } finally {
      client.close();
      await mock.close();
    }
  },
);

openTest(
  "a stream that breaks off, or ends with neither a finish reason nor [DONE], is cut",
  async () => {
    const broken = mockServer(() =>
      timedStream(
        [[0, ev({ choices: [{ index: 0, delta: { content: "a" }, finish_reason: null }] })]],
        { cut: true },
      )
    );
    const unfinished = mockServer(() => llamaStream(5, null));
    const a = new ChatClient({ baseUrl: broken.url, timeoutMs: 5000 });
    const b = new ChatClient({ baseUrl: unfinished.url, timeoutMs: 5000 });
    try {
      assert.equal(
        (await a.chat({ model: "m", messages: [], stream: true })).outcome,
        "stream_cut",
      );
      const r = await b.chat({ model: "m", messages: [], stream: true });
      assert.equal(r.outcome, "stream_cut");
      assert.match(r.error ?? "", /without a finish reason or \[DONE\]/);
    } finally {
      a.close();
      b.close();
      await broken.close();
      await unfinished.close();
    }
  },
);

openTest("a non-streaming answer cut at the length limit counts max_tokens", async () => {
  const mock = mockServer(() =>
    Response.json({
      choices: [{
        index: 0,
        message: { role: "assistant", content: "a b c d" },
        finish_reason: "length",
      }],
    })
  );
  const client = new ChatClient({ baseUrl: mock.url, timeoutMs: 5000 });
  try {
    const r = await client.chat({ model: "m", messages: [], max_tokens: 16 });
    assert.equal(r.outcome, "ok");
    assert.equal(r.outputTokens, 16);
    assert.equal(r.outputTokensCountedBy, "max_tokens");
  } finally {
    client.close();
    await mock.close();
  }
});
