/**
 * `--out` against the real things: a quick run writes to a real Prometheus (remote write) and
 * a real Pushgateway; PromQL over Prometheus's HTTP API and the Pushgateway's own /metrics
 * give back the report's numbers. An output that cannot be reached changes neither the exit
 * code nor the results, and the run says what was not delivered.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runProgram } from "../e2e/_run.ts";
import { findBinary, startPrometheus, startPushgateway } from "../_prometheus.ts";
import { parsePrometheus } from "../../probes/prom.ts";
import { dashboardExprs } from "./_dashboard.ts";

const PROMETHEUS = findBinary(["prometheus"]);
const PUSHGATEWAY = findBinary(["prometheus-pushgateway", "pushgateway"]);

async function promQuery(url: string, q: string): Promise<number[]> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = await res.json();
  assert.equal(body.status, "success", JSON.stringify(body));
  return body.data.result.map((r: { value: [number, string] }) => Number(r.value[1]));
}

Deno.test({
  name:
    "a quick run lands in a real Prometheus and Pushgateway; PromQL gives the report's numbers" +
    (PROMETHEUS && PUSHGATEWAY
      ? ""
      : " (skipped: prometheus or prometheus-pushgateway not installed)"),
  ignore: !PROMETHEUS || !PUSHGATEWAY,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const prom = await startPrometheus(PROMETHEUS!);
    const push = await startPushgateway(PUSHGATEWAY!);
    const dir = await Deno.makeTempDir();
    try {
      const om = join(dir, "fakeai.prom");
      const r = await runProgram([
        "--suite",
        "throughput",
        "--quick",
        "--out",
        `prometheus-rw=${prom.url}/api/v1/write`,
        "--out",
        `pushgateway=${push.url}`,
        "--out",
        `openmetrics=${om}`,
        "--tag",
        "env=ci",
        "-o",
        join(dir, "run"),
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /not delivered/);
      const run = JSON.parse(await Deno.readTextFile(join(dir, "run", "run.json")));
      const id = run.run_id;
      for (const t of run.suites[0].tests) {
        const sel = `run_id="${id}",test="${t.name}",env="ci"`;
        const p99 = await promQuery(prom.url, `fakeai_bench_ttft_seconds{${sel},quantile="0.99"}`);
        const count = await promQuery(prom.url, `sum(fakeai_bench_requests{${sel}})`);
        const e2e = await promQuery(prom.url, `fakeai_bench_e2e_seconds{${sel},quantile="0.5"}`);
        assert.deepEqual(count, [t.metrics.total_requests], t.name);
        assert.deepEqual(e2e, [t.metrics.latency.p50], t.name);
        if (t.streaming) assert.deepEqual(p99, [t.metrics.ttft.p99], t.name);
        else assert.deepEqual(p99, [], "no TTFT without streaming");
      }
      // A test in progress arrives too, a window every few seconds: a workload long enough
      // for several windows.
      const long = await runProgram([
        "--isl",
        "32",
        "--osl",
        "64",
        "--rate",
        "40",
        "--duration",
        "12",
        "--out",
        `prometheus-rw=${prom.url}/api/v1/write`,
        "-o",
        join(dir, "long"),
      ]);
      assert.equal(long.code, 0, long.stderr);
      const longId = JSON.parse(await Deno.readTextFile(join(dir, "long", "run.json"))).run_id;
      const windows = await promQuery(
        prom.url,
        `count_over_time(fakeai_bench_window_requests_per_second{run_id="${longId}"}[10m])`,
      );
      assert.ok(windows.length === 1 && windows[0] >= 2, `windows: ${windows}`);
      const rate = await promQuery(
        prom.url,
        `max_over_time(fakeai_bench_window_requests_per_second{run_id="${longId}"}[10m])`,
      );
      assert.ok(rate[0] > 20 && rate[0] < 60, `a window's requests/s ${rate}`);
      // At 40 arrivals/s of ~1 s requests, dozens are in flight when a window closes.
      const inFlight = await promQuery(
        prom.url,
        `max_over_time(fakeai_bench_window_in_flight{run_id="${longId}"}[10m])`,
      );
      assert.ok(inFlight[0] >= 5, `requests in flight ${inFlight}`);
      // The window's latencies: E2E p50 of the long test's windows is about its requests' E2E.
      const e2eWindow = await promQuery(
        prom.url,
        `max_over_time(fakeai_bench_window_e2e_seconds{run_id="${longId}",quantile="0.5"}[10m])`,
      );
      assert.ok(e2eWindow[0] > 0, `window E2E p50 ${e2eWindow}`);
      // Every query of the Grafana dashboard runs on Prometheus, its variables set to this run.
      for (const e of await dashboardExprs()) {
        const q = e.replaceAll("$run_id", id).replaceAll("$suite", ".*").replaceAll("$test", ".*");
        if (q.startsWith("label_values")) continue; // Grafana's own function, not PromQL
        const res = await (await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`))
          .json();
        assert.equal(res.status, "success", `${q}: ${JSON.stringify(res)}`);
      }
      // The Pushgateway holds the run's group with the same numbers.
      const doc = parsePrometheus(await (await fetch(`${push.url}/metrics`)).text());
      const streaming = run.suites[0].tests.find((t: { streaming: boolean }) => t.streaming);
      const pushed = doc.samples.find((s) =>
        s.name === "fakeai_bench_ttft_seconds" && s.labels.quantile === "0.99" &&
        s.labels.run_id === id && s.labels.test === streaming.name
      );
      assert.ok(pushed, "the Pushgateway has the run's TTFT p99");
      assert.equal(pushed.value, streaming.metrics.ttft.p99);
      // The OpenMetrics textfile: every family, ending # EOF.
      const text = await Deno.readTextFile(om);
      assert.ok(text.endsWith("# EOF\n"));
      const file = parsePrometheus(text);
      assert.ok(file.samples.some((s) => s.name === "fakeai_bench_requests_per_second"));
    } finally {
      await prom.stop();
      await push.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("an output that cannot be reached: the same exit code and results, one line saying so", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Nothing listens on port 9 of loopback (discard): every send fails at once.
    const r = await runProgram([
      "--suite",
      "throughput",
      "--quick",
      "--out",
      "prometheus-rw=http://127.0.0.1:9/api/v1/write",
      "-o",
      join(dir, "run"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /--out prometheus-rw=http:\/\/127\.0\.0\.1:9\/api\/v1\/write: 2 test\(s\) not delivered, 0 delivered/,
    );
    const run = JSON.parse(await Deno.readTextFile(join(dir, "run", "run.json")));
    assert.equal(run.suites[0].tests.length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--out and --tag are checked before anything runs", async () => {
  for (
    const [args, msg] of [
      [["--out", "influx=http://x"], /KIND=TARGET with KIND one of prometheus-rw/],
      [["--out", "pushgateway=ftp://x"], /must be http or https/],
      [["--tag", "run_id=x"], /the tool's own/],
      [["--tag", "9bad=x"], /Prometheus label name/],
    ] as const
  ) {
    const r = await runProgram([...args, "--quick"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, msg);
  }
});

Deno.test({
  name: "an output that accepts and never answers does not hold the run: one send timeout at most",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const conns: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const c of listener) conns.push(c); // read nothing, answer nothing
    })().catch(() => {});
    const dir = await Deno.makeTempDir();
    try {
      const url = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/api/v1/write`;
      const t0 = performance.now();
      const r = await runProgram([
        "--suite",
        "throughput",
        "--quick",
        "--out",
        `prometheus-rw=${url}`,
        "-o",
        join(dir, "run"),
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /2 test\(s\) not delivered/);
      // A quick run takes a few seconds; the dead output adds at most one send timeout.
      assert.ok(performance.now() - t0 < 60_000, "the run was held");
    } finally {
      listener.close();
      for (const c of conns) c.close();
      await accepting;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
