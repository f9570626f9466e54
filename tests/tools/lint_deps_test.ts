import assert from "node:assert/strict";
import { join } from "node:path";
import { checkImports, cycles, importsOf, layerViolation } from "../../tools/lint_deps.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A small tree in a temporary folder: `files` maps relative paths to their text. */
async function tree(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(join(dir, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir, path), text);
  }
  return dir;
}

Deno.test("the project's own imports follow the layers and have no cycle", async () => {
  assert.deepEqual(await checkImports(ROOT), []);
});

Deno.test("a planted back-import from a lower layer is reported with file and line", async () => {
  const dir = await tree({
    "net/client.ts": 'import { x } from "../util/x.ts";\n// fine\nexport const c = x;\n',
    "util/x.ts": 'export const x = 1;\nimport { c } from "../net/client.ts";\n',
  });
  try {
    const problems = await checkImports(dir);
    assert.ok(
      problems.some((p) => p.startsWith("util/x.ts:2: imports net/client.ts: util/ must not")),
      problems.join("\n"),
    );
    // The back-import also closes a cycle, which is reported on its own.
    assert.ok(problems.includes("import cycle: net/client.ts -> util/x.ts"), problems.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("type-only and dynamic imports count; imports quoted in comments do not", () => {
  const text = [
    'import type { A } from "./a.ts";',
    '/** e.g. import { B } from "./b.ts"; */',
    '// import { C } from "./c.ts";',
    'const m = await import("../report/d.ts");',
    'export { E } from "./e.ts";',
  ].join("\n");
  const edges = importsOf("/r", "suites/s.ts", text);
  assert.deepEqual(edges.map((e) => [e.to, e.line]), [
    ["suites/a.ts", 1],
    ["report/d.ts", 4],
    ["suites/e.ts", 5],
  ]);
});

Deno.test("the server imports only util and twin; commands only from the entry", () => {
  const v = (from: string, to: string) => layerViolation({ from, to, line: 1 });
  assert.equal(v("server/app.ts", "util/prng.ts"), null);
  assert.equal(v("server/app.ts", "twin/engine.ts"), null);
  assert.match(v("server/app.ts", "net/client.ts") ?? "", /server\/ may import only/);
  assert.match(v("engine/run.ts", "commands/run.ts") ?? "", /only by main.ts/);
  assert.equal(v("main.ts", "commands/run.ts"), null);
  assert.equal(v("tests/x_test.ts", "server/app.ts"), null);
  assert.match(v("suites/b.ts", "report/a.ts") ?? "", /must not import report/);
});

Deno.test("a suite folder's files sit in their layers; the report layer only renders", () => {
  const v = (from: string, to: string, typeOnly = false) =>
    layerViolation({ from, to, line: 1, typeOnly });
  // A suite's report may read its own result types and its own analysis, not compute.
  assert.equal(v("suites/kv_cache/report.ts", "suites/kv_cache/result.ts", true), null);
  assert.equal(v("suites/kv_cache/report.ts", "suites/kv_cache/analysis.ts"), null);
  assert.match(
    v("suites/kv_cache/report.ts", "measure/summary.ts") ?? "",
    /report layer imports values only from util, analysis and report/,
  );
  assert.equal(v("report/charts.ts", "measure/summary.ts", true), null);
  // Its analysis is below the reports, its registration above them.
  assert.match(v("suites/kv_cache/analysis.ts", "report/doc.ts") ?? "", /must not import report/);
  assert.equal(v("suites/kv_cache/mod.ts", "suites/kv_cache/report.ts"), null);
  // One suite's folder never reaches into another's; the registry joins them.
  assert.match(
    v("suites/kv_cache/report.ts", "suites/throughput/report.ts") ?? "",
    /another suite's folder/,
  );
  assert.equal(v("suites/registry.ts", "suites/throughput/mod.ts"), null);
});

Deno.test("an import clause of types only is type-only", () => {
  const edges = importsOf(
    "/r",
    "report/x.ts",
    'import { type A, type B } from "../measure/a.ts";\nimport { type C, d } from "../measure/c.ts";',
  );
  assert.deepEqual(edges.map((e) => e.typeOnly), [true, false]);
});

Deno.test("cycles: a two-module loop is found, a chain is not", () => {
  const e = (from: string, to: string) => ({ from, to, line: 1 });
  assert.deepEqual(cycles([e("a", "b"), e("b", "c")]), []);
  assert.deepEqual(cycles([e("a", "b"), e("b", "c"), e("c", "a"), e("c", "d")]), [["a", "b", "c"]]);
});
