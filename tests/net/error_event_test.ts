/**
 * Errors a server reports inside a 2xx answer are failures of their own class, `error_event`,
 * with the server's message: vLLM's `data: {"error": {...}}` after tokens began, its older
 * `{"object": "error"}` shape, an SSE `event: error` (Anthropic's framing), and a 200 JSON
 * answer carrying `error`. Both transports.
 */
import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { ChatClient } from "../../net/client.ts";
import { errorInBody } from "../../net/endpoint.ts";
import { ev, mockServer, timedStream, tok } from "../_mock.ts";

const VLLM_ERROR = {
  error: {
    message: "CUDA out of memory while decoding",
    type: "InternalServerError",
    code: 500,
  },
};

const STREAMS: [string, string[]][] = [
  ["vLLM error chunk, then [DONE]", [tok("Hi"), tok(" there"), ev(VLLM_ERROR), "data: [DONE]\n\n"]],
  [
    "vLLM's older object:error shape",
    [tok("Hi"), ev({ object: "error", message: "CUDA out of memory while decoding" })],
  ],
  [
    "an SSE error event (Anthropic's framing)",
    [
      tok("Hi"),
      `event: error\ndata: ${
        JSON.stringify({
          type: "error",
          error: { type: "overloaded_error", message: "CUDA out of memory while decoding" },
        })
      }\n\n`,
    ],
  ],
  ["an SSE error event with text data", [
    tok("Hi"),
    "event: error\ndata: CUDA out of memory while decoding\n\n",
  ]],
];

for (const http of ["native", "fetch"] as const) {
  for (const [name, parts] of STREAMS) {
    openTest(`${name} (${http}): an error_event failure with the server's message`, async () => {
      const mock = mockServer(() => timedStream(parts.map((p) => [0, p])));
      const client = new ChatClient({ baseUrl: mock.url, timeoutMs: 5000, http });
      try {
        const r = await client.chat({ model: "m", messages: [], stream: true, max_tokens: 8 });
        assert.equal(r.outcome, "error_event", r.error ?? "");
        assert.match(r.error ?? "", /CUDA out of memory while decoding/);
      } finally {
        client.close();
        await mock.close();
      }
    });
  }

  openTest(`a 200 JSON answer carrying an error (${http}) is an error_event`, async () => {
    const mock = mockServer(() => Response.json(VLLM_ERROR));
    const client = new ChatClient({ baseUrl: mock.url, timeoutMs: 5000, http });
    try {
      const r = await client.chat({ model: "m", messages: [], max_tokens: 8 });
      assert.equal(r.outcome, "error_event");
      assert.match(r.error ?? "", /HTTP 200 with an error: CUDA out of memory/);
    } finally {
      client.close();
      await mock.close();
    }
  });
}

Deno.test("errorInBody: only a real error member or event counts", () => {
  assert.equal(errorInBody({ choices: [] }), null);
  assert.equal(errorInBody({ error: null, choices: [] }), null);
  assert.equal(errorInBody({ error: "" }), null);
  assert.equal(errorInBody({ error: "boom" }), "boom");
  assert.equal(errorInBody({ error: { message: "m" } }), "m");
  assert.equal(errorInBody({ error: { code: 7 } }), '{"code":7}');
  assert.equal(errorInBody({ object: "error", message: "x" }), "x");
  assert.equal(errorInBody({ type: "error", message: "y" }, "error"), "y");
  assert.equal(errorInBody({ type: "message_delta" }, "message_delta"), null);
});

for (const http of ["native", "fetch"] as const) {
  openTest(
    `an HTML page with status 200 on a stream (${http}) is bad_body, saying so`,
    async () => {
      const mock = mockServer(() =>
        new Response("<html><body>Gateway says hi</body></html>", {
          headers: { "content-type": "text/html" },
        })
      );
      const client = new ChatClient({ baseUrl: mock.url, timeoutMs: 5000, http });
      try {
        const r = await client.chat({ model: "m", messages: [], stream: true, max_tokens: 8 });
        assert.equal(r.outcome, "bad_body");
        assert.match(r.error ?? "", /not an event stream \(content-type text\/html\): <html>/);
      } finally {
        client.close();
        await mock.close();
      }
    },
  );
}
