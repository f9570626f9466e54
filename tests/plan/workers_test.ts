/** `--workers auto`: a worker per 250 streams of the largest test, within the spare cores. */
import assert from "node:assert/strict";
import {
  parseWorkers,
  peakStreams,
  resolveWorkers,
  STREAMS_PER_WORKER,
} from "../../plan/workers.ts";
import { parseCommandLine } from "../../cli/args.ts";
import { buildRunPlan } from "../../cli/plan.ts";
import { UsageError } from "../../util/errors.ts";

Deno.test("--workers takes auto or 1…256, and says what it takes otherwise", () => {
  assert.equal(parseWorkers("auto"), "auto");
  assert.equal(parseWorkers("4"), 4);
  for (const bad of ["0", "257", "2.5", "-1", "many", ""]) {
    assert.throws(
      () => parseWorkers(bad),
      (e: unknown) =>
        e instanceof UsageError && /--workers takes auto or a whole number from 1 to 256/.test(
          (e as Error).message,
        ),
      bad,
    );
  }
});

Deno.test("auto: one worker per 250 streams, capped by the cores left to the client", () => {
  const wide = { cores: 16, embedded: false };
  assert.equal(resolveWorkers("auto", 0, wide).workers, 1);
  assert.equal(resolveWorkers("auto", STREAMS_PER_WORKER, wide).workers, 1);
  assert.equal(resolveWorkers("auto", STREAMS_PER_WORKER + 1, wide).workers, 2);
  assert.equal(resolveWorkers("auto", 1000, wide).workers, 4);
  assert.equal(resolveWorkers("auto", 10_000, wide).workers, 16);
  // The embedded server keeps a core of its own.
  assert.equal(resolveWorkers("auto", 10_000, { cores: 16, embedded: true }).workers, 15);
  assert.equal(resolveWorkers("auto", 10_000, { cores: 2, embedded: true }).workers, 1);
  assert.equal(resolveWorkers("auto", 10_000, { cores: 1, embedded: true }).workers, 1);
  assert.match(
    resolveWorkers("auto", 1000, wide).reason!,
    /--workers auto: 4 \(1000 streams at most, 250 per worker, 16 spare cores\)/,
  );
  // A number is taken as it is.
  assert.deepEqual(resolveWorkers(3, 10_000, wide), { workers: 3, reason: null });
});

function runArgs(argv: string[]) {
  const cmd = parseCommandLine(argv, () => undefined);
  if (cmd.kind !== "run") throw new Error("not run");
  return cmd.args;
}

Deno.test("the plan's workers come from the largest test of the command line's workload", async () => {
  const plan = async (argv: string[]) => (await buildRunPlan(runArgs(argv))).plan;
  assert.equal((await plan(["--workers", "3", "--quick"])).load.workers, 3);
  const cores = navigator.hardwareConcurrency;
  const url = ["--url", "http://127.0.0.1:9"];
  const auto = await buildRunPlan(runArgs([...url, "--workers", "auto", "--concurrency", "1000"]));
  assert.equal(auto.plan.load.workers, Math.min(cores, 4));
  assert.ok(auto.warnings.some((w) => w.startsWith("--workers auto:")), auto.warnings.join("; "));
  assert.equal(
    peakStreams(auto.plan.scenario),
    1000,
    "the closed loop's concurrency is the peak",
  );
  const open = await plan([...url, "--workers", "auto", "--rate", "5", "--duration", "2"]);
  assert.equal(open.load.workers, 1, "an open loop without a cap names no streams");
});
