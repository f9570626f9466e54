import assert from "node:assert/strict";
import { chatBody, parsePrometheus, postChat, withServer } from "./_helpers.ts";

function assertOpenAiError(body: unknown, param?: string | null): void {
  const e = (body as { error: Record<string, unknown> }).error;
  assert.ok(e, `not an error body: ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(e).sort(), ["code", "message", "param", "type"]);
  assert.equal(typeof e.message, "string");
  assert.equal(typeof e.type, "string");
  if (param !== undefined) assert.equal(e.param, param);
}

Deno.test("GET /health and /v1/models", async () => {
  await withServer({}, async (server) => {
    const health = await (await fetch(`${server.url}/health`)).json();
    assert.equal(health.status, "healthy");
    assert.equal(health.ready, true);
    assert.ok(!Number.isNaN(Date.parse(health.timestamp)));
    const res = await fetch(`${server.url}/v1/models`);
    assert.equal(res.status, 200);
    const models = await res.json();
    assert.equal(models.object, "list");
    const ids = models.data.map((m: { id: string }) => m.id);
    for (
      const id of [
        "meta-llama/Llama-3.1-8B-Instruct",
        "openai/gpt-oss-120b",
        "openai/gpt-oss-20b",
        "deepseek-ai/DeepSeek-R1",
        "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
      ]
    ) assert.ok(ids.includes(id), `missing ${id}`);
    for (const m of models.data) assert.equal(m.object, "model");
  });
});

Deno.test("unknown route 404, wrong method 405, both OpenAI-style", async () => {
  await withServer({}, async (server) => {
    const r404 = await fetch(`${server.url}/v1/nope?x=1`);
    assert.equal(r404.status, 404);
    assertOpenAiError(await r404.json(), null);
    const r405 = await fetch(`${server.url}/v1/chat/completions`);
    assert.equal(r405.status, 405);
    assertOpenAiError(await r405.json());
    const r405b = await fetch(`${server.url}/health`, { method: "DELETE" });
    assert.equal(r405b.status, 405);
    assertOpenAiError(await r405b.json());
  });
});

Deno.test("bad requests: 400 naming the param, 413 by Content-Length and by bytes read", async () => {
  await withServer({ ttftMs: 0, itlMs: 0, maxBodyBytes: 1024 * 1024 }, async (server) => {
    const cases: [unknown, string | null][] = [
      ["{not json", null],
      ["", null],
      ["[1,2]", null],
      [{ model: "m" }, "messages"],
      [{ model: "m", messages: [] }, "messages"],
      [{ model: "m", messages: "hi" }, "messages"],
      [{ messages: [{ role: "user", content: "hi" }] }, "model"],
      [{ model: 5, messages: [{ role: "user", content: "hi" }] }, "model"],
      [{ model: "m", messages: [{ role: "wizard", content: "hi" }] }, "messages[0].role"],
      [{ model: "m", messages: [{ role: "user", content: 5 }] }, "messages[0].content"],
      [
        { model: "m", messages: [{ role: "user", content: [{ type: "image_url" }] }] },
        "messages[0].content[0].image_url",
      ],
      [
        { model: "m", messages: [{ role: "user", content: [{ type: "input_audio" }] }] },
        "messages[0].content[0]",
      ],
      [chatBody("hi", { max_tokens: 0 }), "max_tokens"],
      [chatBody("hi", { max_tokens: -3 }), "max_tokens"],
      [chatBody("hi", { max_tokens: 1.5 }), "max_tokens"],
      [chatBody("hi", { max_tokens: "10" }), "max_tokens"],
      [chatBody("hi", { max_tokens: 10_000_000 }), "max_tokens"],
      [chatBody("hi", { max_completion_tokens: 0 }), "max_completion_tokens"],
      [chatBody("hi", { stream: "yes" }), "stream"],
      [chatBody("hi", { stream_options: 3 }), "stream_options"],
      [chatBody("hi", { n: 0 }), "n"],
      [chatBody("hi", { n: 100 }), "n"],
      [chatBody("hi", { n: 2, stream: true }), "n"],
      [chatBody("hi", { seed: "s" }), "seed"],
      [chatBody("hi", { min_tokens: 50, max_tokens: 10 }), "min_tokens"],
      [chatBody("hi", { ignore_eos: 1 }), "ignore_eos"],
    ];
    for (const [body, param] of cases) {
      const res = await postChat(server, body);
      assert.equal(res.status, 400, `${JSON.stringify(body)} -> ${res.status}`);
      assertOpenAiError(await res.json(), param);
    }
    const ok = await postChat(
      server,
      chatBody("hi", { max_tokens: 3, ignore_eos: true, min_tokens: 3 }),
    );
    assert.equal(ok.status, 200);
    await ok.body?.cancel();

    const big = JSON.stringify(chatBody("x".repeat(1024 * 1024 + 10)));
    const r413 = await postChat(server, big);
    assert.equal(r413.status, 413);
    assertOpenAiError(await r413.json());
    // no Content-Length: a chunked body counted as it is read
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        const part = new TextEncoder().encode("a".repeat(64 * 1024));
        for (let i = 0; i < 20; i++) c.enqueue(part);
        c.close();
      },
    });
    const r413b = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      body: stream,
    });
    assert.equal(r413b.status, 413);
    assertOpenAiError(await r413b.json());
  });
});

Deno.test("auth: 401 without or with a wrong key on /v1/* and the cache reset, open routes stay open", async () => {
  await withServer({ apiKeys: ["sk-test-1", "sk-test-2"], ttftMs: 0, itlMs: 0 }, async (server) => {
    const none = await postChat(server, chatBody("hi", { max_tokens: 2 }));
    assert.equal(none.status, 401);
    assertOpenAiError(await none.json());
    const wrong = await postChat(server, chatBody("hi", { max_tokens: 2 }), {
      authorization: "Bearer nope",
    });
    assert.equal(wrong.status, 401);
    const wrongBody = await wrong.text();
    assertOpenAiError(JSON.parse(wrongBody));
    assert.ok(!wrongBody.includes("sk-test"), "never echoes keys");
    const models = await fetch(`${server.url}/v1/models`);
    assert.equal(models.status, 401);
    await models.body?.cancel();
    const good = await postChat(server, chatBody("hi", { max_tokens: 2 }), {
      authorization: "Bearer sk-test-2",
    });
    assert.equal(good.status, 200);
    await good.body?.cancel();
    const m = await fetch(`${server.url}/v1/models`, {
      headers: { authorization: "bearer sk-test-1" },
    });
    assert.equal(m.status, 200);
    await m.body?.cancel();
    for (const path of ["/health", "/metrics", "/kv-cache/metrics"]) {
      const r = await fetch(server.url + path);
      assert.equal(r.status, 200, path);
      await r.body?.cancel();
    }
    // Resetting the cache changes the server's state: it takes the key too.
    const reset = await fetch(`${server.url}/kv-cache/reset`, { method: "POST" });
    assert.equal(reset.status, 401);
    await reset.body?.cancel();
    const keyed = await fetch(`${server.url}/kv-cache/reset`, {
      method: "POST",
      headers: { authorization: "Bearer sk-test-1" },
    });
    assert.equal(keyed.status, 200);
    await keyed.body?.cancel();
  });
});

Deno.test("/metrics: Prometheus text with memory, request and token counters", async () => {
  await withServer({ ttftMs: 0, itlMs: 0 }, async (server) => {
    for (const stream of [false, true]) {
      const r = await postChat(server, chatBody("count me", { max_tokens: 4, stream }));
      await r.text();
    }
    const bad = await postChat(server, "{");
    await bad.body?.cancel();
    const res = await fetch(`${server.url}/metrics`);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const m = parsePrometheus(await res.text());
    assert.ok(m.get("process_resident_memory_bytes")! > 1_000_000);
    assert.equal(m.get("fakeai_chat_requests_total"), 2);
    assert.equal(m.get("fakeai_chat_streaming_requests_total"), 1);
    assert.equal(m.get("fakeai_completion_tokens_total"), 8);
    assert.equal(m.get("fakeai_prompt_tokens_total"), 4);
    assert.equal(m.get("fakeai_active_streams"), 0);
    assert.equal(m.get("fakeai_active_requests"), 0);
    assert.equal(m.get("fakeai_streams_completed_total"), 1);
    assert.equal(m.get('fakeai_http_requests_total{route="/v1/chat/completions",code="200"}'), 2);
    assert.equal(m.get('fakeai_http_requests_total{route="/v1/chat/completions",code="400"}'), 1);
    assert.equal(m.get("fakeai_leaked_bytes"), 0);
  });
});
