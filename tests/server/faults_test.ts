import assert from "node:assert/strict";
import type { RunningServer } from "../../server/mod.ts";
import { chatBody, postChat, readEvents, scrape, withServer } from "./_helpers.ts";

const FAST = { ttftMs: 0, itlMs: 0, prefillMsPerToken: 0 };

/** Outcome of one streaming request as a client would classify it. */
type Outcome = "ok" | `http_${number}` | "stream_cut" | "bad_body";

async function streamOutcome(server: RunningServer, i: number): Promise<Outcome> {
  const res = await postChat(server, chatBody(`fault ${i}`, { max_tokens: 8, stream: true }));
  if (res.status !== 200) {
    const body = await res.json();
    assert.ok(body.error && typeof body.error.message === "string");
    return `http_${res.status}`;
  }
  const { events, cut } = await readEvents(res);
  if (cut || events.at(-1)?.data !== "[DONE]") return "stream_cut";
  for (const e of events.slice(0, -1)) {
    try {
      JSON.parse(e.data);
    } catch {
      return "bad_body";
    }
  }
  return "ok";
}

async function runMany(
  overrides: Record<string, unknown>,
  count: number,
  concurrency: number,
): Promise<{ outcomes: Outcome[]; faults: Record<string, number> }> {
  let outcomes: Outcome[] = [];
  let faults: Record<string, number> = {};
  await withServer({ ...FAST, ...overrides }, async (server) => {
    outcomes = new Array(count);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        outcomes[i] = await streamOutcome(server, i);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const m = await scrape(server);
    faults = Object.fromEntries(
      ["error", "disconnect", "stall", "malformed"].map((
        k,
      ) => [k, m.get(`fakeai_injected_faults_total{kind="${k}"}`)!]),
    );
  });
  return { outcomes, faults };
}

function count(xs: Outcome[], o: Outcome): number {
  return xs.filter((x) => x === o).length;
}

function assertBinomial(k: number, n: number, p: number, what: string): void {
  const sd = Math.sqrt(n * p * (1 - p));
  assert.ok(Math.abs(k - n * p) <= 4 * sd + 1, `${what}: ${k} of ${n}, expected about ${n * p}`);
}

Deno.test("faults: error rate answers errorStatus at about the rate, the same sequence for a seed", async () => {
  const seq = async (seed: number) => {
    const statuses: number[] = [];
    await withServer({ ...FAST, seed, errorRate: 0.2, errorStatus: 503 }, async (server) => {
      for (let i = 0; i < 200; i++) {
        const res = await postChat(server, chatBody(`e ${i}`, { max_tokens: 2 }));
        const body = await res.json();
        if (res.status !== 200) {
          assert.equal(body.error.type, "server_error");
          assert.equal(body.error.code, "service_unavailable");
        }
        statuses.push(res.status);
      }
    });
    return statuses;
  };
  const a = await seq(42);
  const b = await seq(42);
  const c = await seq(7);
  assert.deepEqual(a, b, "deterministic for a seed");
  assert.notDeepEqual(a, c, "another seed, another sequence");
  assert.ok(a.every((s) => s === 200 || s === 503));
  assertBinomial(a.filter((s) => s === 503).length, 200, 0.2, "503s");
});

Deno.test("faults: 429 carries Retry-After", async () => {
  await withServer({ ...FAST, errorRate: 1, errorStatus: 429 }, async (server) => {
    const res = await postChat(server, chatBody("x"));
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "1");
    const body = await res.json();
    assert.equal(body.error.code, "rate_limit_exceeded");
  });
});

Deno.test("faults: disconnect cuts a stream without [DONE] and truncates a JSON body", async () => {
  await withServer({ ...FAST, itlMs: 1, disconnectRate: 1 }, async (server) => {
    for (let i = 0; i < 5; i++) {
      const res = await postChat(server, chatBody(`d ${i}`, { max_tokens: 20, stream: true }));
      assert.equal(res.status, 200);
      const { events, cut } = await readEvents(res);
      assert.ok(cut, "the client sees the stream cut");
      assert.ok(!events.some((e) => e.data === "[DONE]"));
      assert.ok(events.length >= 1 && events.length < 21, `${events.length} events before the cut`);
    }
    let failures = 0;
    for (let i = 0; i < 3; i++) {
      const res = await postChat(server, chatBody(`dj ${i}`, { max_tokens: 20 }));
      try {
        JSON.parse(await res.text());
      } catch {
        failures++;
      }
    }
    assert.equal(failures, 3, "every non-streaming body is cut or truncated");
    const m = await scrape(server);
    assert.equal(m.get('fakeai_injected_faults_total{kind="disconnect"}'), 8);
    assert.equal(m.get("fakeai_streams_failed_total"), 5);
    assert.equal(m.get("fakeai_active_streams"), 0);
    assert.equal(m.get("fakeai_active_requests"), 0);
  });
});

Deno.test("faults: malformed sends one chunk that is not JSON, then finishes", async () => {
  await withServer({ ...FAST, malformedRate: 1 }, async (server) => {
    const res = await postChat(server, chatBody("m", { max_tokens: 10, stream: true }));
    const { events, cut } = await readEvents(res);
    assert.equal(cut, false);
    assert.equal(events.at(-1)!.data, "[DONE]");
    let bad = 0;
    for (const e of events.slice(0, -1)) {
      try {
        JSON.parse(e.data);
      } catch {
        bad++;
      }
    }
    assert.equal(bad, 1);
    const tokens = events.slice(0, -1).filter((e) => {
      try {
        return (JSON.parse(e.data).choices[0]?.delta?.content ?? "") !== "";
      } catch {
        return false;
      }
    });
    assert.equal(tokens.length, 10, "every token still arrives");
    const ns = await postChat(server, chatBody("m", { max_tokens: 10 }));
    assert.equal(ns.status, 200);
    await assert.rejects(() => ns.json());
  });
});

Deno.test("faults: a stall adds one pause of stallMs mid-stream", async () => {
  await withServer({ ...FAST, stallRate: 1, stallMs: 150 }, async (server) => {
    const t0 = performance.now();
    const res = await postChat(server, chatBody("s", { max_tokens: 10, stream: true }));
    const { events } = await readEvents(res);
    const total = performance.now() - t0;
    assert.equal(events.at(-1)!.data, "[DONE]");
    assert.ok(total >= 145 && total < 600, `took ${total.toFixed(1)} ms`);
    const gaps = events.slice(1).map((e, i) => e.at - events[i].at);
    const big = gaps.filter((g) => g >= 100).length;
    assert.equal(big, 1, `one long gap, got gaps ${gaps.map((g) => g.toFixed(1))}`);
    const t1 = performance.now();
    await (await postChat(server, chatBody("s", { max_tokens: 10 }))).json();
    assert.ok(performance.now() - t1 >= 145, "non-streaming pays the stall too");
  });
});

Deno.test("faults: mixed rates under concurrency: counts near the rates and identical across runs", async () => {
  const rates = {
    seed: 11,
    errorRate: 0.1,
    errorStatus: 500,
    disconnectRate: 0.1,
    malformedRate: 0.1,
  };
  const a = await runMany(rates, 300, 10);
  const b = await runMany(rates, 300, 10);
  assert.deepEqual(a.faults, b.faults, "fault counts are deterministic for a seed");
  assertBinomial(a.faults.error, 300, 0.1, "errors");
  assertBinomial(a.faults.disconnect, 300, 0.1, "disconnects");
  assertBinomial(a.faults.malformed, 300, 0.1, "malformed");
  assert.equal(a.faults.stall, 0);
  const o = a.outcomes;
  assert.equal(count(o, "http_500"), a.faults.error);
  // a request can draw disconnect and malformed; the cut wins for the client
  assert.equal(count(o, "stream_cut"), a.faults.disconnect);
  assert.ok(count(o, "bad_body") <= a.faults.malformed);
  assert.equal(o.length, 300);
  assert.equal(
    count(o, "ok") + count(o, "http_500") + count(o, "stream_cut") + count(o, "bad_body"),
    300,
    "every request has exactly one outcome",
  );
});
