/**
 * --search rate against the engine model: the range it reports contains the rate where
 * attainment crosses the target, shown by fixed-rate runs below and above it.
 */
import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { join } from "node:path";
import { runProgram, SMALL_ENGINE, spawnServe } from "./_run.ts";

const WORKLOAD = ["--isl", "64", "--osl", "32", "--requests", "60", "--warmup", "1"];
const SLO = ["--slo", "e2e=500ms"];

async function attainmentAt(url: string, rate: number, dir: string): Promise<number> {
  const r = await runProgram([
    "--url",
    url,
    ...WORKLOAD,
    ...SLO,
    "--rate",
    String(rate),
    "-o",
    dir,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
  return run.suites[0].tests[0].extra.slo.attainment_pct;
}

openTest(
  "--search rate: a range with the crossing inside it, every probe in the report",
  async () => {
    const server = await spawnServe([...SMALL_ENGINE]);
    const dir = await Deno.makeTempDir();
    try {
      const r = await runProgram([
        "--url",
        server.url,
        ...WORKLOAD,
        ...SLO,
        "--search",
        "rate",
        "--rate",
        "10",
        "--target-attainment",
        "90",
        "-o",
        join(dir, "search"),
      ]);
      assert.equal(r.code, 0, r.stderr);
      const run = JSON.parse(await Deno.readTextFile(join(dir, "search", "run.json")));
      const s = run.suites[0].tests[0].extra.search;
      assert.ok(s.sustained !== null && s.failed_at !== null, JSON.stringify(s));
      assert.ok(s.sustained < s.failed_at);
      assert.ok(s.probes.length >= 4 && s.probes.length <= 12);
      assert.ok(s.probes.every((p: { requests: number }) => p.requests === 60));
      const md = await Deno.readTextFile(join(dir, "search", "throughput_results.md"));
      assert.match(md, new RegExp(`Sustains ${s.sustained}–${s.failed_at} req/s at 90\\.0% SLO`));
      // Below the range the target is met; above it, it is not.
      const below = await attainmentAt(server.url, 0.8 * s.sustained, join(dir, "below"));
      const above = await attainmentAt(server.url, 1.25 * s.failed_at, join(dir, "above"));
      assert.ok(below >= 90, `attainment ${below}% at ${0.8 * s.sustained} req/s`);
      assert.ok(above < 90, `attainment ${above}% at ${1.25 * s.failed_at} req/s`);
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("--search needs an SLO, and sizes probes by request count", async () => {
  const none = await runProgram(["--search", "rate", "--isl", "8"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--search needs at least one --slo/);
  const timed = await runProgram(["--search", "rate", "--slo", "e2e=1s", "--duration", "5"]);
  assert.equal(timed.code, 2);
  assert.match(timed.stderr, /use --requests, not --duration/);
});
