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

Deno.test("control characters a server supplies reach no report as themselves", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = "m\n# Injected heading\u001b[2J\u0000";
    const t = fakeTest({ model, failed: 1, name: "T" });
    t.metrics.error_samples = ["http_500: boom\u001b]0;title\u0007 \rover"];
    t.notes.push(`model ${model} not served`);
    const run = fakeRun([fakeSuite("throughput", [t])], [model]);
    await writeRunReports(run, dir);
    let checked = 0;
    for await (const e of Deno.readDir(dir)) {
      if (!/\.(md|html)$/.test(e.name)) continue;
      const text = await Deno.readTextFile(join(dir, e.name));
      checked++;
      assert.doesNotMatch(
        text,
        // deno-lint-ignore no-control-regex
        /[\u0000-\u0008\u000b-\u001f\u007f]/,
        `${e.name} holds a control byte`,
      );
      assert.doesNotMatch(text, /^# Injected heading/m, `${e.name} got a heading from a model id`);
    }
    assert.ok(checked >= 3, `checked ${checked} files`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the terminal sees colours of its own, never a server's cursor moves", async () => {
  const { terminalSafe, visible } = await import("../../util/format.ts");
  assert.equal(terminalSafe("\u001b[1mbold\u001b[0m\nnext"), "\u001b[1mbold\u001b[0m\nnext");
  assert.equal(terminalSafe("a\u001b[2Jb\rc\u0007"), "a\uFFFD[2Jb\uFFFDc\uFFFD");
  assert.equal(visible("a\nb\tc"), "a\uFFFDb\uFFFDc");
});

Deno.test("a memory suite whose every test was interrupted gives no verdict, nowhere a 'no leak'", async () => {
  const { fullFakeRun } = await import("./_fixtures.ts");
  const { suiteMarkdown, summaryOf } = await import("./_render.ts");
  const run = fullFakeRun();
  const memory = run.suites.find((s) => s.suite === "memory")!;
  const t = memory.tests[0];
  t.metrics.total_requests = 0;
  Object.assign(t.extra, {
    verdict: "interrupted",
    verdict_reason: "interrupted before any request completed",
  });
  const md = suiteMarkdown(memory, run);
  assert.match(md, /### No Verdict/);
  assert.doesNotMatch(md, /No Memory Leaks Detected/);
  assert.match(summaryOf(run), /Memory Leaks Detected:\*\* No verdict \(interrupted\)/);
});
