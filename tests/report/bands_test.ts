/** Marks rate only what the guide's band is about; "not rated" when the run cannot reach it. */
import assert from "node:assert/strict";
import { tilesOf } from "./_render.ts";
import { fakeSuite, fakeTest } from "./_fixtures.ts";
import type { TestResult } from "../../measure/result.ts";

const lat = (ms: number, n = 20) => Array.from({ length: n }, (_, i) => (ms + i % 3) / 1000);

function tile(html: string, metric: string): string {
  const at = html.indexOf(`<code>${metric}</code>`);
  assert.ok(at >= 0, `no tile for ${metric}`);
  const start = html.lastIndexOf('<div class="tile', at);
  const end = html.indexOf('<div class="tile', at);
  return html.slice(start, end < 0 ? undefined : end);
}

Deno.test("quick throughput at concurrency 5 cannot reach 50 RPS: not rated, never 'poor'", () => {
  // 5 in flight, 270 ms answers: at most 18.5 req/s.
  const t = fakeTest({ latencies: lat(270), windowS: 1.08 });
  const { html, mark } = tilesOf(fakeSuite("throughput", [t]));
  const rps = tile(html, "throughput.rps");
  assert.match(
    rps,
    /not rated<\/span> at concurrency 5 with a 271 ms median answer, at most 18\.\d req\/s/,
  );
  assert.doesNotMatch(rps, /✗ poor/);
  assert.notEqual(mark, "poor");
});

Deno.test("throughput p99 is rated on the small payload, not pooled with large answers", () => {
  const small = fakeTest({ name: "Small", latencies: lat(300) });
  const large: TestResult = {
    ...fakeTest({ name: "Large", latencies: lat(2500) }),
    payload: "large",
  };
  const high = fakeTest({
    name: "High Concurrency",
    latencies: lat(300, 200),
    windowS: 1.2,
    load: { kind: "closed", requests: 200, concurrency: 50, warmup: 0 },
  });
  const { html } = tilesOf(fakeSuite("throughput", [small, large, high]));
  const p99 = tile(html, "throughput.latency_p99_ms");
  // The mark sits on the number it judged: the small payload's p99 is the big number, the
  // pooled p99 (with the large answers) is labelled as such.
  assert.match(p99, /class="value">302\.\d+ ms <span class="mark good">✓ good/);
  assert.match(p99, /all the suite's tests pooled: 2[0-9,.]+ ms/);
  // RPS is rated on the 50-concurrent test: 200 in 1.2 s, shown as the rated number.
  const rps = tile(html, "throughput.rps");
  assert.match(rps, /class="value">166\.67 req\/s <span class="mark good">✓ good/);
  assert.match(rps, /pooled/);
});

Deno.test("quick concurrent tests only 10: max_ok_concurrency is not rated", () => {
  const t = fakeTest({
    suite: "concurrent",
    latencies: lat(270, 50),
    load: { kind: "closed", requests: 50, concurrency: 10, warmup: 0 },
  });
  const { html, mark } = tilesOf(fakeSuite("concurrent", [t]));
  assert.match(
    tile(html, "concurrent.max_ok_concurrency"),
    /not rated<\/span> the highest level tested is 10/,
  );
  assert.equal(mark, "good", "100% success is good; the unreachable band does not count");
});

Deno.test("memory growth per minute is not rated when every test found no leak", () => {
  const snaps = (end: number) => [
    { t_s: 0, phase: "baseline", requests: 0, value_mb: 30 },
    { t_s: 1, phase: "load", requests: 10, value_mb: 31 },
    { t_s: 61, phase: "load", requests: 600, value_mb: end },
    { t_s: 62, phase: "drain", requests: 600, value_mb: end },
  ];
  const t = fakeTest({ suite: "memory", extra: { verdict: "no leak", snapshots: snaps(31.5) } });
  const { html } = tilesOf(fakeSuite("memory", [t]));
  assert.match(
    tile(html, "memory.growth_mb_per_min"),
    /not rated<\/span> every test found no leak/,
  );
  const leaking = fakeTest({ suite: "memory", extra: { verdict: "leak", snapshots: snaps(40) } });
  assert.match(
    tile(tilesOf(fakeSuite("memory", [leaking])).html, "memory.growth_mb_per_min"),
    /✗ poor/,
  );
});

Deno.test("a suite with failed requests is never 'good'", () => {
  const t = fakeTest({
    suite: "kv-cache",
    latencies: lat(50, 22),
    failed: 8,
    extra: { hit_rate: 90 },
  });
  const { mark } = tilesOf(fakeSuite("kv-cache", [t]));
  assert.equal(mark, "warning");
});
