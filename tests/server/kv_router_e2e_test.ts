import assert from "node:assert/strict";
import type { RunningServer } from "../../server/mod.ts";
import { kvMetrics, postChat, readEvents, withServer, words } from "./_helpers.ts";

const FAST = { ttftMs: 0, itlMs: 0, prefillMsPerToken: 0 };

interface Result {
  worker: string;
  cached: number;
  prompt: number;
}

async function ask(
  server: RunningServer,
  system: string,
  user: string,
  stream: boolean,
): Promise<Result> {
  const res = await postChat(server, {
    model: "m",
    max_tokens: 4,
    stream,
    stream_options: { include_usage: true },
    messages: [{ role: "system", content: system }, { role: "user", content: user }],
  });
  assert.equal(res.status, 200);
  const worker = res.headers.get("x-fakeai-worker")!;
  assert.match(worker, /^worker-\d+$/);
  let usage;
  if (stream) {
    const { events } = await readEvents(res);
    usage = JSON.parse(events.at(-2)!.data).usage;
  } else {
    usage = (await res.json()).usage;
  }
  return { worker, cached: usage.prompt_tokens_details.cached_tokens, prompt: usage.prompt_tokens };
}

Deno.test("kv e2e: shared system prompts hit in whole blocks; usage agrees with /kv-cache/metrics deltas", async () => {
  await withServer(FAST, async (server) => {
    await ask(server, "warm up the connection", "nothing shared", false);
    const before = await kvMetrics(server);
    const prefixes = [0, 1, 2].map((p) => words(256 + 10 * p, `p${p}x`));
    const results: Result[] = [];
    for (let it = 0; it < 3; it++) {
      for (let p = 0; p < 3; p++) {
        for (let s = 0; s < 4; s++) {
          results.push(await ask(server, prefixes[p], `suffix ${s} iteration ${it}`, s % 2 === 0));
        }
      }
    }
    const after = await kvMetrics(server);
    for (const r of results) assert.equal(r.cached % 16, 0, "block-aligned");
    const hits = results.filter((r) => r.cached > 0).length;
    assert.equal(hits, results.length - 3, "only the first request of each prefix misses");
    for (const r of results.filter((r) => r.cached > 0)) {
      assert.ok(r.cached >= 256 && r.cached < r.prompt);
    }
    const cb = before.cache_performance;
    const ca = after.cache_performance;
    assert.equal(ca.total_cache_hits - cb.total_cache_hits, hits);
    assert.equal(ca.total_cache_misses - cb.total_cache_misses, results.length - hits);
    assert.equal(
      ca.cached_tokens_reused - cb.cached_tokens_reused,
      results.reduce((s, r) => s + r.cached, 0),
    );
    assert.equal(
      ca.total_tokens_processed - cb.total_tokens_processed,
      results.reduce((s, r) => s + r.prompt, 0),
    );
    assert.deepEqual(ca.endpoint_stats["/v1/chat/completions"], {
      hits: ca.total_cache_hits,
      misses: ca.total_cache_misses,
    });
    // router: per-worker totals match the x-fakeai-worker headers
    const byWorker = new Map<string, number>();
    for (const r of results) byWorker.set(r.worker, (byWorker.get(r.worker) ?? 0) + 1);
    for (const [name, w] of Object.entries(after.smart_router.workers)) {
      const delta = w.total_requests - before.smart_router.workers[name].total_requests;
      assert.equal(delta, byWorker.get(name) ?? 0, name);
      assert.equal(w.active_requests, 0);
    }
    // affinity: every prefix stays on one worker
    for (let p = 0; p < 3; p++) {
      const ws = new Set(
        results.filter((_, i) => Math.floor(i / 4) % 3 === p).map((r) => r.worker),
      );
      assert.equal(ws.size, 1, `prefix ${p} on ${[...ws]}`);
    }
    assert.deepEqual(after.smart_router.config, {
      kv_overlap_weight: 1,
      load_balance_weight: 0.5,
      block_size: 16,
      num_workers: 4,
    });
    assert.ok(after.smart_router.radix_tree.total_cached_blocks > 0);
  });
});

Deno.test("kv e2e: sequential short prompts are spread over the workers, not all on worker-0", async () => {
  await withServer(FAST, async (server) => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 12; i++) {
      const r = await ask(server, "short", `q${i}`, false);
      seen.set(r.worker, (seen.get(r.worker) ?? 0) + 1);
    }
    assert.equal(seen.size, 4, `workers used: ${[...seen.entries()]}`);
  });
});

Deno.test("kv e2e: POST /kv-cache/reset clears the cache, counters and worker totals", async () => {
  await withServer(FAST, async (server) => {
    const system = words(300, "r");
    await ask(server, system, "a", false);
    assert.ok((await ask(server, system, "b", false)).cached > 0);
    const res = await fetch(`${server.url}/kv-cache/reset`, { method: "POST" });
    assert.equal(res.status, 200);
    assert.equal(typeof (await res.json()), "object");
    const m = await kvMetrics(server);
    assert.equal(m.cache_performance.total_cache_hits, 0);
    assert.equal(m.cache_performance.total_cache_misses, 0);
    assert.equal(m.cache_performance.cached_tokens_reused, 0);
    assert.equal(m.smart_router.radix_tree.total_cached_blocks, 0);
    for (const w of Object.values(m.smart_router.workers)) {
      assert.equal(w.total_requests, 0);
      assert.equal(w.cached_blocks, 0);
      assert.equal(w.tokens_processed, 0);
    }
    assert.equal((await ask(server, system, "c", true)).cached, 0, "cold after reset");
  });
});

Deno.test("kv e2e: --no-kv-cache gives cached_tokens 0 and counts every lookup a miss", async () => {
  await withServer({ ...FAST, kvCache: false }, async (server) => {
    const system = words(300, "off");
    for (let i = 0; i < 4; i++) {
      assert.equal((await ask(server, system, `q${i}`, i % 2 === 0)).cached, 0);
    }
    const m = await kvMetrics(server);
    assert.equal(m.cache_performance.total_cache_hits, 0);
    assert.equal(m.cache_performance.total_cache_misses, 4);
    assert.equal(m.cache_performance.cache_hit_rate, 0);
    assert.equal(m.smart_router.radix_tree.total_cached_blocks, 0);
  });
});

Deno.test("kv e2e: a small capacity evicts old prefixes (LRU)", async () => {
  await withServer({ ...FAST, workers: 1, kvCapacityBlocks: 40 }, async (server) => {
    const a = words(320, "a"); // 20 blocks
    const b = words(320, "b");
    const c = words(320, "c");
    await ask(server, a, "1", false);
    await ask(server, b, "1", false);
    assert.ok(
      (await ask(server, a, "2", false)).cached >= 320,
      "a still cached, and now most recent",
    );
    await ask(server, c, "1", false); // evicts b, the least recently used
    assert.ok((await ask(server, a, "3", false)).cached >= 320);
    assert.equal((await ask(server, b, "2", false)).cached, 0, "b was evicted");
    const m = await kvMetrics(server);
    assert.ok(m.smart_router.workers["worker-0"].cached_blocks <= 40);
  });
});

Deno.test("leak mode: retained bytes grow by the configured amount per completed request", async () => {
  await withServer({ ...FAST, leakBytesPerRequest: 65536 }, async (server) => {
    const read = async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return Number(/^fakeai_leaked_bytes (\d+)$/m.exec(text)![1]);
    };
    assert.equal(await read(), 0);
    for (let i = 0; i < 10; i++) await ask(server, "leak", `q${i}`, i % 2 === 0);
    assert.equal(await read(), 10 * 65536);
  });
  await withServer(FAST, async (server) => {
    for (let i = 0; i < 5; i++) await ask(server, "no leak", `q${i}`, false);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /^fakeai_leaked_bytes 0$/m);
  });
});
