/**
 * The official `openai` client library works against the embedded server unchanged, on all
 * four endpoints, streamed and not.
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import { withServer } from "./_helpers.ts";

const FAST = { ttftMs: 1, itlMs: 1, latencyMs: 0, prefillMsPerToken: 0 };

Deno.test({
  name: "the openai SDK: chat, completions, embeddings and responses, streamed and not",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withServer(FAST, async (server) => {
      const c = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "test", maxRetries: 0 });
      const chat = await c.chat.completions.create({
        model: "m",
        messages: [{ role: "user", content: "hi there" }],
        max_tokens: 3,
        stream: true,
        stream_options: { include_usage: true },
      });
      let deltas = 0, usage = 0;
      for await (const ch of chat) {
        if (ch.choices[0]?.delta?.content) deltas++;
        if (ch.usage) usage = ch.usage.completion_tokens;
      }
      assert.equal(deltas, 3);
      assert.equal(usage, 3);

      const comp = await c.completions.create({ model: "m", prompt: "one two", max_tokens: 4 });
      assert.equal(comp.usage?.completion_tokens, 4);
      assert.equal(comp.usage?.prompt_tokens, 2);
      assert.ok(comp.choices[0].text.length > 0);

      // The SDK asks for base64 embeddings and decodes them.
      const e = await c.embeddings.create({ model: "m", input: ["a", "b c"], dimensions: 8 });
      assert.equal(e.data.length, 2);
      assert.equal(e.data[0].embedding.length, 8);
      const norm = Math.hypot(...e.data[1].embedding);
      assert.ok(Math.abs(norm - 1) < 1e-5, `unit length, got ${norm}`);
      assert.equal(e.usage.prompt_tokens, 3);

      const r = await c.responses.create({
        model: "deepseek-ai/DeepSeek-R1",
        input: "hello there",
        max_output_tokens: 8,
      });
      assert.equal(r.status, "completed");
      assert.equal(r.usage?.output_tokens, 8);
      assert.equal(r.usage?.output_tokens_details.reasoning_tokens, 2);
      assert.ok(r.output_text.trim().length > 0);

      const rs = await c.responses.create({
        model: "m",
        input: "hello",
        max_output_tokens: 5,
        stream: true,
      });
      let textDeltas = 0, completed = false, text = "";
      for await (const ev of rs) {
        if (ev.type === "response.output_text.delta") {
          textDeltas++;
          text += ev.delta;
        }
        if (ev.type === "response.output_text.done") assert.equal(ev.text, text);
        if (ev.type === "response.completed") completed = true;
      }
      assert.equal(textDeltas, 5);
      assert.ok(completed);
    }),
});

Deno.test({
  name: "the openai SDK parses the embedded server's tool calls, streamed (as deltas) and not",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withServer(FAST, async (server) => {
      const c = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "test", maxRetries: 0 });
      const tools = [{
        type: "function" as const,
        function: {
          name: "lookup",
          parameters: { type: "object", properties: { query: { type: "string" } } },
        },
      }];
      const once = await c.chat.completions.create({
        model: "m",
        messages: [{ role: "user", content: "find it" }],
        tools,
        tool_choice: "required",
        max_tokens: 6,
      });
      const call = once.choices[0].message.tool_calls?.[0];
      assert.equal(once.choices[0].finish_reason, "tool_calls");
      assert.ok(call && call.type === "function");
      assert.equal(call.function.name, "lookup");
      assert.equal(typeof JSON.parse(call.function.arguments).query, "string");

      // The SDK's stream helper assembles the argument deltas into the call.
      const runner = c.chat.completions.stream({
        model: "m",
        messages: [{ role: "user", content: "find it" }],
        tools,
        tool_choice: { type: "function", function: { name: "lookup" } },
        max_tokens: 7,
      });
      const final = await runner.finalChatCompletion();
      const streamed = final.choices[0].message.tool_calls?.[0];
      assert.ok(streamed && streamed.type === "function");
      assert.equal(streamed.function.name, "lookup");
      assert.ok(JSON.parse(streamed.function.arguments).query.length > 0);
      assert.equal(final.choices[0].finish_reason, "tool_calls");

      // The tool's result goes back as the next turn.
      const next = await c.chat.completions.create({
        model: "m",
        messages: [
          { role: "user", content: "find it" },
          { role: "assistant", content: null, tool_calls: [streamed] },
          { role: "tool", tool_call_id: streamed.id, content: "found 3" },
          { role: "user", content: "and now?" },
        ],
        max_tokens: 3,
      });
      assert.equal(next.choices[0].finish_reason, "length");
    }),
});
