import assert from "node:assert/strict";
import { ChatClient, HTTP_CLIENTS, type HttpClientKind, probeTarget } from "../../net/client.ts";
import { TargetError } from "../../util/errors.ts";
import { ev, mockServer, timedStream, tok } from "../_mock.ts";

const body = { model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 3 };

// ChatClient sends no per-call headers: a proxy in front of the mock adds the mode header.
async function chatWithMode(http: HttpClientKind, url: string, mode: string, stream: boolean) {
  const proxy = mockServer(async (req) => {
    const headers = new Headers(req.headers);
    headers.set("x-mode", mode);
    const res = await fetch(`${url}${new URL(req.url).pathname}`, {
      method: req.method,
      headers,
      body: await req.text(),
    });
    return new Response(res.body, { status: res.status, headers: res.headers });
  });
  const client = new ChatClient({
    http,
    baseUrl: proxy.url,
    timeoutMs: 500,
    apiKey: "sk-secret-123",
  });
  try {
    return await client.chat({ ...body, stream });
  } finally {
    client.close();
    await proxy.close();
  }
}

for (const http of HTTP_CLIENTS) {
  Deno.test(`[${http}] streaming: TTFT at the first token, not at the role chunk; ITL and TPOT per event`, async () => {
    let sentBody: Record<string, unknown> = {};
    const mock = mockServer(async (req) => {
      sentBody = await req.json();
      return timedStream([
        [0, ev({ choices: [{ index: 0, delta: { role: "assistant", content: "" } }] })],
        [80, tok("a")],
        [30, tok(" b")],
        [30, tok(" c")],
        [0, ev({ choices: [{ index: 0, delta: {}, finish_reason: "length" }] })],
        [
          0,
          ev({
            choices: [],
            usage: {
              prompt_tokens: 7,
              completion_tokens: 3,
              prompt_tokens_details: { cached_tokens: 0 },
            },
          }),
        ],
        [0, "data: [DONE]\n\n"],
      ]);
    });
    const client = new ChatClient({ http, baseUrl: mock.url, timeoutMs: 5000 });
    try {
      const r = await client.chat({ ...body, stream: true });
      assert.equal(r.outcome, "ok", r.error ?? "");
      assert.deepEqual(sentBody.stream_options, { include_usage: true });
      // Only lower bounds on times and exact relations between them: the mock shares this
      // process's event loop, so a busy machine can deliver its events late or together.
      // The first token leaves 80 ms after the role chunk: TTFT is at least that, TTFC not later.
      assert.ok(r.ttft! >= 0.075, `ttft ${r.ttft}`);
      assert.ok(r.ttfc! <= r.ttft!, `ttfc ${r.ttfc} after ttft ${r.ttft}`);
      // One gap per token event after the first; they span first to last token exactly.
      assert.equal(r.itl.length, 2);
      for (const gap of r.itl) assert.ok(gap >= 0, `itl ${gap}`);
      assert.ok(Math.abs(r.ttft! + r.itl[0] + r.itl[1] - r.e2e) < 1e-9);
      assert.ok(r.e2e >= 0.135, `e2e ${r.e2e}: the last token leaves 140 ms after the request`);
      assert.equal(r.outputTokens, 3);
      assert.equal(r.outputTokensEstimated, false);
      assert.equal(r.inputTokens, 7);
      assert.equal(r.cachedTokens, 0);
      assert.ok(Math.abs(r.tpot! - (r.e2e - r.ttft!) / 2) < 1e-9);
    } finally {
      client.close();
      await mock.close();
    }
  });

  Deno.test(`[${http}] streaming without usage: tokens counted by the client and flagged; cached stays null`, async () => {
    const mock = mockServer(() =>
      timedStream([[0, tok("a")], [0, tok(" b")], [0, "data: [DONE]\n\n"]])
    );
    const client = new ChatClient({ http, baseUrl: mock.url, timeoutMs: 5000 });
    try {
      const r = await client.chat({ ...body, stream: true });
      assert.equal(r.outcome, "ok");
      assert.equal(r.outputTokens, 2);
      assert.equal(r.outputTokensEstimated, true);
      assert.equal(r.outputTokensCountedBy, "events");
      assert.equal(r.cachedTokens, null);
      assert.equal(r.inputTokens, null);
    } finally {
      client.close();
      await mock.close();
    }
  });

  Deno.test(`[${http}] failures are classified, never thrown`, async () => {
    const mock = mockServer((req) => {
      const path = new URL(req.url).pathname;
      const mode = req.headers.get("x-mode");
      if (path !== "/v1/chat/completions") return new Response("nope", { status: 404 });
      switch (mode) {
        case "429":
          return Response.json({ error: { message: "slow down" } }, { status: 429 });
        case "500":
          return new Response("boom", { status: 500 });
        case "400":
          return Response.json({ error: { message: "bad" } }, { status: 400 });
        case "html":
          return new Response("<html>", { status: 200 });
        case "cut":
          return timedStream([[0, tok("a")]], { cut: true });
        case "nodone":
          return timedStream([[0, tok("a")]]);
        case "malformed":
          return timedStream([[0, tok("a")], [0, "data: {not json\n\n"], [0, "data: [DONE]\n\n"]]);
        case "notokens":
          return timedStream([[0, ev({ choices: [{ delta: { role: "assistant" } }] })], [
            0,
            "data: [DONE]\n\n",
          ]]);
        case "slow":
          return timedStream([[3000, tok("a")], [0, "data: [DONE]\n\n"]]);
        case "empty":
          return Response.json({
            choices: [{ message: { content: "" } }],
            usage: { completion_tokens: 0 },
          });
      }
      return Response.json({ choices: [{ message: { content: "x" } }] });
    });
    const expect: [string, boolean, string][] = [
      ["429", false, "http_429"],
      ["500", false, "http_5xx"],
      ["400", false, "http_4xx"],
      ["html", false, "bad_body"],
      ["cut", true, "stream_cut"],
      ["nodone", true, "stream_cut"],
      ["malformed", true, "bad_body"],
      ["notokens", true, "no_tokens"],
      ["empty", false, "no_tokens"],
      ["slow", true, "timeout"],
    ];
    try {
      for (const [mode, stream, outcome] of expect) {
        const r = await chatWithMode(http, mock.url, mode, stream);
        assert.equal(r.outcome, outcome, `${mode}: ${r.outcome} ${r.error}`);
        assert.ok(r.error && !r.error.includes("sk-secret-123"));
      }
    } finally {
      await mock.close();
    }
  });

  Deno.test(`[${http}] connection refused is \`connect\``, async () => {
    const client = new ChatClient({ http, baseUrl: "http://127.0.0.1:9", timeoutMs: 2000 });
    const r = await client.chat(body);
    client.close();
    assert.equal(r.outcome, "connect");
  });

  Deno.test(`[${http}] an aborted request is \`aborted\``, async () => {
    const mock = mockServer(() => timedStream([[2000, tok("a")], [0, "data: [DONE]\n\n"]]));
    const client = new ChatClient({ http, baseUrl: mock.url, timeoutMs: 5000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const r = await client.chat({ ...body, stream: true }, { signal: ac.signal });
    client.close();
    await mock.close();
    assert.equal(r.outcome, "aborted");
  });
}

Deno.test("probe tells unreachable, rejected key and not-OpenAI apart", async () => {
  await assert.rejects(
    probeTarget("http://127.0.0.1:9"),
    (e: unknown) =>
      e instanceof TargetError && e.problem === "unreachable" && e.message.includes("127.0.0.1:9"),
  );
  const mock = mockServer((req) => {
    const path = new URL(req.url).pathname;
    const auth = req.headers.get("authorization");
    if (path === "/health") return Response.json({ status: "healthy" });
    if (auth === "Bearer bad") return Response.json({ detail: "Invalid API key" }, { status: 401 });
    if (auth === "Bearer html") return new Response("<html></html>", { status: 200 });
    if (auth === "Bearer 404") return new Response("not found", { status: 404 });
    return Response.json({ object: "list", data: [{ id: "a" }, { id: "b" }] });
  });
  try {
    const ok = await probeTarget(mock.url, { apiKey: "good" });
    assert.deepEqual(ok.models, ["a", "b"]);
    assert.equal(ok.healthState, "healthy");
    await assert.rejects(
      probeTarget(mock.url, { apiKey: "bad" }),
      (e: unknown) =>
        e instanceof TargetError && e.problem === "auth" &&
        /rejected the API key/.test(e.message) &&
        !e.message.includes("bad"),
    );
    for (const key of ["html", "404"]) {
      await assert.rejects(
        probeTarget(mock.url, { apiKey: key }),
        (e: unknown) =>
          e instanceof TargetError && e.problem === "not_openai" &&
          /not an OpenAI-compatible API/.test(e.message),
      );
    }
  } finally {
    await mock.close();
  }
});
