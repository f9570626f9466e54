/**
 * A target that stops answering: a test gives up after `--max-consecutive-timeouts` requests
 * in a row time out, marked, instead of waiting out every request's timeout.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openTest } from "../_open.ts";
import { runProgram } from "./_run.ts";
import { WedgeGuard } from "../../runner/runner.ts";
import { emptyRecord } from "../../measure/record.ts";

/** Answers `healthy` chat requests, then holds every later one until closed. */
function wedgingServer(healthy: number) {
  let served = 0;
  const held: (() => void)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/v1/models") {
      return Response.json({ object: "list", data: [{ id: "m", object: "model" }] });
    }
    if (path !== "/v1/chat/completions") return new Response("no", { status: 404 });
    await req.body?.cancel();
    if (served++ < healthy) {
      return Response.json({
        choices: [{
          index: 0,
          message: { role: "assistant", content: "a b c d" },
          finish_reason: "length",
        }],
        usage: { prompt_tokens: 16, completion_tokens: 4, total_tokens: 20 },
      });
    }
    await new Promise<void>((r) => held.push(r));
    return new Response("closing", { status: 503 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    async close() {
      for (const r of held.splice(0)) r();
      await server.shutdown();
    },
  };
}

openTest(
  "a test against a target that stops answering ends after 3 timeouts in a row, marked",
  async () => {
    const dir = await Deno.makeTempDir();
    const target = wedgingServer(4);
    try {
      const out = join(dir, "out");
      const r = await runProgram([
        "--url",
        target.url,
        "--isl",
        "16",
        "--osl",
        "4",
        "--no-stream",
        "--concurrency",
        "1",
        "--requests",
        "15",
        "--warmup",
        "0",
        "--timeout",
        "1",
        "--no-server-metrics",
        "--accept-failures",
        "-q",
        "-o",
        out,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const run = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
      const t = run.suites[0].tests[0];
      // 4 answered, then 3 timeouts in a row: the other 8 were never sent.
      assert.equal(t.metrics.successful_requests, 4);
      assert.equal(t.metrics.outcomes.timeout, 3);
      assert.equal(t.metrics.total_requests, 7);
      assert.match(t.extra.stopped_early, /3 requests in a row timed out .* wedged/);
      assert.ok(t.notes.some((n: string) => /wedged/.test(n)));
    } finally {
      await target.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("wedge guard: a success between timeouts starts the count again; 0 never gives up", () => {
  const rec = (outcome: "ok" | "timeout" | "connect" | "http_5xx") => ({
    ...emptyRecord(1),
    outcome,
  });
  const g = new WedgeGuard(3);
  for (const o of ["timeout", "timeout", "ok", "timeout", "http_5xx", "connect"] as const) {
    assert.equal(g.add(rec(o)), false, o);
  }
  assert.equal(g.add(rec("timeout")), true, "third timeout or connect failure in a row");
  assert.match(g.why(2) ?? "", /3 requests in a row/);
  const never = new WedgeGuard(0);
  for (let i = 0; i < 100; i++) assert.equal(never.add(rec("timeout")), false);
});
