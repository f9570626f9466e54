import assert from "node:assert/strict";
import { ChatClient } from "../../net/client.ts";
import {
  addSecret,
  publicUrl,
  redact,
  redactCommand,
  scrub,
  secretForms,
} from "../../util/redact.ts";
import { mockServer, tok } from "../_mock.ts";

const KEY = "sk-test-0123456789abcdefghijklmnopqrstuvwxyz";

/** True when any 8-character piece of the key's secret part survives in `text`. */
function holdsFragment(text: string): boolean {
  const secret = KEY.slice("sk-test-".length);
  for (let i = 0; i + 8 <= secret.length; i++) {
    if (text.includes(secret.slice(i, i + 8))) return true;
  }
  return false;
}

Deno.test("redact replaces every occurrence and ignores empty secrets", () => {
  assert.equal(redact(`a ${KEY} b ${KEY}`, [KEY]), "a *** b ***");
  assert.equal(redact("abc", ["", undefined]), "abc");
});

Deno.test("a key echoed where error text is cut leaves no fragment in the sample", async () => {
  // The key starts just before each place error text used to be, or is, cut.
  const pads = [60, 70, 75, 150, 170, 185, 190, 195, 199];
  const mock = mockServer(async (req) => {
    const body = await req.json();
    const pad = "x".repeat(pads[body.messages[0].content.length % pads.length]);
    const kind = body.messages[0].content.length % 4;
    if (kind === 0) return Response.json({ error: { message: pad + KEY } }, { status: 500 });
    if (kind === 1) return new Response(pad + KEY, { status: 502 });
    if (kind === 2) return new Response(pad + KEY, { headers: { "content-type": "text/plain" } });
    return new Response(tok("a") + `data: ${pad}${KEY}\n\n` + "data: [DONE]\n\n", {
      headers: { "content-type": "text/event-stream" },
    });
  });
  const client = new ChatClient({ baseUrl: mock.url, apiKey: KEY, timeoutMs: 5000 });
  try {
    for (let n = 1; n <= 4 * pads.length; n++) {
      const rec = await client.chat({
        model: "m",
        messages: [{ role: "user", content: "q".repeat(n) }],
        stream: n % 4 === 3,
      });
      assert.notEqual(rec.outcome, "ok");
      assert.ok(rec.error !== null && rec.error.length <= 200);
      assert.ok(!holdsFragment(rec.error!), `${rec.outcome}: ${rec.error}`);
    }
  } finally {
    client.close();
    await mock.close();
  }
});

Deno.test("command lines lose secrets; URLs lose credentials", () => {
  assert.equal(
    redactCommand("vllm serve m --api-key sk-123 --port 8000 --hf-token=hf_abc", ["zzz"]),
    "vllm serve m --api-key *** --port 8000 --hf-token=***",
  );
  assert.equal(redactCommand("server --key mysecret", ["mysecret"]), "server --key ***");
  assert.equal(publicUrl("http://u:p@127.0.0.1:9/metrics"), "http://127.0.0.1:9/metrics");
});

Deno.test("scrub: every echoed form of a registered key, and secret-bearing shapes", () => {
  const key = "sk-scrub-test-0123456789abcdefXYZ";
  addSecret(key);
  const cases = [
    `server: echo Bearer ${key}`,
    encodeURIComponent(`Bearer ${key}`),
    JSON.stringify({ v: `"${key}"` }),
    btoa(key),
    btoa(`a${key}`),
    btoa(`Authorization: Bearer ${key}`),
    btoa(`ab${key}`).replaceAll("+", "-").replaceAll("/", "_"),
  ];
  for (const c of cases) {
    const out = scrub(c);
    assert.ok(out.includes("***"), out);
    for (const f of secretForms(key)) assert.ok(!out.includes(f), `${out} holds ${f}`);
    assert.ok(!out.includes(key.slice(8, 24)), out);
  }
  assert.equal(
    scrub(`vllm serve m -H "Authorization: Bearer other-0123456789" HF_TOKEN=hf_abc --auth=xyz1`),
    `vllm serve m -H "Authorization: Bearer ***" HF_TOKEN=*** --auth=***`,
  );
  // Prose and ordinary flags are left alone.
  for (
    const plain of [
      "pass a valid --api-key or set OPENAI_API_KEY",
      "--api-key KEY   bearer key; default: $OPENAI_API_KEY",
      "--max-tokens 64 --tokenizer words MAX_TOKENS=64",
    ]
  ) assert.equal(scrub(plain), plain);
});

Deno.test("a server command line loses -H Authorization, KEY= and --auth= values", () => {
  assert.equal(
    redactCommand(`curl -H "Authorization: Bearer abcdefgh123" OPENAI_API_KEY=s1 --auth=s2`),
    `curl -H "Authorization: Bearer ***" OPENAI_API_KEY=*** --auth=***`,
  );
});
