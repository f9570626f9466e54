import assert from "node:assert/strict";
import { ChatClient } from "../../net/client.ts";
import { OUTCOMES, type RequestRecord } from "../../measure/record.ts";
import { RecordAggregator } from "../../measure/aggregate.ts";
import { mockServer } from "../_mock.ts";
import { concat, randomChunks, randomStream, Rng } from "../_fuzz.ts";

const enc = new TextEncoder();

/** A response the client may meet: random status, type and body (a random stream often). */
interface Plan {
  status: number;
  type: string;
  chunks: Uint8Array[];
}

function chatChunk(rng: Rng): string {
  const r = rng.int(6);
  const obj = r === 0
    ? { choices: [{ delta: { role: "assistant" } }] }
    : r === 1
    ? { choices: [], usage: { prompt_tokens: 3, completion_tokens: rng.int(5) } }
    : r === 2
    ? { choices: [{ delta: { content: "" } }] }
    : { choices: [{ delta: { content: rng.pick(["a", "b c", "é"]) } }] };
  return `data: ${JSON.stringify(obj)}\n\n`;
}

function randomPlan(rng: Rng, streaming: boolean): Plan {
  const status = rng.pick([200, 200, 200, 200, 200, 400, 401, 404, 429, 500, 503, 302, 204]);
  let body: Uint8Array;
  const r = rng.int(4);
  if (r === 0) body = randomStream(rng);
  else if (r === 1 && !streaming) {
    body = enc.encode(
      rng.pick([
        '{"choices":[{"message":{"content":"hello there"}}],"usage":{"completion_tokens":2}}',
        '{"choices":[{"message":{"content":""}}]}',
        '{"choices":"nope"}',
        "null",
        "[]",
        '{"choices":[{"message":{"content":"cut',
        '{"error":{"message":"bad"}}',
      ]),
    );
  } else {
    const parts: string[] = [];
    for (let i = rng.int(8); i > 0; i--) parts.push(chatChunk(rng));
    if (rng.next() < 0.2) parts.splice(rng.int(parts.length + 1), 0, "data: {not json\n\n");
    if (rng.next() < 0.8) parts.push("data: [DONE]\n\n");
    body = concat([
      enc.encode(parts.join("")),
      rng.next() < 0.1 ? randomStream(rng, 5) : new Uint8Array(),
    ]);
  }
  return {
    status,
    type: rng.pick(["text/event-stream", "application/json", "text/html", ""]),
    chunks: randomChunks(rng, body),
  };
}

function respond(plan: Plan): Response {
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      // (Cut connections are covered end to end by the fault-injection tests.)
      if (i < plan.chunks.length) c.enqueue(plan.chunks[i++]);
      else c.close();
    },
  });
  const headers = plan.type ? { "content-type": plan.type } : undefined;
  return new Response(plan.status === 204 ? null : body, { status: plan.status, headers });
}

function checkRecord(rec: RequestRecord, streaming: boolean, where: string): void {
  assert.ok(OUTCOMES.includes(rec.outcome), `${where}: outcome ${rec.outcome}`);
  assert.ok(rec.tEnd >= rec.tSend && rec.e2e >= 0, `${where}: times`);
  if (rec.outcome === "ok") {
    assert.ok(rec.status !== null && rec.status >= 200 && rec.status < 300, `${where}: ok status`);
    assert.ok(rec.outputTokens >= 1, `${where}: ok without tokens`);
    assert.equal(rec.error, null, `${where}: ok with an error`);
    if (streaming) {
      assert.ok(rec.ttft !== null && rec.ttft <= rec.e2e, `${where}: ttft`);
      // Counted chunks: one gap per chunk after the first. Counted text: its tokens.
      assert.equal(
        rec.itl.length,
        rec.outputTokensCountedBy === "events" ? rec.outputTokens - 1 : rec.itl.length,
      );
    }
  } else {
    assert.ok(rec.error !== null && rec.error.length > 0, `${where}: failure without error`);
    assert.deepEqual(rec.itl, [], `${where}: failure with ITL samples`);
  }
}

Deno.test("fuzz: random statuses, types and byte streams never make the client throw; one outcome each", async () => {
  const rng = new Rng(0xc1e47);
  const total = 300;
  const plans = Array.from({ length: total }, (_, i) => randomPlan(rng, i % 2 === 1));
  const mock = mockServer(async (req) => {
    const body = await req.json();
    return respond(plans[body.i]);
  });
  const client = new ChatClient({ baseUrl: mock.url, timeoutMs: 5000 });
  const agg = new RecordAggregator();
  const again = new Map<number, RequestRecord>();
  try {
    let next = 0;
    const lane = async () => {
      while (next < total) {
        const i = next++;
        const streaming = i % 2 === 1;
        const body = {
          model: "m",
          messages: [{ role: "user", content: "x" }],
          stream: streaming,
          i,
        };
        const rec = await client.chat(body);
        checkRecord(rec, streaming, `#${i}`);
        agg.add(rec);
        if (i % 5 === 0) {
          // The same bytes cut into other reads must end the same way.
          plans[i] = { ...plans[i], chunks: randomChunks(rng, concat(plans[i].chunks)) };
          const rec2 = await client.chat(body);
          assert.equal(rec2.outcome, rec.outcome, `#${i} depends on how the bytes were read`);
          assert.equal(rec2.outputTokens, rec.outputTokens, `#${i} token count`);
          again.set(i, rec2);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, lane));
  } finally {
    client.close();
    await mock.close();
  }
  const m = agg.metrics();
  assert.equal(m.total_requests, total);
  assert.equal(Object.values(m.outcomes).reduce((a, b) => a + b, 0), total);
  assert.equal(m.latency.count, m.outcomes.ok);
  assert.ok(m.error_samples.length <= 10);
  // The generator reaches both sides and most classes.
  const seen = OUTCOMES.filter((o) => m.outcomes[o] > 0);
  assert.ok(m.outcomes.ok > 10 && m.failed_requests > 10, JSON.stringify(m.outcomes));
  assert.ok(seen.length >= 6, JSON.stringify(m.outcomes));
  assert.ok(again.size > 0);
});
