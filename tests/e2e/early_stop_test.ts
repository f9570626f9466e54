/** --max-error-rate ends a failing test early, marked, and failures keep their time to failure. */
import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { join } from "node:path";
import { runProgram } from "./_run.ts";
import { mockServer } from "../_mock.ts";

openTest(
  "--max-error-rate: a test where half the requests fail ends early; time to failure per class",
  async () => {
    let n = 0;
    const mock = mockServer(async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/health") return new Response("ok");
      if (path === "/v1/models") return Response.json({ object: "list", data: [{ id: "m" }] });
      await req.body?.cancel();
      if (n++ % 2 === 0) return Response.json({ error: { message: "busy" } }, { status: 503 });
      return Response.json({
        choices: [{ message: { role: "assistant", content: "a b c" } }],
        usage: { prompt_tokens: 3, completion_tokens: 3 },
      });
    });
    const dir = await Deno.makeTempDir();
    try {
      const r = await runProgram([
        "--url",
        mock.url,
        "--isl",
        "8",
        "--no-stream",
        "--requests",
        "500",
        "--concurrency",
        "2",
        "--max-error-rate",
        "20",
        "--warmup",
        "0",
        "-o",
        dir,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
      const t = run.suites[0].tests[0];
      assert.ok(t.metrics.total_requests < 100, `stopped after ${t.metrics.total_requests}`);
      assert.equal(t.interrupted, false, "an early stop is not an interrupt");
      assert.match(
        t.extra.stopped_early,
        /stopped early: \d+\.\d% of the first \d+ requests failed \(over --max-error-rate 20\.0%\)/,
      );
      assert.ok(t.extra.failure_times.http_5xx.count > 0);
      assert.equal(t.metrics.latency.count, t.metrics.successful_requests);
      const md = await Deno.readTextFile(join(dir, "throughput_results.md"));
      assert.match(md, /Time to failure .*\n- http_5xx: \d+ failed after p50/);
    } finally {
      await mock.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
