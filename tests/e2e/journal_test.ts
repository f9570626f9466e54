/**
 * Nothing lost: a run killed with SIGKILL keeps every test it completed; `report DIR` rebuilds
 * the reports from them and `--resume DIR` runs only the tests that are missing. While a run
 * lives, its folder is its own: a second run or a report there is refused.
 */
import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { join } from "node:path";
import { checkReports } from "./_reports.ts";
import { childPids, runProgram, spawnProgram } from "./_run.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Names of the journal's test files. */
async function journalTests(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(join(dir, "progress"))) {
      if (/^test-\d+\.json$/.test(e.name)) out.push(e.name);
    }
  } catch {
    // not there yet
  }
  return out.sort();
}

const ARGS = [
  "--suite",
  "throughput,concurrent",
  "--quick",
  "--server-profile",
  "constant",
  "--warmup",
  "1",
];

openTest(
  "SIGKILL mid-run: every completed test survives; report rebuilds; --resume runs the rest",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const p = spawnProgram([...ARGS, "-o", dir]);
      // Wait for the first completed test on disk, then kill without warning.
      const until = performance.now() + 30_000;
      while ((await journalTests(dir)).length < 1 && performance.now() < until) await sleep(20);
      // One run per folder: a second run, or a report, on it is refused, naming the owner.
      for (const second of [[...ARGS, "-o", dir], ["report", dir]]) {
        const refused = await runProgram(second);
        assert.equal(refused.code, 2, refused.stderr);
        assert.match(refused.stderr, new RegExp(`in use by run PID ${p.pid} on `));
      }
      const children = childPids(p.pid);
      Deno.kill(p.pid, "SIGKILL");
      await p.result;
      for (const pid of children) {
        try {
          Deno.kill(pid, "SIGKILL"); // the embedded server this test's program started
        } catch {
          // gone
        }
      }
      const kept = await journalTests(dir);
      assert.ok(kept.length >= 1 && kept.length < 3, `journal holds ${kept.length} tests`);
      await assert.rejects(Deno.stat(join(dir, "run.json")), Deno.errors.NotFound);

      const rebuilt = await runProgram(["report", dir]);
      assert.equal(rebuilt.code, 0, rebuilt.stderr);
      assert.match(rebuilt.stdout, /rebuilt from the \d+ test\(s\) the run completed/);
      const seen = await checkReports(dir, { interrupted: true });
      assert.equal(seen.run.suites.flatMap((s) => s.tests).length, kept.length);
      const before = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));

      // Other options than the run had: refused before anything runs.
      const wrong = await runProgram([...ARGS, "--seed", "7", "--resume", dir]);
      assert.equal(wrong.code, 2, wrong.stderr);
      assert.match(
        wrong.stderr,
        /--resume .*: give the options the run had \(load\.seed was 42, now 7\)/,
      );

      const resumed = await runProgram([...ARGS, "--resume", dir]);
      assert.equal(resumed.code, 0, resumed.stderr);
      const keptLines = resumed.stderr.match(/kept from the interrupted run/g) ?? [];
      assert.equal(keptLines.length, kept.length);
      const after = await checkReports(dir, { interrupted: false });
      const tests = after.run.suites.flatMap((s) => s.tests);
      assert.equal(tests.length, 3, "quick throughput (2) and concurrent (1)");
      assert.equal(after.run.run_id, before.run_id, "the resumed run is the same run");
      // The kept tests are the very results of the first run.
      const first = before.suites.flatMap((s: { tests: unknown[] }) => s.tests);
      for (let i = 0; i < kept.length; i++) {
        assert.deepEqual(
          JSON.stringify(tests[i].metrics),
          JSON.stringify((first[i] as { metrics: unknown }).metrics),
        );
      }
      const again = await runProgram([...ARGS, "--resume", dir]);
      assert.equal(again.code, 2);
      assert.match(again.stderr, /that run finished; nothing to resume/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("report DIR: a folder without a run is a clear error; a finished run's reports are rewritten", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const none = await runProgram(["report", dir]);
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /holds no run to report/);
    const r = await runProgram(["--suite", "throughput", "--quick", "-o", join(dir, "run")]);
    assert.equal(r.code, 0, r.stderr);
    await Deno.remove(join(dir, "run", "throughput_results.md"));
    const again = await runProgram(["report", join(dir, "run")]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /rewritten from the finished run/);
    await Deno.stat(join(dir, "run", "throughput_results.md"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
