/**
 * The registry holds whole suites: every registered suite brings every piece a suite has, in
 * its own folder. A suite that lacks one fails here, not in a report months later.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CATALOGUE, SUITE_NAMES, SUITES } from "../../suites/registry.ts";
import { SUITE_FILE_LAYERS } from "../../tools/lint_deps.ts";
import { SchemaSet } from "../_jsonschema.ts";
import { fakePlan, fakeRun, fakeSuite } from "../report/_fixtures.ts";
import { analysisOf, suiteJson, suiteMarkdown } from "../report/_render.ts";

Deno.test("every registered suite is one folder with all its pieces", () => {
  assert.ok(SUITES.length >= 4);
  assert.equal(new Set(SUITE_NAMES).size, SUITE_NAMES.length, "names are unique");
  const spellings = SUITES.flatMap((s) => [s.name, ...s.aliases]);
  assert.equal(new Set(spellings).size, spellings.length, "aliases are unique");
  const schemas = new SchemaSet();
  for (const s of SUITES) {
    // Its folder holds one file per layer it reaches, and its schema.
    const folder = dirname(s.schema.pathname);
    for (const file of Object.keys(SUITE_FILE_LAYERS)) {
      assert.ok(Deno.statSync(join(folder, file)).isFile, `${s.name}: ${file} is missing`);
    }
    const schema = JSON.parse(Deno.readTextFileSync(s.schema));
    assert.equal(schema.$id, `${s.reporter.file}.schema.json`, `${s.name}: schema $id`);
    // Its tests, made for a run's options, carry its name.
    const suite = s.create(fakePlan().suites);
    assert.equal(suite.name, s.name);
    assert.ok(suite.title.length > 0);
    // Its reports: a file, a title, a report, a JSON document and a summary section.
    assert.match(s.reporter.file, /^[a-z_]+_results$/, s.name);
    const empty = fakeSuite(s.name, []);
    const run = fakeRun([empty]);
    assert.match(suiteMarkdown(empty, run), /^# /, `${s.name}: report`);
    assert.deepEqual(suiteJson(empty, run), [], `${s.name}: JSON`);
    assert.ok(s.reporter.summary(empty, run).length > 0, `${s.name}: summary`);
    // Its JSON document validates against its schema.
    assert.deepEqual(schemas.validate(schema.$id, []), []);
    // Its metrics are in the catalogue under its name, each once; its bands rate them.
    const names = CATALOGUE.suiteMetrics(s.name).map((m) => m.name);
    assert.equal(new Set(names).size, names.length, `${s.name}: metric names are unique`);
    for (const m of s.metrics) CATALOGUE.lookup(`${s.name}.${m.name}`);
    for (const b of s.bands) {
      assert.equal(CATALOGUE.lookup(b.metric).suite, s.name, `${s.name}: band ${b.metric}`);
    }
    // The guide's promises about it, each answered.
    assert.ok(s.guide.promises.length > 0, `${s.name}: guide promises`);
    assert.ok(analysisOf(empty).tiles !== undefined);
  }
  // Exactly one suite takes the command line's workload tests.
  assert.equal(SUITES.filter((s) => s.workloadHome).length, 1);
});

Deno.test("only the registry and the suites' own folders name a suite", async () => {
  const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
  // A suite named as an identifier: compared with, switched on, given as a suite, used as a key.
  const uses = SUITE_NAMES.map((n) => {
    const q = `"${n.replace(/[-]/g, "\\-")}"`;
    return new RegExp(`(===|!==|\\bcase|\\bsuite:)\\s*${q}|${q}\\s*:|\\[\\s*${q}`);
  });
  const offenders: string[] = [];
  const walk = async (dir: string, rel: string) => {
    for await (const e of Deno.readDir(dir)) {
      const path = join(dir, e.name), r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) {
        // Tests, tools, benchmarks and deployment files may name suites; the server has its
        // own `/kv-cache/*` routes, which are not suite names.
        if (
          !["tests", "tools", "bench", "deploy", "server", ".git", "results", "dist"].includes(
            e.name,
          ) || rel
        ) {
          await walk(path, r);
        }
        continue;
      }
      if (!e.name.endsWith(".ts") || r.startsWith("suites/")) continue;
      const code = (await Deno.readTextFile(path)).replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, "");
      for (const re of uses) if (re.test(code)) offenders.push(`${r}: ${re.source}`);
    }
  };
  await walk(root, "");
  assert.deepEqual(offenders, []);
});
