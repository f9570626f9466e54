/** --repeat end to end: pooled results, each repeat kept, intervals in every report, compare. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runProgram } from "./_run.ts";
import { validateRunFolder } from "../_jsonschema.ts";

Deno.test("--repeat 3: each repeat kept with its seed, statistics in the reports, compare weighs them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "a");
    const r = await runProgram([
      ...["--isl", "32", "--osl", "8", "--requests", "12", "--concurrency", "4"],
      ...["--repeat", "3", "--repeat-pause-s", "0", "--seed", "7", "--slo", "e2e=60s", "-o", out],
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Over 3 repeats\s*│ rps CV [0-9.]+%/);
    const run = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
    const t = run.suites[0].tests[0];
    assert.equal(t.repeat.runs.length, 3);
    assert.deepEqual(t.repeat.seeds, [7, 8, 9]);
    assert.equal(t.metrics.total_requests, 36, "the pooled result counts every repeat");
    assert.equal(t.extra.slo.requests, 36);
    const sum = t.repeat.runs.reduce(
      (s: number, x: { metrics: { window_s: number } }) => s + x.metrics.window_s,
      0,
    );
    assert.ok(Math.abs(t.metrics.window_s - sum) < 1e-9, "windows add up");
    const rps = run.suites[0].repeat.metrics.find((m: { name: string }) =>
      m.name === "throughput.rps"
    );
    assert.equal(rps.n, 3);
    assert.ok(rps.ci95_low <= rps.mean && rps.mean <= rps.ci95_high);
    const md = await Deno.readTextFile(join(out, "throughput_results.md"));
    assert.match(md, /## Repeats and Confidence/);
    assert.match(md, /\*\*Over 3 repeats:\*\*/);
    const html = await Deno.readTextFile(join(out, "report.html"));
    assert.match(html, /Repeats and Confidence/);
    const v = await validateRunFolder(out);
    assert.deepEqual(v.errors, []);
    assert.ok(v.files.includes("run.json"));

    // A run compared with itself: every change 0, Welch's p = 1 beside each metric.
    const c = await runProgram(["compare", out, out, "-o", join(dir, "cmp.md")]);
    assert.equal(c.code, 0, c.stderr);
    const cmp = await Deno.readTextFile(join(dir, "cmp.md"));
    assert.match(cmp, /\| Judged against +\|/);
    assert.match(cmp, /throughput\.rps .*\| repeats: Welch p = 1\.000\s+\|/);

    const bad = await runProgram(["--repeat", "0", "-o", join(dir, "b")]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--repeat/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
