import assert from "node:assert/strict";
import { OPTIONS_PAGE, optionsPage } from "../../tools/docs_options.ts";
import { RUN_TABLE } from "../../cli/args.ts";

Deno.test("docs/options.md is what the option tables make (run 'deno task docs:options')", () => {
  const page = optionsPage();
  // Every option of the run table is on the page, with its help.
  for (const spec of Object.values(RUN_TABLE)) assert.ok(page.includes(`\`--${spec.name}\``));
  assert.equal(Deno.readTextFileSync(OPTIONS_PAGE), page);
});
