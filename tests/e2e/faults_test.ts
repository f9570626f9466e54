import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { join } from "node:path";
import { runCommand } from "../../commands/run.ts";
import { parseCommandLine } from "../../cli/args.ts";
import { mockServer } from "../_mock.ts";
import { checkReports } from "./_reports.ts";
import { runInProcess } from "./_run.ts";

const FAST = ["--ttft-ms", "5", "--itl-ms", "1", "--prefill-ms-per-token", "0"];

/** Outcomes summed over every test of a run. */
function totals(run: Awaited<ReturnType<typeof checkReports>>["run"]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const s of run.suites) {
    for (const test of s.tests) {
      for (const [k, v] of Object.entries(test.metrics.outcomes)) t[k] = (t[k] ?? 0) + v;
    }
  }
  return t;
}

openTest(
  "5% errors, 2% disconnects, 1% malformed chunks: the run completes and every test adds up",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const code = await runInProcess(
        ["--server-profile", "constant", "--quick", "--skip-memory", "--output-dir", dir],
        [
          ...FAST,
          "--error-rate",
          "0.05",
          "--disconnect-rate",
          "0.02",
          "--malformed-rate",
          "0.01",
        ],
      );
      assert.equal(code, 0);
      const seen = await checkReports(dir, { interrupted: false });
      assert.ok(seen.jsonTests > 0 && seen.jsonTests === seen.runTests, JSON.stringify(seen.files));
      const t = totals(seen.run);
      assert.ok(seen.requests - t.ok > 0, `no injected fault was seen: ${JSON.stringify(t)}`);
      assert.equal(t.aborted, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

openTest("each injected fault lands in its own class; failures stay out of latency", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // The server draws each request's faults from its seed in the order requests arrive.
    // One request at a time and no warm-up make that order, and so every request's faults,
    // the same in every run: each assertion below holds or fails for good, never by chance.
    const scenario = join(dir, "faults.yaml");
    await Deno.writeTextFile(
      scenario,
      [
        "replace: [throughput]",
        "tests:",
        ...[false, true].flatMap((stream) => [
          "  - suite: throughput",
          `    name: ${stream ? "Streaming" : "Plain"}`,
          `    payload: { max_tokens: 20, stream: ${stream} }`,
          "    load: { concurrency: 1, requests: 40, warmup: 0 }",
        ]),
      ].join("\n"),
    );
    const code = await runInProcess(
      ["--server-profile", "constant", "--config", scenario, "--output-dir", join(dir, "out")],
      [
        ...FAST,
        "--error-rate",
        "0.15",
        "--error-status",
        "503",
        "--disconnect-rate",
        "0.3",
        "--malformed-rate",
        "0.3",
        "--stall-rate",
        "0.5",
        "--stall-ms",
        "30",
      ],
    );
    assert.equal(code, 0);
    const seen = await checkReports(join(dir, "out"), { interrupted: false });
    const [plain, stream] = seen.run.suites[0].tests;
    assert.equal(plain.streaming, false);
    assert.equal(stream.streaming, true);
    for (const test of [plain, stream]) {
      const o = test.metrics.outcomes;
      assert.ok(o.http_5xx > 0, `${test.name}: ${JSON.stringify(o)}`);
      assert.equal(o.http_4xx + o.http_429 + o.connect + o.timeout + o.aborted, 0);
      assert.ok(test.metrics.error_samples.some((e) => e.startsWith("http_5xx: HTTP 503")));
    }
    // A JSON body cut by a disconnect is stream_cut, a truncated (malformed) one bad_body;
    // a cut stream is stream_cut, a stream with a chunk that is not JSON bad_body.
    assert.ok(plain.metrics.outcomes.bad_body > 0, JSON.stringify(plain.metrics.outcomes));
    assert.ok(plain.metrics.outcomes.stream_cut > 0, JSON.stringify(plain.metrics.outcomes));
    assert.ok(stream.metrics.outcomes.stream_cut > 0, JSON.stringify(stream.metrics.outcomes));
    assert.ok(stream.metrics.outcomes.bad_body > 0, JSON.stringify(stream.metrics.outcomes));
    // Stalls are slow successes, not failures: the slowest success shows the 30 ms stall.
    const json = JSON.parse(
      await Deno.readTextFile(join(dir, "out", "throughput_results.json")),
    );
    assert.ok(json[1].latency.max > json[1].latency.min + 0.025, "no stall in latency");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

openTest("429 and other HTTP errors are recorded by class and never retried", async () => {
  const statuses = [429, 500, 503, 400, 404, 429];
  let chats = 0;
  let counted = 0;
  const mock = mockServer(async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/health") return Response.json({ status: "healthy" });
    if (path === "/v1/models") return Response.json({ object: "list", data: [{ id: "m" }] });
    const body = await req.json();
    chats++;
    if (body.max_tokens <= 8) {
      // Warm-up requests fail in a way no counted request does: nothing of them may leak.
      return Response.json({ error: { message: "warm-up failure" } }, { status: 502 });
    }
    const status = statuses[counted++ % statuses.length];
    return Response.json({ error: { message: `injected ${status}` } }, { status });
  });
  const dir = await Deno.makeTempDir();
  try {
    const cmd = parseCommandLine(
      ["--url", mock.url, "--quick", "--suite", "throughput", "-o", dir],
      () => undefined,
    );
    assert.equal(cmd.kind, "run");
    if (cmd.kind !== "run") return;
    // Nothing succeeds against this server (exit 6 otherwise, tests/e2e/exit_codes_test.ts):
    // failures are what this run is for.
    const code = await runCommand({ ...cmd.args, quiet: true, acceptFailures: true });
    assert.equal(code, 0);
    const seen = await checkReports(dir, { interrupted: false });
    let total = 0, warm = 0;
    for (const t of seen.run.suites[0].tests) {
      const o = t.metrics.outcomes;
      assert.equal(t.metrics.total_requests, t.load.requests);
      assert.equal(o.ok, 0);
      assert.ok(o.http_429 > 0 && o.http_5xx > 0 && o.http_4xx > 0, JSON.stringify(o));
      assert.ok(!t.metrics.error_samples.some((e) => e.includes("warm-up")));
      total += t.metrics.total_requests;
      warm += t.load.warmup;
    }
    assert.equal(counted, total, "a counted request was retried or lost");
    assert.equal(chats, total + warm, "a request was retried or lost");
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});
