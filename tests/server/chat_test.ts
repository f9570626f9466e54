import assert from "node:assert/strict";
import { countTokens } from "../../server/tokenizer.ts";
import { chatBody, postChat, readEvents, withServer } from "./_helpers.ts";

const FAST = { ttftMs: 0, itlMs: 0, prefillMsPerToken: 0 };

Deno.test("streaming: exact FakeAI framing, one chunk per token, usage only when asked", async () => {
  await withServer(FAST, async (server) => {
    for (const includeUsage of [true, false]) {
      const res = await postChat(
        server,
        chatBody("Tell me about caches.", {
          max_tokens: 12,
          stream: true,
          stream_options: { include_usage: includeUsage },
        }),
      );
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "text/event-stream");
      assert.match(res.headers.get("x-fakeai-worker") ?? "", /^worker-[0-3]$/);
      const { events, cut, rest } = await readEvents(res);
      assert.equal(cut, false);
      assert.equal(rest, "", "nothing after the last blank line");
      assert.equal(events.at(-1)!.data, "[DONE]");
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
      const role = chunks[0];
      assert.deepEqual(role.choices, [{
        index: 0,
        delta: { role: "assistant", content: "" },
        finish_reason: null,
      }]);
      const tokens = chunks.filter((c) =>
        c.choices.length === 1 && typeof c.choices[0].delta.content === "string" &&
        c.choices[0].delta.content !== ""
      );
      assert.equal(tokens.length, 12, "one chunk per token");
      assert.deepEqual(chunks.slice(1, 13), tokens, "token chunks follow the role chunk");
      for (const t of tokens) {
        assert.deepEqual(Object.keys(t.choices[0].delta), ["content"]);
        assert.equal(t.choices[0].finish_reason, null);
      }
      const final = chunks[13];
      assert.deepEqual(final.choices, [{ index: 0, delta: {}, finish_reason: "length" }]);
      if (includeUsage) {
        assert.equal(chunks.length, 15);
        const usage = chunks[14];
        assert.deepEqual(usage.choices, []);
        assert.equal(usage.usage.completion_tokens, 12);
        assert.equal(usage.usage.prompt_tokens, countTokens("Tell me about caches."));
        assert.equal(usage.usage.total_tokens, usage.usage.prompt_tokens + 12);
        assert.deepEqual(usage.usage.prompt_tokens_details, { cached_tokens: 0, audio_tokens: 0 });
        assert.equal(usage.usage.completion_tokens_details, null);
      } else {
        assert.equal(chunks.length, 14);
        assert.ok(chunks.every((c) => c.usage === undefined));
      }
      for (const c of chunks) {
        assert.equal(c.object, "chat.completion.chunk");
        assert.equal(c.id, chunks[0].id);
        assert.match(c.id, /^chatcmpl-[0-9a-f]{32}$/);
        assert.equal(c.model, "meta-llama/Llama-3.1-8B-Instruct");
        assert.match(c.system_fingerprint, /^fp_[0-9a-f]{16}$/);
        assert.equal(typeof c.created, "number");
        assert.equal(c.x_sent_ms, undefined, "no stamp unless asked");
      }
      const text = tokens.map((t) => t.choices[0].delta.content).join("");
      assert.equal(countTokens(text), 12);
    }
  });
});

Deno.test("non-streaming: exactly max_tokens, usage complete, n choices", async () => {
  await withServer(FAST, async (server) => {
    for (const maxTokens of [1, 7, 100, 2000]) {
      const res = await postChat(server, chatBody("hello", { max_tokens: maxTokens }));
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      const body = await res.json();
      assert.equal(body.object, "chat.completion");
      assert.equal(body.choices.length, 1);
      const choice = body.choices[0];
      assert.equal(choice.finish_reason, "length");
      assert.equal(choice.message.role, "assistant");
      assert.equal(countTokens(choice.message.content), maxTokens);
      assert.deepEqual(body.usage, {
        prompt_tokens: 1,
        completion_tokens: maxTokens,
        total_tokens: 1 + maxTokens,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: null,
      });
    }
    const res = await postChat(
      server,
      chatBody("hello", { max_tokens: 5, max_completion_tokens: 9, n: 3 }),
    );
    const body = await res.json();
    assert.equal(body.choices.length, 3, "n choices");
    assert.deepEqual(body.choices.map((c: { index: number }) => c.index), [0, 1, 2]);
    for (const c of body.choices) {
      assert.equal(countTokens(c.message.content), 9, "max_completion_tokens wins");
    }
    assert.equal(body.usage.completion_tokens, 27);
    const def = await (await postChat(server, chatBody("hello"))).json();
    assert.equal(def.usage.completion_tokens, 100, "default max_tokens is 100");
  });
});

Deno.test("content parts and system prompt count in the prompt", async () => {
  await withServer(FAST, async (server) => {
    const res = await postChat(server, {
      model: "x",
      max_tokens: 2,
      messages: [
        {
          role: "user",
          content: [{ type: "text", text: "one two" }, { type: "text", text: "three" }],
        },
        { role: "system", content: "sys prompt" },
        { role: "assistant", content: null },
      ],
    });
    const body = await res.json();
    assert.equal(res.status, 200);
    assert.equal(body.usage.prompt_tokens, 5);
    assert.equal(body.model, "x", "any model id is accepted, as FakeAI");
  });
});

Deno.test("determinism: same seed and request sequence give the same text; another seed differs", async () => {
  const run = async (seed: number) => {
    const texts: string[] = [];
    await withServer({ ...FAST, seed }, async (server) => {
      for (const [i, stream] of [false, true, false].entries()) {
        const res = await postChat(
          server,
          chatBody(`question ${i % 2}`, {
            max_tokens: 20,
            stream,
            ...(i === 2 ? { seed: 5 } : {}),
          }),
        );
        if (stream) {
          const { events } = await readEvents(res);
          texts.push(
            events.slice(1, -2).map((e) => JSON.parse(e.data).choices[0]?.delta?.content ?? "")
              .join(""),
          );
        } else {
          texts.push((await res.json()).choices[0].message.content);
        }
      }
    });
    return texts;
  };
  const a = await run(42);
  const b = await run(42);
  const c = await run(43);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  for (const t of a) assert.equal(countTokens(t), 20);
  assert.notEqual(a[0], a[1], "successive requests differ");
});

Deno.test("a request seed makes the text independent of arrival order", async () => {
  await withServer(FAST, async (server) => {
    const body = chatBody("same prompt", { max_tokens: 15, seed: 123 });
    const first = (await (await postChat(server, body)).json()).choices[0].message.content;
    await (await postChat(server, chatBody("other", { max_tokens: 3 }))).body?.cancel();
    const again = (await (await postChat(server, body)).json()).choices[0].message.content;
    assert.equal(first, again);
  });
});

Deno.test("stampChunks: every SSE chunk carries x_sent_ms, the server's send time", async () => {
  await withServer({ ...FAST, itlMs: 2, stampChunks: true }, async (server) => {
    const before = performance.timeOrigin + performance.now();
    const res = await postChat(
      server,
      chatBody("stamp", { max_tokens: 10, stream: true, stream_options: { include_usage: true } }),
    );
    const { events } = await readEvents(res);
    const after = performance.timeOrigin + performance.now();
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    assert.equal(chunks.length, 13);
    let prev = 0;
    for (const c of chunks) {
      assert.equal(typeof c.x_sent_ms, "number");
      assert.ok(c.x_sent_ms >= before - 1 && c.x_sent_ms <= after + 1);
      assert.ok(c.x_sent_ms >= prev, "non-decreasing");
      prev = c.x_sent_ms;
    }
    const span = chunks[10].x_sent_ms - chunks[1].x_sent_ms;
    assert.ok(span >= 15, `9 ITLs of 2 ms span ${span} ms`);
  });
});

Deno.test("a client that leaves mid-stream frees its active slot at once (no leaked active count)", async () => {
  await withServer({ ttftMs: 0, itlMs: 20, prefillMsPerToken: 0 }, async (server) => {
    const res = await postChat(server, chatBody("leave", { max_tokens: 1000, stream: true }));
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    let active = -1;
    for (let i = 0; i < 50 && active !== 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const text = await (await fetch(`${server.url}/metrics`)).text();
      active = Number(/^fakeai_active_streams (\d+)$/m.exec(text)![1]);
    }
    assert.equal(active, 0);
    const kv = await (await fetch(`${server.url}/kv-cache/metrics`)).json();
    const workers = Object.values(kv.smart_router.workers) as { active_requests: number }[];
    assert.ok(workers.every((w) => w.active_requests === 0));
  });
});
