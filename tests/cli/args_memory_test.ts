import assert from "node:assert/strict";
import { parseCommandLine, runHelp } from "../../cli/args.ts";
import { DEFAULT_LEAK_THRESHOLD_KB } from "../../suites/memory/tests.ts";
import { UsageError } from "../../util/errors.ts";

const run = (argv: string[]) => {
  const cmd = parseCommandLine(argv, () => undefined);
  if (cmd.kind !== "run") throw new Error("not run");
  return cmd.args;
};

Deno.test("memory flags default to no PID, no metrics URL and the mode's threshold", () => {
  const a = run([]);
  assert.equal(a.serverPid, null);
  assert.equal(a.metricsUrl, null);
  // null: the memory suite takes the mode's default (4 KB full, 32 KB quick).
  assert.equal(a.leakThresholdKb, null);
  assert.match(runHelp(), new RegExp(`default ${DEFAULT_LEAK_THRESHOLD_KB}; 32 with --quick`));
});

Deno.test("--server-pid, --metrics-url and --leak-threshold-kb are parsed and checked", () => {
  const a = run([
    "--server-pid",
    "4242",
    "--metrics-url",
    "http://127.0.0.1:8000/metrics",
    "--leak-threshold-kb=2.5",
  ]);
  assert.equal(a.serverPid, 4242);
  assert.equal(a.metricsUrl, "http://127.0.0.1:8000/metrics");
  assert.equal(a.leakThresholdKb, 2.5);
  assert.throws(() => run(["--server-pid", "0"]), UsageError);
  assert.throws(() => run(["--server-pid", "12.5"]), UsageError);
  assert.throws(() => run(["--metrics-url", "not a url"]), UsageError);
  assert.throws(() => run(["--metrics-url", "ftp://host/metrics"]), UsageError);
  assert.throws(() => run(["--leak-threshold-kb=-1"]), UsageError);
  assert.match(runHelp(), /--server-pid PID/);
  assert.match(runHelp(), /--metrics-url URL/);
  assert.match(runHelp(), /--leak-threshold-kb N/);
});
