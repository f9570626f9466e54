import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { join } from "node:path";
import { mockServer } from "../_mock.ts";
import { runInProcess, runProgram } from "./_run.ts";

const FAST = [
  "--ttft-ms",
  "0",
  "--itl-ms",
  "0",
  "--latency-ms",
  "0",
  "--prefill-ms-per-token",
  "0",
];

interface TestJson {
  test_name: string;
  total_requests: number;
  successful_requests: number;
  concurrent_connections: number | null;
  max_tokens: number;
  total_output_tokens: number;
  streaming?: boolean;
  ttft: { count: number } | null;
  success_rate: number;
  scenario?: string;
  error_classes: Record<string, number>;
  error_messages: string[];
  outcomes: Record<string, number>;
  [k: string]: unknown;
}

openTest(
  "a scenario with a custom payload and concurrency 5/25/75 runs exactly those tests",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const file = join(dir, "s.yaml");
      await Deno.writeTextFile(
        file,
        `replace: [concurrent]
tests:
  - suite: concurrent
    name: "Custom {concurrency} concurrent"
    payload:
      messages: [{ role: system, content: Be brief. }, { role: user, content: Count to three. }]
      max_tokens: 7
      stream: true
      extra: { ignore_eos: true }
    load: { concurrency: [5, 25, 75], requests: [10, 25, 75], warmup: 0 }
`,
      );
      const out = join(dir, "out");
      const code = await runInProcess(["--config", file, "-o", out], FAST);
      assert.equal(code, 0);
      const tests: TestJson[] = JSON.parse(
        await Deno.readTextFile(join(out, "concurrent_results.json")),
      );
      // Only the file's tests (the suite's own were replaced), and only this suite ran.
      assert.deepEqual(tests.map((t) => t.test_name), [
        "Custom 5 concurrent",
        "Custom 25 concurrent",
        "Custom 75 concurrent",
      ]);
      assert.deepEqual(tests.map((t) => t.concurrent_connections), [5, 25, 75]);
      assert.deepEqual(tests.map((t) => t.total_requests), [10, 25, 75]);
      for (const t of tests) {
        assert.equal(t.successful_requests, t.total_requests);
        assert.equal(t.success_rate, 100);
        assert.equal(t.max_tokens, 7);
        assert.equal(t.total_output_tokens, 7 * t.total_requests, "server honoured max_tokens");
        assert.equal(t.ttft?.count, t.total_requests, "requests streamed");
        assert.equal(t.scenario, `${file} tests[0]`);
      }
      const run = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
      assert.deepEqual(run.suites.map((s: { suite: string }) => s.suite), ["concurrent"]);
      const md = await Deno.readTextFile(join(out, "concurrent_results.md"));
      assert.match(md, /\| Custom 75 concurrent +\| 75 +\| 75 +\| 100\.0% /);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("a broken scenario exits 2 naming the file and the field, before any request", async () => {
  let hits = 0;
  const mock = mockServer(() => {
    hits++;
    return Response.json({ data: [] });
  });
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "broken.yaml");
    await Deno.writeTextFile(
      file,
      `tests:
  - { suite: concurrent, name: a, load: { concurrency: 2, requests: 4 } }
  - suite: concurrent
    name: b
    load: { rate: -5, duration_s: 2 }
`,
    );
    const r = await runProgram(["--url", mock.url, "--config", file, "-o", join(dir, "out")]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(file), r.stderr);
    assert.match(r.stderr, /tests\[1\]\.load\.rate \(line 5\): must be above 0/);
    assert.equal(hits, 0, "no request reached the target");
    await assert.rejects(Deno.stat(join(dir, "out")), Deno.errors.NotFound);
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});

openTest(
  "--ramp stops after the first step whose error rate passes 10%; errors are classed",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const code = await runInProcess(
        ["--quick", "--suite", "concurrent", "--ramp", "-o", dir],
        [...FAST, "--error-rate", "0.5", "--error-status", "503"],
      );
      assert.equal(code, 0);
      const tests: TestJson[] = JSON.parse(
        await Deno.readTextFile(join(dir, "concurrent_results.json")),
      );
      assert.deepEqual(tests.map((t) => t.test_name), [
        "Quick Concurrency Test",
        "Ramp-Up 20 concurrent",
      ]);
      const [quick, ramp] = tests;
      assert.equal(quick.total_requests, 50);
      assert.equal(quick.concurrent_connections, 10);
      assert.equal(ramp.total_requests, 40);
      assert.equal(ramp.ramp_stopped, true);
      const failed = ramp.total_requests - ramp.successful_requests;
      assert.ok(failed > 4, `failed ${failed}`);
      assert.deepEqual(ramp.error_classes, { http_5xx: failed });
      assert.ok(ramp.error_messages.length >= 1 && ramp.error_messages.length <= 10);
      const md = await Deno.readTextFile(join(dir, "concurrent_results.md"));
      assert.match(md, /ramp-up stopped here: error rate/);
      assert.match(md, /\*\*First Performance Degradation:\*\*\n- Test: Quick Concurrency Test/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
