import assert from "node:assert/strict";
import {
  choice,
  custom,
  flag,
  number,
  optionsHelp,
  parseOptions,
  text,
  texts,
} from "../../util/options.ts";
import { parseCommandLine, runHelp } from "../../cli/args.ts";
import { buildRunPlan } from "../../cli/plan.ts";
import { UsageError } from "../../util/errors.ts";

const TABLE = {
  url: text("url", "URL", "target"),
  out: text("output-dir", "DIR", "where reports go", "o"),
  seed: number("seed", "N", "seed (default 42)", { integer: true, min: 0 }, 42),
  rate: number("rate", "R", "rate\nsecond line", { exclusiveMin: 0 }, null),
  kind: choice("http-client", "KIND", ["native", "fetch"] as const, "client", "native"),
  tags: texts("tag", "T", "repeatable"),
  pair: custom("pair", "a/b", "two numbers", (raw) => raw.split("/").map(Number), null),
  quick: flag("quick", "quick mode"),
  longOptionNameHere: flag("long-option-name-here", "a name too long for the column"),
};

Deno.test("option table: typed values with defaults; every reader runs", () => {
  const none = parseOptions(TABLE, []).values;
  assert.deepEqual(none, {
    url: null,
    out: null,
    seed: 42,
    rate: null,
    kind: "native",
    tags: [],
    pair: null,
    quick: false,
    longOptionNameHere: false,
  });
  const some = parseOptions(TABLE, [
    "--url=http://x",
    "-o",
    "out",
    "--seed",
    "7",
    "--rate",
    "2.5",
    "--http-client",
    "FETCH",
    "--tag",
    "a",
    "--tag",
    "b",
    "--pair",
    "3/4",
    "--quick",
  ]).values;
  assert.deepEqual(some, {
    url: "http://x",
    out: "out",
    seed: 7,
    rate: 2.5,
    kind: "fetch",
    tags: ["a", "b"],
    pair: [3, 4],
    quick: true,
    longOptionNameHere: false,
  });
});

Deno.test("option table: bad input is a one-line usage error naming the option", () => {
  const cases: [string[], RegExp][] = [
    [["--seed", "1.5"], /--seed expects a whole number/],
    [["--seed=-1"], /--seed must be at least 0/],
    [["--rate", "0"], /--rate must be greater than 0/],
    [["--http-client", "curl"], /--http-client must be one of native, fetch, got 'curl'/],
    [["--bogus"], /unknown option --bogus/],
    [["--url"], /option --url needs a value/],
    [["stray"], /unexpected argument/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseOptions(TABLE, argv), (err: unknown) => {
      assert.ok(err instanceof UsageError, argv.join(" "));
      assert.match(err.message, re);
      assert.ok(!err.message.includes("\n"));
      return true;
    });
  }
  assert.deepEqual(parseOptions(TABLE, ["a", "b"], { positionals: true }).positionals, ["a", "b"]);
});

Deno.test("option table: the help lists every option in order, aligned, long names on their own line", () => {
  assert.equal(
    optionsHelp(TABLE),
    [
      "  --url URL            target",
      "  -o, --output-dir DIR where reports go",
      "  --seed N             seed (default 42)",
      "  --rate R             rate",
      "                       second line",
      "  --http-client KIND   client",
      "  --tag T              repeatable",
      "  --pair a/b           two numbers",
      "  --quick              quick mode",
      "  --long-option-name-here",
      "                       a name too long for the column",
    ].join("\n"),
  );
});

Deno.test("--warmup: one table entry reaches the parsed options, the plan and the help", async () => {
  const parse = (argv: string[]) => {
    const cmd = parseCommandLine(argv, () => undefined);
    assert.equal(cmd.kind, "run");
    return cmd.kind === "run" ? cmd.args : null!;
  };
  const warmup = async (argv: string[]) => (await buildRunPlan(parse(argv))).plan.load.warmup;
  assert.equal(await warmup(["--warmup", "50"]), 50);
  assert.equal(await warmup(["--warmup", "0", "--quick"]), 0);
  assert.equal(await warmup([]), 5);
  assert.equal(await warmup(["--quick"]), 3);
  assert.throws(() => parse(["--warmup=-1"]), /--warmup must be at least 0/);
  assert.ok(
    runHelp().includes("\n  --warmup N           uncounted warm-up requests before each test"),
  );
});
