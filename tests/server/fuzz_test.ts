import assert from "node:assert/strict";
import { Prng } from "../../util/prng.ts";
import { chatBody, withServer } from "./_helpers.ts";

function randomString(rng: Prng, max: number): string {
  const n = rng.int(max);
  let s = "";
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    s += r < 0.6
      ? String.fromCharCode(32 + rng.int(95))
      : r < 0.8
      ? String.fromCharCode(rng.int(0x3000))
      : r < 0.9
      ? String.fromCharCode(0xd800 + rng.int(0x800)) // lone surrogates
      : '\n\t"\\{}[]'[rng.int(9)];
  }
  return s;
}

function randomValue(rng: Prng, depth: number): unknown {
  const r = rng.int(depth > 3 ? 6 : 8);
  switch (r) {
    case 0:
      return null;
    case 1:
      return rng.next() < 0.5;
    case 2:
      return [0, 1, -1, 2.5, 1e308, -1e308, 16384, 16385, 2 ** 53, 9][rng.int(10)];
    case 3:
      return rng.int(200) - 20;
    case 4:
    case 5:
      return randomString(rng, 40);
    case 6:
      return Array.from({ length: rng.int(5) }, () => randomValue(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      const keys = [
        "model",
        "messages",
        "role",
        "content",
        "type",
        "text",
        "max_tokens",
        "stream",
        "n",
        "x",
      ];
      for (let i = rng.int(5); i > 0; i--) {
        o[keys[rng.int(keys.length)]] = randomValue(rng, depth + 1);
      }
      return o;
    }
  }
}

function mutatedChat(rng: Prng): unknown {
  const body: Record<string, unknown> = chatBody(randomString(rng, 30), {
    max_tokens: 1 + rng.int(30),
    stream: rng.next() < 0.5,
    stream_options: { include_usage: rng.next() < 0.5 },
  });
  const fields = [
    "model",
    "messages",
    "max_tokens",
    "max_completion_tokens",
    "stream",
    "stream_options",
    "n",
    "seed",
  ];
  for (let i = rng.int(3); i > 0; i--) body[fields[rng.int(fields.length)]] = randomValue(rng, 1);
  if (rng.next() < 0.3) {
    (body.messages as unknown[] | undefined)?.push?.(randomValue(rng, 1));
  }
  return body;
}

function randomBody(rng: Prng): BodyInit {
  const r = rng.int(10);
  if (r < 2) {
    const bytes = new Uint8Array(rng.int(2000));
    for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
    return bytes;
  }
  if (r < 4) return JSON.stringify(randomValue(rng, 0));
  if (r === 4) {
    const depth = 1 + rng.int(200_000);
    return "[".repeat(depth) + "]".repeat(rng.next() < 0.5 ? depth : 0);
  }
  const text = JSON.stringify(mutatedChat(rng));
  return rng.next() < 0.1 ? text.slice(0, rng.int(text.length)) : text;
}

interface Answer {
  status: number;
  ok: boolean;
  why?: string;
}

async function check(res: Response): Promise<Answer> {
  const status = res.status;
  const type = res.headers.get("content-type") ?? "";
  const text = await res.text();
  if (status === 200 && type === "text/event-stream") {
    if (!text.endsWith("data: [DONE]\n\n")) {
      return { status, ok: false, why: "stream without [DONE]" };
    }
    for (const ev of text.slice(0, -2).split("\n\n")) {
      if (!ev.startsWith("data: ")) {
        return { status, ok: false, why: `bad event ${ev.slice(0, 80)}` };
      }
      const data = ev.slice(6);
      if (data === "[DONE]") continue;
      try {
        JSON.parse(data);
      } catch {
        return { status, ok: false, why: `bad chunk ${data.slice(0, 80)}` };
      }
    }
    return { status, ok: true };
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    return { status, ok: false, why: `not JSON: ${text.slice(0, 80)}` };
  }
  if (status >= 400) {
    const e = body.error as Record<string, unknown> | undefined;
    const good = e !== undefined && typeof e.message === "string" && typeof e.type === "string" &&
      "param" in e && "code" in e;
    return { status, ok: good, why: good ? undefined : `bad error body ${text.slice(0, 120)}` };
  }
  return { status, ok: status === 200, why: `status ${status}` };
}

Deno.test("fuzz: random bytes and random JSON, concurrently; every answer well-formed, never a crash", async () => {
  await withServer({
    ttftMs: 0,
    itlMs: 0,
    prefillMsPerToken: 0,
    maxTokensLimit: 2048,
    maxBodyBytes: 100_000,
  }, async (server) => {
    const rng = new Prng(20240601);
    const total = 400;
    const plans = Array.from({ length: total }, () => {
      const r = rng.next();
      const path = r < 0.85
        ? "/v1/chat/completions"
        : ["/", "/v1/models", "/nope", "/kv-cache/reset", "/metrics"][
          rng.int(5)
        ];
      const method = rng.next() < 0.9 ? "POST" : ["GET", "PUT", "DELETE", "PATCH"][rng.int(4)];
      const body = method === "GET" ? undefined : randomBody(rng);
      const headers: Record<string, string> = {};
      if (rng.next() < 0.5) {
        headers["content-type"] = rng.next() < 0.8
          ? "application/json"
          : randomString(rng, 20).replace(/[^\x20-\x7e]/g, "");
      }
      return { path, method, body, headers };
    });
    const answers: Answer[] = new Array(total);
    let next = 0;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        const p = plans[i];
        const res = await fetch(server.url + p.path, {
          method: p.method,
          body: p.body,
          headers: p.headers,
        });
        answers[i] = await check(res);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const bad = answers.map((a, i) => ({ ...a, i })).filter((a) => !a.ok);
    assert.deepEqual(bad.slice(0, 5), [], `${bad.length} malformed answers`);
    const statuses = new Set(answers.map((a) => a.status));
    for (const s of statuses) {
      assert.ok([200, 400, 404, 405, 413].includes(s), `unexpected status ${s}`);
    }
    assert.ok(answers.some((a) => a.status === 200) && answers.some((a) => a.status === 400));
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    const m = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(m, /^fakeai_active_requests 0$/m);
  });
});
