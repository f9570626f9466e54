/** Server strings cannot become live HTML in the Markdown reports. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fakeRun, fakeSuite, fakeTest } from "./_fixtures.ts";
import { writeRunReports } from "./_render.ts";

const EVIL_MODEL = "<script>alert(1)</script>";
const EVIL_ERROR = 'HTTP 500: <img src=x onerror="alert(2)">';

Deno.test("a model id or error text with HTML stays inert in every Markdown report", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const t = fakeTest({ model: EVIL_MODEL, failed: 2, name: "T <b>x</b>" });
    t.metrics.error_samples = [EVIL_ERROR];
    t.notes.push(`model ${EVIL_MODEL} not served`);
    const run = fakeRun([
      fakeSuite("throughput", [t]),
      fakeSuite("concurrent", [
        { ...t, suite: "concurrent" },
      ]),
    ], [EVIL_MODEL]);
    await writeRunReports(run, dir);
    let checked = 0;
    for await (const e of Deno.readDir(dir)) {
      if (!e.name.endsWith(".md")) continue;
      const md = await Deno.readTextFile(join(dir, e.name));
      checked++;
      // Every `<` of a tag is escaped; an unescaped one would render as HTML.
      assert.doesNotMatch(md, /(^|[^\\])<(script|img|b)\b/m, `${e.name} holds live HTML`);
    }
    assert.ok(checked >= 3, `checked ${checked} Markdown files`);
    const throughput = await Deno.readTextFile(join(dir, "throughput_results.md"));
    assert.match(throughput, /\\<script>/, "the string is still there, escaped");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the banner says where a run's tests come from when a scenario replaced them all", async () => {
  const { modeLabel } = await import("../../commands/run.ts");
  const scenario = {
    file: "s.yaml",
    replace: ["concurrent" as const],
    suites: ["concurrent" as const],
    tests: [],
  };
  assert.equal(modeLabel({ quick: false, suites: ["concurrent"] }, scenario), "tests of s.yaml");
  assert.equal(
    modeLabel({ quick: false, suites: ["throughput", "concurrent"] }, scenario),
    "full mode",
    "built-in throughput tests still run",
  );
  assert.equal(modeLabel({ quick: true, suites: ["throughput"] }, null), "quick mode");
  assert.equal(
    modeLabel({ quick: false, suites: ["throughput"] }, {
      ...scenario,
      file: "command line",
      replace: ["throughput"],
    }),
    "workload test",
  );
});
