/** Exit codes that mean something: a run where nothing worked, or the target died, is not 0. */
import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { join } from "node:path";
import { runProgram, spawnProgram, spawnServe, waitForChatRequests } from "./_run.ts";

Deno.test("no successful request in a test exits 6 with the reason; --accept-failures exits 0", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // The wedge guard is off: this test counts every request's timeout.
    const args = [
      "--suite",
      "throughput",
      "--quick",
      "--timeout",
      "0.000001",
      "--max-consecutive-timeouts",
      "0",
    ];
    const r = await runProgram([...args, "-o", join(dir, "a")]);
    assert.equal(r.code, 6, r.stderr);
    assert.match(
      r.stderr,
      /"Quick Throughput - Non-Streaming" had no successful request \(20 timeout\)/,
    );
    const ok = await runProgram([...args, "--accept-failures", "-o", join(dir, "b")]);
    assert.equal(ok.code, 0, ok.stderr);
    // The reports are written either way.
    await Deno.stat(join(dir, "a", "run.json"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

openTest(
  "a target killed mid-run: exit 6, 'stopped answering'; the memory suite says so too",
  async () => {
    const dir = await Deno.makeTempDir();
    const server = await spawnServe(["--ttft-ms", "5", "--itl-ms", "1"]);
    try {
      const p = spawnProgram([
        "--url",
        server.url,
        "--suite",
        "concurrent,memory",
        "--server-pid",
        String(server.pid),
        "--quick",
        "-o",
        dir,
      ]);
      await waitForChatRequests(server.url, 10);
      await server.stop("SIGKILL");
      const r = await p.result;
      assert.equal(r.code, 6, r.stderr);
      assert.match(r.stderr, /the target stopped answering during the run/);
      const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
      assert.match(run.target_lost, /could not connect|cannot reach/);
      const memory = run.suites.find((s: { suite: string }) => s.suite === "memory");
      assert.match(memory.skipped ?? "", /target stopped answering/);
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
