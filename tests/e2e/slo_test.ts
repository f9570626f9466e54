/** --slo end to end: attainment and goodput per test, in the reports, and as a gate. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runProgram } from "./_run.ts";

Deno.test("--slo: a bound every request meets gives 100%, an impossible one 0%; --fail-if gates on it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const base = ["--isl", "32", "--osl", "8", "--requests", "12", "--concurrency", "4"];
    const r = await runProgram([
      ...base,
      "--slo",
      "e2e=60s",
      "--slo",
      "ttft=0.001ms",
      "-o",
      join(dir, "a"),
      "--fail-if",
      "throughput.slo_attainment_pct<99",
    ]);
    assert.equal(r.code, 4, r.stderr);
    const run = JSON.parse(await Deno.readTextFile(join(dir, "a", "run.json")));
    const slo = run.suites[0].tests[0].extra.slo;
    assert.equal(slo.requests, 12);
    assert.equal(slo.met, 0);
    assert.deepEqual(slo.missed_by, { "e2e=60s": 0, "ttft=0.001ms": 12 });
    assert.match(r.stdout, /SLO attainment \/ goodput\s*│ 0\.0% \/ 0\.00 req\/s/);
    const md = await Deno.readTextFile(join(dir, "a", "throughput_results.md"));
    assert.match(md, /Attainment: 0\.0% \(0 of 12 requests met every SLO\)/);

    const ok = await runProgram([...base, "--slo", "e2e=60s", "-o", join(dir, "b")]);
    assert.equal(ok.code, 0, ok.stderr);
    const okRun = JSON.parse(await Deno.readTextFile(join(dir, "b", "run.json")));
    const s = okRun.suites[0].tests[0].extra.slo;
    assert.equal(s.attainment_pct, 100);
    assert.ok(s.goodput_rps > 0);
    const bad = await runProgram([...base, "--slo", "ttfb=1s", "-o", join(dir, "c")]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--slo "ttfb=1s": unknown metric/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a scenario test's slo: field stands in for --slo", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "s.yaml");
    await Deno.writeTextFile(
      file,
      `replace: true
tests:
  - suite: throughput
    name: Judged
    slo: [e2e=60s]
    workload: { isl: 16, osl: 4 }
    load: { concurrency: 2, requests: 6 }
  - suite: throughput
    name: Unjudged
    workload: { isl: 16, osl: 4 }
    load: { concurrency: 2, requests: 6 }
`,
    );
    const r = await runProgram(["--config", file, "-o", join(dir, "o")]);
    assert.equal(r.code, 0, r.stderr);
    const run = JSON.parse(await Deno.readTextFile(join(dir, "o", "run.json")));
    const [judged, unjudged] = run.suites[0].tests;
    assert.equal(judged.extra.slo.attainment_pct, 100);
    assert.deepEqual(judged.extra.slo.slos, ["e2e=60s"]);
    assert.equal(unjudged.extra.slo, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
