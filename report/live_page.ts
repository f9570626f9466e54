/**
 * The live view's page: one self-contained HTML document (no external script, style or font)
 * that polls `/state.json` every second and draws three charts as SVG: TTFT p50/p99 and ITL
 * p50, throughput (requests and output tokens per second, errors), and the server's queue and
 * KV-cache usage; with the test in progress and the completed tests' headline figures.
 *
 * @module
 */

/** The page's HTML. */
export function livePage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fakeai-bench · live</title>
<link rel="icon" href="data:,">
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #1d1d1f; background: #fafafa; }
  h1 { font-size: 1.3rem; margin: 0 0 .5rem; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 1rem; }
  figure { margin: 0; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .5rem; }
  figcaption { font-weight: 600; margin-bottom: .25rem; }
  svg { width: 100%; height: 180px; }
  .legend span { margin-right: 1rem; }
  table { border-collapse: collapse; margin-top: 1rem; background: #fff; }
  td, th { border: 1px solid #ddd; padding: .25rem .5rem; text-align: right; }
  td:first-child, th:first-child { text-align: left; }
  #status { color: #555; }
</style>
</head>
<body>
<h1>fakeai-bench · live</h1>
<p id="status">waiting for the run…</p>
<div class="charts">
  <figure><figcaption>Latency (ms)</figcaption><svg id="lat" viewBox="0 0 400 180" preserveAspectRatio="none"></svg>
    <div class="legend"><span style="color:#0a7">TTFT p50</span><span style="color:#d33">TTFT p99</span><span style="color:#36c">ITL p50</span></div></figure>
  <figure><figcaption>Throughput (per second)</figcaption><svg id="thr" viewBox="0 0 400 180" preserveAspectRatio="none"></svg>
    <div class="legend"><span style="color:#36c">requests</span><span style="color:#a5a">output tokens ÷ 100</span><span style="color:#d33">errors</span><span style="color:#0a7">in flight</span></div></figure>
  <figure><figcaption>Server: queue and KV cache</figcaption><svg id="srv" viewBox="0 0 400 180" preserveAspectRatio="none"></svg>
    <div class="legend"><span style="color:#d80">waiting</span><span style="color:#0a7">running</span><span style="color:#555">KV usage %</span></div></figure>
</div>
<table id="done"><thead><tr><th>suite</th><th>test</th><th>ok</th><th>failed</th><th>req/s</th><th>TTFT p99 (ms)</th></tr></thead><tbody></tbody></table>
<script>
"use strict";
const W = 400, H = 180;
function draw(id, points, series) {
  const svg = document.getElementById(id);
  let max = 1;
  for (const [key, scale] of series.map((s) => [s.key, s.scale || 1])) {
    for (const p of points) if (p[key] !== null && p[key] * scale > max) max = p[key] * scale;
  }
  const n = Math.max(points.length - 1, 1);
  let html = "";
  for (const s of series) {
    const pts = [];
    points.forEach((p, i) => {
      if (p[s.key] === null) return;
      pts.push((i / n * W).toFixed(1) + "," + (H - p[s.key] * (s.scale || 1) / max * (H - 10)).toFixed(1));
    });
    html += '<polyline class="series" fill="none" stroke-width="2" stroke="' + s.color + '" points="' + pts.join(" ") + '"></polyline>';
  }
  html += '<text x="4" y="12" font-size="11" fill="#777">' + max.toFixed(1) + "</text>";
  svg.innerHTML = html;
}
function text(s) { const d = document.createElement("div"); d.textContent = s; return d.innerHTML; }
async function poll() {
  try {
    const st = await (await fetch("/state.json", { cache: "no-store" })).json();
    const p = st.points;
    document.getElementById("status").textContent = st.status === "finished"
      ? "the run finished"
      : st.test ? "running test " + (st.test.index + 1) + " of " + st.test.total + ": " + st.test.name : "starting…";
    draw("lat", p, [{ key: "ttft_p50", color: "#0a7" }, { key: "ttft_p99", color: "#d33" }, { key: "itl_p50", color: "#36c" }]);
    draw("thr", p, [{ key: "rps", color: "#36c" }, { key: "tps", color: "#a5a", scale: 0.01 }, { key: "errors", color: "#d33" }, { key: "in_flight", color: "#0a7" }]);
    draw("srv", p, [{ key: "waiting", color: "#d80" }, { key: "running", color: "#0a7" }, { key: "kv", color: "#555", scale: 100 }]);
    document.querySelector("#done tbody").innerHTML = st.done.map((t) =>
      "<tr><td>" + text(t.suite) + "</td><td>" + text(t.name) + "</td><td>" + t.ok + "</td><td>" + t.failed +
      "</td><td>" + t.rps.toFixed(2) + "</td><td>" + (t.ttft_p99_ms === null ? "—" : t.ttft_p99_ms.toFixed(1)) + "</td></tr>"
    ).join("");
    if (st.status === "finished") return;
  } catch (_) {
    document.getElementById("status").textContent = "the run ended (the live view closed with it)";
    return;
  }
  setTimeout(poll, 1000);
}
poll();
</script>
</body>
</html>
`;
}
