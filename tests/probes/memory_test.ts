import assert from "node:assert/strict";
import {
  analyzeMemory,
  type MemoryPhase,
  type MemorySnapshot,
  resolveMemorySource,
} from "../../probes/memory.ts";
import { mockServer } from "../_mock.ts";

/** Synthetic samples: 5 baseline, `load` samples at `rate` requests each, 10 drain. */
function series(
  perRequestKb: (req: number, i: number) => number,
  opts: { load?: number; rate?: number; drainMb?: (loadEndMb: number, i: number) => number } = {},
): MemorySnapshot[] {
  const out: MemorySnapshot[] = [];
  const base = 100;
  let t = 0, req = 0, last = base;
  const push = (phase: MemoryPhase, v: number) => {
    out.push({
      t_s: t++,
      phase,
      requests: req,
      rss_mb: v + 40,
      anon_mb: v,
      swap_mb: 0,
      value_mb: v,
    });
  };
  for (let i = 0; i < 5; i++) push("baseline", base);
  const n = opts.load ?? 30, rate = opts.rate ?? 10;
  for (let i = 0; i <= n; i++) {
    last = base + perRequestKb(req, i) / 1024;
    push("load", last);
    req += rate;
  }
  req -= rate;
  for (let i = 0; i < 10; i++) push("drain", opts.drainMb ? opts.drainMb(last, i) : last);
  return out;
}

// A deterministic wobble of ±0.2 MB so intervals have width.
const wobble = (i: number) => 200 * Math.sin(i * 2.3);

Deno.test("steady growth of 64 KB per request that stays while idle is a leak", () => {
  const s = series((r, i) => 64 * r + wobble(i));
  const a = analyzeMemory(s, { thresholdKbPerRequest: 1 });
  assert.equal(a.verdict, "leak");
  assert.ok(a.ci_low_kb_per_request > 60 && a.ci_high_kb_per_request < 68, a.verdict_reason);
  assert.ok(a.ci_low_kb_per_request <= a.slope_kb_per_request);
  assert.ok(a.slope_kb_per_request <= a.ci_high_kb_per_request);
  // 10 requests per 1 s sample = 600 per minute: 64 KB × 600 = 37.5 MB/min.
  assert.ok(Math.abs(a.requests_per_min - 600) < 1e-9);
  assert.ok(Math.abs(a.slope_mb_per_min - a.slope_kb_per_request / 1024 * 600) < 1e-9);
  assert.equal(a.baseline_mb, 100);
  assert.ok(a.drain_returned_fraction !== null && a.drain_returned_fraction < 0.1);
  // The line passes through the load samples (within the ±0.2 MB wobble).
  for (const p of s.filter((x) => x.phase === "load")) {
    const fitted = a.intercept_mb + (a.slope_kb_per_request / 1024) * p.requests;
    assert.ok(Math.abs(fitted - p.value_mb) < 0.3, `${fitted} vs ${p.value_mb}`);
  }
  // Warm-up: the first 20% of the load phase is left out of the fit.
  assert.equal(a.fit_points, 25);
});

Deno.test("flat memory with noise is no leak", () => {
  const a = analyzeMemory(series((_r, i) => wobble(i) / 50), { thresholdKbPerRequest: 1 });
  assert.equal(a.verdict, "no leak", a.verdict_reason);
  assert.ok(a.ci_high_kb_per_request <= 1);
});

Deno.test("growth that plateaus during warm-up is left out of the fit", () => {
  // Grows 50 KB/request over the first 60 requests (the warm-up fifth), then flat.
  const a = analyzeMemory(series((r) => 50 * Math.min(r, 60)), { thresholdKbPerRequest: 1 });
  assert.equal(a.verdict, "no leak", a.verdict_reason);
  assert.equal(a.slope_kb_per_request, 0);
  // Growth through the whole load is not excused by a warm-up window, however wide.
  const b = analyzeMemory(series((r) => 50 * r), {
    thresholdKbPerRequest: 1,
    warmupFraction: 0.5,
  });
  assert.equal(b.verdict, "leak");
});

Deno.test("growth given back during the drain is not a leak", () => {
  const a = analyzeMemory(
    series((r) => 64 * r, { drainMb: (end, i) => (i < 3 ? end : 100.5) }),
    { thresholdKbPerRequest: 1 },
  );
  assert.ok(a.ci_low_kb_per_request > 1);
  assert.equal(a.verdict, "no leak", a.verdict_reason);
  assert.match(a.verdict_reason, /gave back/);
  assert.ok(a.drain_returned_fraction! > 0.9);
});

Deno.test("an interval that straddles the threshold is inconclusive", () => {
  // 1 KB/request on average with ±2 MB noise over 300 requests.
  const a = analyzeMemory(series((r, i) => 1 * r + 10 * wobble(i)), {
    thresholdKbPerRequest: 1,
  });
  assert.equal(a.verdict, "inconclusive", a.verdict_reason);
  assert.ok(a.ci_low_kb_per_request <= 1 && a.ci_high_kb_per_request > 1);
  assert.match(a.verdict_reason, /straddles/);
});

Deno.test("too few load samples are inconclusive, whatever the slope", () => {
  const a = analyzeMemory(series((r) => 64 * r, { load: 3 }), { thresholdKbPerRequest: 1 });
  assert.equal(a.verdict, "inconclusive");
  assert.match(a.verdict_reason, /samples/);
});

Deno.test("the threshold decides: the same slope is a leak or not", () => {
  const s = series((r, i) => 8 * r + wobble(i) / 4);
  assert.equal(analyzeMemory(s, { thresholdKbPerRequest: 1 }).verdict, "leak");
  assert.equal(analyzeMemory(s, { thresholdKbPerRequest: 16 }).verdict, "no leak");
});

Deno.test("the client's own process is never chosen as the server", async () => {
  const self = await resolveMemorySource({
    embedded: false,
    embeddedPid: null,
    serverPid: Deno.pid,
    baseUrl: "http://127.0.0.1:1",
    metricsUrl: null,
  });
  assert.equal(self.ok, false);
  assert.match(!self.ok ? self.reason : "", /own process/);
  // A server in this very process, found from its port, is refused too.
  const mock = mockServer(() => new Response("ok"));
  try {
    const r = await resolveMemorySource({
      embedded: false,
      embeddedPid: null,
      serverPid: null,
      baseUrl: mock.url,
      metricsUrl: null,
    });
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : "", /own process.*no --metrics-url/);
  } finally {
    await mock.close();
  }
});

Deno.test("a --server-pid that does not exist is a reason, not a guess", async () => {
  const r = await resolveMemorySource({
    embedded: false,
    embeddedPid: null,
    serverPid: 2 ** 22 + 4321,
    baseUrl: "http://127.0.0.1:1",
    metricsUrl: null,
  });
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.reason : "", /no such process/);
});

Deno.test("a remote host falls through to --metrics-url", async () => {
  const mock = mockServer(() => new Response("process_resident_memory_bytes 2097152\n"));
  try {
    const r = await resolveMemorySource({
      embedded: false,
      embeddedPid: null,
      serverPid: null,
      baseUrl: "http://203.0.113.7:8000",
      metricsUrl: `${mock.url}/metrics`,
    });
    assert.ok(r.ok);
    assert.equal(r.probe.source.kind, "prometheus");
    assert.equal(r.probe.kind, "rss");
    assert.equal(r.probe.source.pid, null);
    assert.deepEqual(await r.probe.read(), { rss: 2097152, rssAnon: null, swap: null });
  } finally {
    await mock.close();
  }
});

Deno.test("an interrupted test gets no verdict, however it grew", () => {
  const s = series((r, i) => 64 * r + wobble(i), { drainMb: (end) => end });
  const a = analyzeMemory(s.slice(0, s.length - 9), {
    thresholdKbPerRequest: 1,
    interrupted: true,
  });
  assert.equal(a.verdict, "interrupted");
  assert.match(a.verdict_reason, /no verdict/);
  // The same samples, not cut short, are a leak.
  assert.equal(analyzeMemory(s, { thresholdKbPerRequest: 1 }).verdict, "leak");
});

Deno.test("memory that never rose above its baseline is no leak, even when its slope is unsure", () => {
  // Noise around the baseline, ending below it: the interval straddles 1 KB/request.
  const s = series((r, i) => 10 * wobble(i) - (r > 250 ? 300 : 0), {
    drainMb: () => 99.5,
  });
  const a = analyzeMemory(s, { thresholdKbPerRequest: 1 });
  assert.equal(a.verdict, "no leak", a.verdict_reason);
  assert.match(a.verdict_reason, /never rose above its baseline/);
});

Deno.test("growth that does not go on through both halves of the load is no leak; growth that does is", () => {
  // Flat through the first half of the load, then growing 16 KB per request: over the whole
  // window the slope's interval clears the threshold, but the growth is one stretch (a heap
  // growing back after a collection looks so), not growth that keeps on.
  const regrowth = series((r, i) => (i < 32 ? 0 : 16 * (r - 320)) + wobble(i), { load: 60 });
  const held = analyzeMemory(regrowth, { thresholdKbPerRequest: 4, warmupFraction: 0.05 });
  assert.equal(held.verdict, "no leak", held.verdict_reason);
  assert.match(held.verdict_reason, /not in both halves/);
  assert.ok(held.halves_kb_per_request !== null);
  // Steady growth of 8 KB per request over the same load is in both halves: a leak.
  const steady = series((r, i) => 8 * r + wobble(i), { load: 60 });
  const leak = analyzeMemory(steady, { thresholdKbPerRequest: 4, warmupFraction: 0.05 });
  assert.equal(leak.verdict, "leak", leak.verdict_reason);
  assert.ok(leak.halves_kb_per_request!.every((h) => h > 6));
});
