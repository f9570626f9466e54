import assert from "node:assert/strict";
import { chartsOf, htmlOf } from "./_render.ts";
import { fakeRun, fakeSuite, fakeTest, fullFakeRun } from "./_fixtures.ts";

const EVIL = `evil<script>alert(1)</script>"&'model`;

Deno.test("a model id, test name and server strings with <script> show as text in report.html", () => {
  const run = fakeRun(
    [fakeSuite("throughput", [fakeTest({ name: `T <img src=x onerror=alert(2)>`, model: EVIL })])],
    [EVIL],
  );
  run.server.base_url = `http://127.0.0.1:1/<script>x</script>`;
  run.suites[0].error = `<b>boom</b>`;
  const html = htmlOf(run);
  assert.ok(!html.includes("<script"), "no script element");
  assert.ok(!/<img/i.test(html), "no injected img element");
  assert.ok(!html.includes("<b>boom"), "suite error escaped");
  assert.ok(html.includes("evil&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;model"));
  assert.ok(html.includes("T &lt;img src=x onerror=alert(2)&gt;"));
});

Deno.test("report.html puts headline numbers with marks first, then charts, then the reports", () => {
  const html = htmlOf(fullFakeRun());
  const head = html.indexOf('id="headline"'), charts = html.indexOf('id="charts"');
  const tables = html.indexOf('id="tables"');
  assert.ok(head > 0 && head < charts && charts < tables);
  // Throughput P99 is 300 ms: good (< 500 ms). Hit rate 80%: good. Memory verdict leak: poor.
  assert.match(
    html,
    /Throughput P99 latency[\s\S]*?299\.00 ms <span class="mark good">[\s\S]*?pooled: 300\.00 ms/,
  );
  assert.match(html, /Cache hit rate[\s\S]*?80\.00% <span class="mark good">/);
  assert.match(html, /Tests with a leak verdict[\s\S]*?1 <span class="mark poor">/);
  for (
    const kind of [
      "Latency CDF per test",
      "TTFT distributions",
      "ITL distributions",
      "Latency and throughput against concurrency",
      "Cache TTFT: cold vs warm",
      "Memory timeline with fitted slope",
      "Worker distribution",
    ]
  ) assert.ok(html.includes(kind), kind);
  assert.ok(html.includes("@media print") && html.includes("viewport"));
  assert.ok(!/(src|href)=["']?https?:/.test(html), "no network reference");
});

Deno.test("charts are drawn only when their data exists", () => {
  const plain = chartsOf(fakeSuite("throughput", [fakeTest({ name: "A" })]));
  assert.deepEqual(plain.map((c) => c.kind), ["latency-cdf"]);
  const none = chartsOf(fakeSuite("throughput", [fakeTest({ name: "A", latencies: [] })]));
  assert.equal(none.length, 0);
  const all = fullFakeRun().suites.flatMap(chartsOf);
  const kinds = new Set(all.map((c) => c.kind));
  for (const k of ["latency-cdf", "ttft", "itl", "concurrency", "cache", "memory", "workers"]) {
    assert.ok(kinds.has(k as never), k);
  }
  const files = all.map((c) => c.file);
  assert.equal(new Set(files).size, files.length, "file names are unique");
  for (const f of files) assert.match(f, /^[a-z0-9-]+\.svg$/);
});

Deno.test("the memory chart draws the fitted line from intercept and slope per request", () => {
  const mem = fullFakeRun().suites.find((s) => s.suite === "memory")!;
  const chart = chartsOf(mem).find((c) => c.kind === "memory")!;
  assert.match(chart.svg, /class="fit"/);
  assert.match(chart.svg, /slope 20\.48 kB\/request \(95% CI 19\.00 … 22\.00\) · verdict: leak/);
  // 290 requests × 20.48 kB = 5.8 MB over the 100 MB intercept: the fit ends at 105.8 MB,
  // the last measured value, so the fit's last point and the series' last point coincide.
  const fitEnd = chart.svg.match(/class="fit"/) &&
    chart.svg.match(/d="([^"]+)"[^>]*class="fit"/)![1];
  const seriesEnd = chart.svg.match(/d="([^"]+)"[^>]*class="series"/)![1];
  const last = (d: string) => d.split(/[ML]/).filter(Boolean).at(-1);
  assert.equal(last(fitEnd!), last(seriesEnd));
});

Deno.test("the HTML drops the Markdown chart links (charts are inline) but keeps the tables", () => {
  const html = htmlOf(fullFakeRun());
  assert.ok(!html.includes("](charts/"), "no Markdown image syntax left");
  assert.ok(!/<h4>Charts<\/h4>/.test(html), "no empty Charts heading in the reports");
  assert.match(html, /<th>P90 Latency<\/th>/);
});
