/**
 * The official `@anthropic-ai/sdk` works against the embedded server's `/v1/messages`
 * unchanged, streamed and not, with its own key header; errors come back in Anthropic's shape.
 */
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { withServer } from "./_helpers.ts";

const FAST = { ttftMs: 1, itlMs: 1, latencyMs: 0, prefillMsPerToken: 0 };

Deno.test({
  name: "the Anthropic SDK: messages streamed and not, usage and stop reason",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withServer({ ...FAST, apiKeys: ["sk-ant-test"] }, async (server) => {
      const c = new Anthropic({ baseURL: server.url, apiKey: "sk-ant-test", maxRetries: 0 });
      const msg = await c.messages.create({
        model: "claude-test",
        max_tokens: 6,
        system: "be brief",
        messages: [{ role: "user", content: "hello there friend" }],
      });
      assert.equal(msg.type, "message");
      assert.equal(msg.stop_reason, "max_tokens");
      assert.equal(msg.usage.output_tokens, 6);
      assert.equal(msg.usage.input_tokens + (msg.usage.cache_read_input_tokens ?? 0), 5);
      const block = msg.content[0];
      assert.ok(block.type === "text" && block.text.trim().length > 0);

      const stream = c.messages.stream({
        model: "claude-test",
        max_tokens: 5,
        messages: [{ role: "user", content: [{ type: "text", text: "stream please" }] }],
      });
      let deltas = 0;
      stream.on("text", () => deltas++);
      const final = await stream.finalMessage();
      assert.equal(deltas, 5);
      assert.equal(final.usage.output_tokens, 5);
      assert.equal(final.stop_reason, "max_tokens");

      // A bad request is an Anthropic error the SDK recognises.
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        () => c.messages.create({ model: "m", messages: [] } as any),
        (e: unknown) =>
          e instanceof Anthropic.BadRequestError &&
          /max_tokens|messages/.test((e as Error).message),
      );
      const wrong = new Anthropic({ baseURL: server.url, apiKey: "nope", maxRetries: 0 });
      await assert.rejects(
        () =>
          wrong.messages.create({
            model: "m",
            max_tokens: 1,
            messages: [{ role: "user", content: "x" }],
          }),
        Anthropic.AuthenticationError,
      );
    }),
});
