/**
 * `deno task docs:options`: writes `docs/options.md` from the commands' option tables, so the
 * page is the help text's own source and cannot drift from it (`tests/tools/docs_options_test.ts`
 * fails when the file on disk differs from what the tables make).
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CALIBRATE_TABLE,
  COMPARE_TABLE,
  MERGE_TABLE,
  PREDICT_TABLE,
  REPORT_TABLE,
  RUN_TABLE,
  SELFTEST_TABLE,
  TREND_TABLE,
} from "../cli/args.ts";
import { optionsMarkdown, type OptionTable } from "../util/options.ts";
import { SERVE_TABLE } from "../server/options.ts";

/** The page's path. */
export const OPTIONS_PAGE = join(
  dirname(dirname(fileURLToPath(import.meta.url))),
  "docs",
  "options.md",
);

const SECTIONS: readonly [string, string, OptionTable][] = [
  ["run", "`fakeai-bench [run] [options]`: run the suites (the default command).", RUN_TABLE],
  [
    "predict",
    "`fakeai-bench predict [options]`: a workload predicted on the engine twin, no server.",
    PREDICT_TABLE,
  ],
  [
    "calibrate",
    "`fakeai-bench calibrate RUN_DIR... -o twin.json`: fit the twin to runs against your server.",
    CALIBRATE_TABLE,
  ],
  [
    "compare",
    "`fakeai-bench compare BASE NEW`: compare two runs; exit 4 on a regression.",
    COMPARE_TABLE,
  ],
  ["trend", "`fakeai-bench trend DIR...`: charts and change points over many runs.", TREND_TABLE],
  [
    "report",
    "`fakeai-bench report DIR`: rebuild a run's reports (an interrupted one too).",
    REPORT_TABLE,
  ],
  ["merge", "`fakeai-bench merge DIR...`: merge shard outputs into one report set.", MERGE_TABLE],
  [
    "selftest",
    "`fakeai-bench selftest`: this host's client overhead and timestamp error.",
    SELFTEST_TABLE,
  ],
];

/** The whole page. */
export function optionsPage(): string {
  const out = [
    "# Options",
    "",
    "Every option of every command, generated from the option tables the commands parse with",
    "(`deno task docs:options`); `fakeai-bench help COMMAND` prints the same. A test fails when",
    "this page and the tables differ.",
    "",
  ];
  for (const [name, what, table] of SECTIONS) {
    out.push(`## ${name}`, "", what, "", optionsMarkdown(table), "");
  }
  out.push(
    "## serve",
    "",
    "`fakeai-bench serve [flags]`: the embedded server in the foreground.",
    "",
    "| Option | Value | Default | Meaning |",
    "| --- | --- | --- | --- |",
    ...SERVE_TABLE.map((o) =>
      `| \`--${o.name}\` | ${o.arg ? `\`${o.arg}\`` : ""} | ${o.shown.replaceAll("|", "\\|")} | ${
        o.help.replaceAll("|", "\\|").replaceAll("<", "\\<")
      } |`
    ),
    "",
  );
  return out.join("\n");
}

if (import.meta.main) {
  await Deno.writeTextFile(OPTIONS_PAGE, optionsPage());
  console.log(`wrote ${OPTIONS_PAGE}`);
}
