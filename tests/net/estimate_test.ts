/**
 * Without usage, output tokens come from the best evidence, and say which: the model's own
 * tokenizer over the streamed text; else the token events (a foreign tokenizer's count of the
 * text is worse than the events); max_tokens when the server stopped at the length limit.
 */
import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { ChatClient } from "../../net/client.ts";
import { mockServer, timedStream, tok } from "../_mock.ts";

openTest(
  "a stream without usage: counted by the model's tokenizer, else by its events, and by what",
  async () => {
    // Six chunks of two words each; no usage at all.
    const parts: [number, string][] = Array.from({ length: 6 }, (_, i) => [0, tok(` w${i} x${i}`)]);
    parts.push([0, "data: [DONE]\n\n"]);
    const mock = mockServer(() => timedStream(parts));
    try {
      const words = new ChatClient({ baseUrl: mock.url, timeoutMs: 5000 });
      const r = await words.chat({ model: "m", messages: [], stream: true });
      words.close();
      assert.equal(r.outcome, "ok");
      // The default word count is not the model's tokenizer: the 6 events are the evidence.
      assert.equal(r.outputTokens, 6, "6 events, not a foreign tokenizer's 12 words");
      assert.equal(r.outputTokensEstimated, true);
      assert.equal(r.outputTokensCountedBy, "events");
      // The model's own tokenizer counts the text (two tokens per chunk here).
      const exact = new ChatClient({
        baseUrl: mock.url,
        timeoutMs: 5000,
        tokenCounter: { name: "model", count: (t) => t.trim().split(/\s+/).length, exact: true },
      });
      const c = await exact.chat({ model: "m", messages: [], stream: true });
      exact.close();
      assert.equal(c.outputTokens, 12);
      assert.equal(c.outputTokensCountedBy, "model");
    } finally {
      await mock.close();
    }
  },
);
