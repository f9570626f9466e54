import assert from "node:assert/strict";
import { parseCommandLine } from "../../cli/args.ts";
import { UsageError } from "../../util/errors.ts";

const noEnv = () => undefined;

Deno.test("compare takes two folders, repeatable --threshold and --output", () => {
  assert.deepEqual(
    parseCommandLine(
      ["compare", "a", "b", "--threshold", "rps=5", "--threshold", "ttft_p99_ms=20", "-o", "c.md"],
      noEnv,
    ),
    {
      kind: "compare",
      args: {
        base: "a",
        next: "b",
        thresholds: ["rps=5", "ttft_p99_ms=20"],
        output: "c.md",
        ignoreIntervals: false,
      },
    },
  );
  const plain = parseCommandLine(["compare", "a", "b", "--ignore-intervals"], noEnv);
  assert.ok(plain.kind === "compare" && plain.args.ignoreIntervals);
  assert.deepEqual(parseCommandLine(["compare", "--help"], noEnv), {
    kind: "help",
    topic: "compare",
  });
  for (const argv of [["compare"], ["compare", "a", "b", "c"], ["compare", "a", "b", "--bogus"]]) {
    assert.throws(() => parseCommandLine(argv, noEnv), UsageError, argv.join(" "));
  }
});

Deno.test("--fail-if is repeatable and kept as given for the run to check", () => {
  const cmd = parseCommandLine(
    ["--fail-if", "throughput.ttft_p99_ms>800", "--fail-if=concurrent.error_rate>0.01"],
    noEnv,
  );
  assert.ok(cmd.kind === "run");
  assert.deepEqual(cmd.args.failIf, ["throughput.ttft_p99_ms>800", "concurrent.error_rate>0.01"]);
  const none = parseCommandLine([], noEnv);
  assert.ok(none.kind === "run" && none.args.failIf.length === 0);
});
