/** Without usage, output tokens are the streamed text's tokens, not the chunks, and say so. */
import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { ChatClient } from "../../net/client.ts";
import { mockServer, timedStream, tok } from "../_mock.ts";

openTest(
  "a stream without usage: the text's tokens are counted (two tokens per chunk here), and by what",
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
      assert.equal(r.outputTokens, 12, "12 words, not 6 chunks");
      assert.equal(r.outputTokensEstimated, true);
      assert.equal(r.outputTokensCountedBy, "words");
      const custom = new ChatClient({
        baseUrl: mock.url,
        timeoutMs: 5000,
        tokenCounter: { name: "chars", count: (t) => t.replaceAll(" ", "").length },
      });
      const c = await custom.chat({ model: "m", messages: [], stream: true });
      custom.close();
      assert.equal(c.outputTokens, 24);
      assert.equal(c.outputTokensCountedBy, "chars");
    } finally {
      await mock.close();
    }
  },
);
