/**
 * The client on every endpoint against the embedded server, and against mock servers that
 * reproduce the framing real engines document (vLLM, SGLang, llama.cpp, Ollama, TGI).
 */
import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { ChatClient, type Endpoint } from "../../net/client.ts";
import { DEFAULT_SERVER_OPTIONS, startServer } from "../../server/mod.ts";
import { ev, mockServer, timedStream } from "../_mock.ts";

const fast = {
  ...DEFAULT_SERVER_OPTIONS,
  profile: "constant" as const,
  host: "127.0.0.1",
  port: 0,
  ttftMs: 2,
  itlMs: 1,
  latencyMs: 0,
  prefillMsPerToken: 0,
};

async function withClient(
  baseUrl: string,
  endpoint: Endpoint,
  fn: (c: ChatClient) => Promise<void>,
): Promise<void> {
  const c = new ChatClient({ baseUrl, timeoutMs: 10_000, endpoint });
  try {
    await fn(c);
  } finally {
    c.close();
  }
}

openTest(
  "completions, responses and embeddings run against the embedded server, streamed and not",
  async () => {
    const server = await startServer(fast);
    try {
      const prompt = "one two three four five";
      await withClient(server.url, "completions", async (c) => {
        for (const stream of [true, false]) {
          const r = await c.chat({ model: "m", prompt, max_tokens: 6, stream }, { keepText: true });
          assert.equal(r.outcome, "ok", r.error ?? "");
          assert.equal(r.outputTokens, 6);
          assert.equal(r.outputTokensEstimated, false);
          assert.equal(r.inputTokens, 5);
          assert.ok((r.answer ?? "").length > 0);
          if (stream) {
            assert.equal(r.itl.length, 5);
            assert.ok(r.ttft !== null && r.ttfo === r.ttft);
          }
        }
      });
      await withClient(server.url, "responses", async (c) => {
        for (const stream of [true, false]) {
          const r = await c.chat({
            model: "m",
            input: [{ role: "user", content: prompt }],
            max_output_tokens: 7,
            stream,
          });
          assert.equal(r.outcome, "ok", r.error ?? "");
          assert.equal(r.outputTokens, 7);
          assert.equal(r.inputTokens, 5);
          if (stream) assert.equal(r.itl.length, 6, "one token event per delta");
        }
      });
      await withClient(server.url, "embeddings", async (c) => {
        const r = await c.chat({ model: "m", input: ["a b c", "d e"] });
        assert.equal(r.outcome, "ok", r.error ?? "");
        assert.equal(r.inputTokens, 5);
        assert.equal(r.outputTokens, 0);
      });
    } finally {
      await server.shutdown();
    }
  },
);

openTest(
  "a reasoning model: reasoning tokens counted apart, TTFO after TTFT (chat and responses)",
  async () => {
    const server = await startServer({ ...fast, itlMs: 5 });
    try {
      for (const endpoint of ["chat", "responses"] as const) {
        await withClient(server.url, endpoint, async (c) => {
          const body = endpoint === "chat"
            ? { messages: [{ role: "user", content: "why" }], max_tokens: 20 }
            : { input: "why", max_output_tokens: 20 };
          const r = await c.chat({ model: "deepseek-ai/DeepSeek-R1", stream: true, ...body }, {
            keepText: true,
          });
          assert.equal(r.outcome, "ok", r.error ?? "");
          assert.equal(r.reasoningTokens, 5, endpoint);
          assert.ok(r.ttft !== null && r.ttfo !== null);
          // Five reasoning tokens 5 ms apart come before the first answer token.
          assert.ok(r.ttfo - r.ttft >= 0.015, `${endpoint}: ttfo ${r.ttfo} ttft ${r.ttft}`);
          assert.equal(r.answer?.trim().split(/\s+/).length !== 0, true);
        });
      }
    } finally {
      await server.shutdown();
    }
  },
);

/** Each real server's documented stream framing for a three-token answer. */
const FRAMINGS: Record<string, { endpoint: Endpoint; parts: string[]; input: number | null }> = {
  // vLLM: a role-only first chunk; usage in a final chunk with empty choices (include_usage);
  // reasoning parsers put thinking into reasoning_content.
  vllm: {
    endpoint: "chat",
    parts: [
      ev({ choices: [{ index: 0, delta: { role: "assistant", content: "" } }] }),
      ev({ choices: [{ index: 0, delta: { reasoning_content: "hmm" } }] }),
      ev({ choices: [{ index: 0, delta: { content: "A" } }] }),
      ev({ choices: [{ index: 0, delta: { content: "B" } }] }),
      ev({ choices: [{ index: 0, delta: { content: "" }, finish_reason: "length" }] }),
      ev({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } }),
      "data: [DONE]\n\n",
    ],
    input: 9,
  },
  // SGLang: usage rides on the last content chunk (continuous_usage_stats off), CRLF lines.
  sglang: {
    endpoint: "chat",
    parts: [
      "data: " + JSON.stringify({ choices: [{ index: 0, delta: { role: "assistant" } }] }) +
      "\r\n\r\n",
      "data: " + JSON.stringify({ choices: [{ index: 0, delta: { content: "A" } }] }) + "\r\n\r\n",
      "data: " + JSON.stringify({ choices: [{ index: 0, delta: { content: "B" } }] }) + "\r\n\r\n",
      "data: " +
      JSON.stringify({
        choices: [{ index: 0, delta: { content: "C" }, finish_reason: "length" }],
        usage: { prompt_tokens: 9, completion_tokens: 3 },
      }) + "\r\n\r\n",
      "data: [DONE]\r\n\r\n",
    ],
    input: 9,
  },
  // llama.cpp server: no usage in the stream unless asked; its last chunk carries `timings`
  // and an empty delta.
  llamacpp: {
    endpoint: "chat",
    parts: [
      ev({ choices: [{ index: 0, delta: { content: "A" } }] }),
      ev({ choices: [{ index: 0, delta: { content: "B" } }] }),
      ev({ choices: [{ index: 0, delta: { content: "C" } }] }),
      ev({
        choices: [{ index: 0, delta: {}, finish_reason: "length" }],
        timings: { prompt_n: 9, predicted_n: 3 },
        usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
      }),
      "data: [DONE]\n\n",
    ],
    input: 9,
  },
  // Ollama's OpenAI-compatible endpoint: role on every chunk, usage only with include_usage.
  ollama: {
    endpoint: "chat",
    parts: [
      ev({ choices: [{ index: 0, delta: { role: "assistant", content: "A" } }] }),
      ev({ choices: [{ index: 0, delta: { role: "assistant", content: "B" } }] }),
      ev({ choices: [{ index: 0, delta: { role: "assistant", content: "C" } }] }),
      ev({
        choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: "length" }],
      }),
      ev({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } }),
      "data: [DONE]\n\n",
    ],
    input: 9,
  },
  // TGI's Messages API: no role-only chunk, usage on the final chunk with finish_reason.
  tgi: {
    endpoint: "chat",
    parts: [
      ev({ choices: [{ index: 0, delta: { role: "assistant", content: "A" } }] }),
      ev({ choices: [{ index: 0, delta: { role: "assistant", content: "B" } }] }),
      ev({
        choices: [{
          index: 0,
          delta: { role: "assistant", content: "C" },
          finish_reason: "length",
        }],
        usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
      }),
      "data: [DONE]\n\n",
    ],
    input: 9,
  },
  // vLLM's /v1/completions: text chunks; usage-only last chunk.
  "vllm completions": {
    endpoint: "completions",
    parts: [
      ev({ choices: [{ index: 0, text: "A" }] }),
      ev({ choices: [{ index: 0, text: "B" }] }),
      ev({ choices: [{ index: 0, text: "C", finish_reason: "length" }] }),
      ev({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 3 } }),
      "data: [DONE]\n\n",
    ],
    input: 9,
  },
};

for (const [name, f] of Object.entries(FRAMINGS)) {
  Deno.test({
    name: `${name} framing: three tokens, no role-only or usage-only chunk counted as a token`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const mock = mockServer(() => timedStream(f.parts.map((p) => [2, p])));
      try {
        await withClient(mock.url, f.endpoint, async (c) => {
          const r = await c.chat({ model: "m", stream: true, messages: [], prompt: "x" });
          assert.equal(r.outcome, "ok", r.error ?? "");
          assert.equal(r.itl.length, 2, `${name}: three token events, two gaps`);
          assert.equal(r.outputTokens, 3);
          assert.equal(r.outputTokensEstimated, false);
          assert.equal(r.inputTokens, f.input);
        });
      } finally {
        await mock.close();
      }
    },
  });
}

openTest(
  "a Responses stream that reports response.failed fails, with the server's message",
  async () => {
    const mock = mockServer(() =>
      timedStream([
        [
          0,
          `event: response.output_text.delta\n` +
          ev({ type: "response.output_text.delta", delta: "A" }),
        ],
        [0, ev({ type: "response.failed", response: { error: { message: "engine died" } } })],
      ])
    );
    try {
      await withClient(mock.url, "responses", async (c) => {
        const r = await c.chat({ model: "m", input: "x", stream: true });
        assert.equal(r.outcome, "error_event");
        assert.match(r.error ?? "", /engine died/);
      });
    } finally {
      await mock.close();
    }
  },
);

for (const http of ["native", "fetch"] as const) {
  Deno.test({
    name: `${http}: a redirect during load is its own class, http_3xx, and is not followed`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      let followed = 0;
      const mock = mockServer((req) => {
        if (new URL(req.url).pathname !== "/v1/chat/completions") {
          followed++;
          return Response.json({});
        }
        return new Response("moved", { status: 301, headers: { location: "/elsewhere" } });
      });
      const c = new ChatClient({ baseUrl: mock.url, timeoutMs: 5000, http });
      try {
        const r = await c.chat({ model: "m", messages: [{ role: "user", content: "x" }] });
        assert.equal(r.outcome, "http_3xx");
        assert.equal(r.status, 301);
        assert.equal(followed, 0);
      } finally {
        c.close();
        await mock.close();
      }
    },
  });
}

for (const http of ["native", "fetch"] as const) {
  openTest(
    `an event over the bound ends its stream at once, though the server sends nothing more (${http})`,
    async () => {
      // The over-long event, then silence on an open connection: the read must stop on the
      // parse error, not wait for the next chunk or the request's timeout.
      const mock = mockServer(() =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(c) {
              c.enqueue(
                new TextEncoder().encode(
                  ev({ choices: [{ delta: { content: "z".repeat(600) } }] }),
                ),
              );
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        )
      );
      const c = new ChatClient({ baseUrl: mock.url, timeoutMs: 20_000, maxEventBytes: 256, http });
      try {
        const r = await c.chat({ model: "m", messages: [], stream: true });
        assert.equal(r.outcome, "too_large", r.error ?? "");
        assert.match(r.error ?? "", /exceeded 256 bytes/);
        // Not held until the 20 s timeout.
        assert.ok(r.e2e !== null && r.e2e < 10, `ended after ${r.e2e} s`);
      } finally {
        c.close();
        await mock.close();
      }
    },
  );
}

openTest(
  "maxEventBytes bounds one SSE event: a larger one fails the request as too_large",
  async () => {
    const big = "y".repeat(300);
    const mock = mockServer(() =>
      timedStream([[0, ev({ choices: [{ index: 0, delta: { content: big } }] })], [
        0,
        "data: [DONE]\n\n",
      ]])
    );
    try {
      for (const [max, outcome] of [[256, "too_large"], [4096, "ok"]] as const) {
        const c = new ChatClient({ baseUrl: mock.url, timeoutMs: 5000, maxEventBytes: max });
        try {
          const r = await c.chat({ model: "m", messages: [], stream: true });
          assert.equal(r.outcome, outcome, `max ${max}: ${r.error}`);
        } finally {
          c.close();
        }
      }
    } finally {
      await mock.close();
    }
  },
);
