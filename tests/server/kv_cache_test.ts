import assert from "node:assert/strict";
import { blockKeys, BlockLru, KvCacheRouter, type KvConfig } from "../../server/kv_cache.ts";

const BASE: KvConfig = {
  enabled: true,
  blockSize: 16,
  capacityBlocks: 1000,
  workers: 4,
  overlapWeight: 1,
  loadWeight: 0.5,
};

function seqIds(n: number, offset = 0): number[] {
  return Array.from({ length: n }, (_, i) => (i + offset) % 50000);
}

Deno.test("blockKeys: one key per full block, chained over the whole prefix", () => {
  const a = seqIds(50);
  assert.equal(blockKeys(a, 16).length, 3);
  assert.equal(blockKeys(seqIds(15), 16).length, 0);
  const b = [...a];
  b[20] = 49999; // differs in block 1
  const ka = blockKeys(a, 16);
  const kb = blockKeys(b, 16);
  assert.equal(ka[0], kb[0]);
  assert.notEqual(ka[1], kb[1]);
  assert.notEqual(ka[2], kb[2], "a later block depends on every earlier token");
  const c = [...a.slice(16, 32), ...a.slice(0, 16)];
  assert.notEqual(blockKeys(c, 16)[1], ka[1], "same block content at another position differs");
  for (const k of ka) assert.ok(Number.isSafeInteger(k) && k >= 0);
});

Deno.test("BlockLru: bounded, evicts least recently used, prefix tails first", () => {
  const lru = new BlockLru(4);
  const added: number[] = [];
  const evicted: number[] = [];
  const add = (k: number) => added.push(k);
  const ev = (k: number) => evicted.push(k);
  lru.insert([1, 2, 3], add, ev);
  assert.deepEqual(added, [3, 2, 1]);
  assert.equal(lru.size, 3);
  lru.insert([10, 11], add, ev);
  assert.equal(lru.size, 4);
  // the oldest block is 3, the tail of the first prefix
  assert.deepEqual(evicted, [3]);
  assert.equal(lru.matchPrefix([1, 2, 3], 3), 2);
  lru.insert([1], add, ev); // touch 1: oldest first, the order is now 2, 11, 10, 1
  lru.insert([20], add, ev);
  assert.equal(lru.size, 4);
  assert.deepEqual(evicted, [3, 2]);
  assert.ok(lru.has(1), "recently touched block survives");
  assert.ok(lru.has(20));
  lru.clear();
  assert.equal(lru.size, 0);
});

Deno.test("router: cached tokens are whole blocks, never the block of the last token", () => {
  const kv = new KvCacheRouter({ ...BASE, workers: 1 });
  const prompt = seqIds(100); // 6 full blocks
  assert.equal(kv.route(prompt).cachedTokens, 0);
  kv.finish(0, 100);
  assert.equal(kv.route(prompt).cachedTokens, 96, "6 blocks, last token in the partial 7th");
  kv.finish(0, 100);
  const exact = seqIds(64); // exactly 4 blocks: the 4th holds the last token
  assert.equal(kv.route(exact).cachedTokens, 48);
  kv.finish(0, 64);
  const shared = [...seqIds(40), ...seqIds(30, 7000)]; // shares 40 tokens = 2 whole blocks + 8
  assert.equal(kv.route(shared).cachedTokens, 32);
  kv.finish(0, 70);
  const short = seqIds(15, 20000);
  assert.equal(kv.route(short).cachedTokens, 0);
  assert.equal(kv.route(short).cachedTokens, 0, "less than one block is never a hit");
});

Deno.test("router: off switch means no hits and no cached blocks", () => {
  const kv = new KvCacheRouter({ ...BASE, enabled: false });
  const prompt = seqIds(300);
  for (let i = 0; i < 5; i++) {
    const r = kv.route(prompt);
    assert.equal(r.cachedTokens, 0);
    kv.finish(r.worker, 310);
  }
  assert.equal(kv.hits, 0);
  assert.equal(kv.misses, 5);
  const m = kv.metrics() as { smart_router: { radix_tree: { total_cached_blocks: number } } };
  assert.equal(m.smart_router.radix_tree.total_cached_blocks, 0);
});

Deno.test("router: ties do not all go to worker-0", () => {
  const kv = new KvCacheRouter(BASE);
  const seen = new Set<number>();
  for (let i = 0; i < 8; i++) {
    const r = kv.route(seqIds(5, i * 100)); // short, distinct prompts: all workers tie
    seen.add(r.worker);
    kv.finish(r.worker, 10);
  }
  assert.equal(seen.size, 4, `only workers ${[...seen]} used`);
  const m = kv.metrics() as {
    smart_router: { workers: Record<string, { total_requests: number }> };
  };
  for (let w = 0; w < 4; w++) assert.equal(m.smart_router.workers[`worker-${w}`].total_requests, 2);
});

Deno.test("router: prefers the worker holding the prefix, load weight can move it", () => {
  const kv = new KvCacheRouter(BASE);
  const prefix = seqIds(160); // 10 blocks
  const first = kv.route([...prefix, 1, 2, 3]);
  kv.finish(first.worker, 170);
  for (let i = 0; i < 5; i++) {
    const r = kv.route([...prefix, 100 + i, 7, 8]);
    assert.equal(r.worker, first.worker, "affinity to the cached prefix");
    assert.equal(r.cachedTokens, 160);
    kv.finish(r.worker, 170);
  }
  // With enough requests in flight on that worker, the load term wins.
  const heavy = new KvCacheRouter({ ...BASE, loadWeight: 5 });
  const a = heavy.route([...prefix, 1]);
  heavy.finish(a.worker, 1);
  const b = heavy.route([...prefix, 2]); // active on a.worker = 1 now, cost 5 < 10 uncached elsewhere
  assert.equal(b.worker, a.worker);
  const c = heavy.route([...prefix, 3]); // active 2 -> cost 10 ties uncached 10 on others
  const d = heavy.route([...prefix, 4]); // active 3 -> cost 15 > 10: goes elsewhere
  assert.notEqual(d.worker, a.worker);
  assert.ok(c.worker >= 0);
});

Deno.test("router: metrics are consistent with what route returned, reset clears them", () => {
  const kv = new KvCacheRouter(BASE);
  const prefixes = [seqIds(64, 0), seqIds(64, 1000), seqIds(64, 2000)];
  let hits = 0;
  let cached = 0;
  let prompt = 0;
  const perWorker = [0, 0, 0, 0];
  for (let i = 0; i < 30; i++) {
    const ids = [...prefixes[i % 3], ...seqIds(10, 30000 + i)];
    const r = kv.route(ids);
    perWorker[r.worker]++;
    if (r.cachedTokens > 0) hits++;
    cached += r.cachedTokens;
    prompt += ids.length;
    kv.finish(r.worker, ids.length + 5);
  }
  const m = kv.metrics() as {
    cache_performance: Record<string, number>;
    smart_router: {
      workers: Record<
        string,
        { total_requests: number; active_requests: number; tokens_processed: number }
      >;
      radix_tree: { total_nodes: number; total_cached_blocks: number };
    };
  };
  const cp = m.cache_performance;
  assert.equal(cp.total_cache_hits, hits);
  assert.equal(cp.total_cache_misses, 30 - hits);
  assert.equal(cp.cached_tokens_reused, cached);
  assert.equal(cp.total_tokens_processed, prompt);
  assert.equal(cp.cache_hit_rate, Math.round((hits / 30) * 10000) / 100);
  assert.equal(cp.token_reuse_rate, Math.round((cached / prompt) * 10000) / 100);
  assert.ok(hits >= 27, `3 prefixes of 4 blocks: only the first of each misses (hits=${hits})`);
  for (let w = 0; w < 4; w++) {
    const ws = m.smart_router.workers[`worker-${w}`];
    assert.equal(ws.total_requests, perWorker[w]);
    assert.equal(ws.active_requests, 0);
  }
  assert.ok(m.smart_router.radix_tree.total_nodes > 0);
  kv.reset();
  const after = kv.metrics() as typeof m;
  assert.equal(after.cache_performance.total_cache_hits, 0);
  assert.equal(after.cache_performance.total_tokens_processed, 0);
  assert.equal(after.smart_router.radix_tree.total_cached_blocks, 0);
  assert.equal(after.smart_router.workers["worker-0"].total_requests, 0);
  assert.equal(kv.route(prefixes[0]).cachedTokens, 0, "cache empty after reset");
});

Deno.test("router: capacity bounds every worker's cache", () => {
  const kv = new KvCacheRouter({ ...BASE, workers: 2, capacityBlocks: 10 });
  for (let i = 0; i < 50; i++) {
    const r = kv.route(seqIds(100, i * 1000));
    kv.finish(r.worker, 100);
  }
  const m = kv.metrics() as {
    smart_router: {
      workers: Record<string, { cached_blocks: number }>;
      radix_tree: { total_cached_blocks: number };
    };
  };
  for (const w of Object.values(m.smart_router.workers)) assert.ok(w.cached_blocks <= 10);
  assert.ok(m.smart_router.radix_tree.total_cached_blocks <= 20);
  assert.ok(kv.distinctBlocks <= 20);
});

Deno.test("BlockLru agrees with a plain list model over random inserts, expiries and clears", () => {
  let now = 0;
  const lru = new BlockLru(50, () => now);
  /** The model: [key, last used], least recently used first. */
  let model: [number, number][] = [];
  const evicted: number[] = [], modelEvicted: number[] = [];
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  for (let step = 0; step < 5000; step++) {
    now += rand(3);
    const op = rand(100);
    if (op < 90) {
      // A prompt of up to 40 blocks from a small key space, so refreshes and evictions mix.
      const keys = Array.from({ length: 1 + rand(40) }, () => 1e12 + rand(200));
      const unique = [...new Set(keys)];
      lru.insert(unique, () => {}, (k) => evicted.push(k));
      for (let i = unique.length - 1; i >= 0; i--) {
        model = model.filter(([k]) => k !== unique[i]);
        model.push([unique[i], now]);
      }
      while (model.length > 50) modelEvicted.push(model.shift()![0]);
    } else if (op < 98) {
      const ttl = rand(40);
      lru.expire(ttl, (k) => evicted.push(k));
      while (model.length && model[0][1] < now - ttl) modelEvicted.push(model.shift()![0]);
    } else {
      lru.clear();
      model = [];
    }
    assert.equal(lru.size, model.length, `size at step ${step}`);
  }
  assert.deepEqual(evicted, modelEvicted, "same blocks evicted, in the same order");
  for (const [k] of model) assert.ok(lru.has(k));
  assert.ok(evicted.length > 1000, `${evicted.length} evictions exercised`);
});
