/**
 * The output folder's lock: a live owner's is refused with exit 2 naming it, a dead owner's
 * (or a reused PID's) is taken over, and a release gives the folder back.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  LOCK_FILE,
  lockOutputDir,
  type LockOwner,
  processStart,
} from "../../engine/output_lock.ts";
import { ConfigError } from "../../util/errors.ts";

function writeOwner(dir: string, owner: LockOwner): void {
  Deno.writeTextFileSync(join(dir, LOCK_FILE), JSON.stringify(owner));
}

/** A process that lives until killed, and one that has already ended (its PID). */
async function processes() {
  const live = new Deno.Command("sleep", { args: ["30"] }).spawn();
  const dead = new Deno.Command("true").spawn();
  const deadPid = dead.pid;
  await dead.status;
  return { live, deadPid };
}

Deno.test({
  name: "a live owner's lock is refused naming it; a dead owner's is taken over",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const { live, deadPid } = await processes();
    try {
      const host = Deno.hostname();
      writeOwner(dir, {
        pid: live.pid,
        proc_start: processStart(live.pid),
        host,
        since: "2026-01-01T00:00:00Z",
        command: "run",
      });
      assert.throws(
        () => lockOutputDir(dir, "run"),
        (err: unknown) =>
          err instanceof ConfigError && err.exitCode === 2 &&
          new RegExp(`in use by run PID ${live.pid} on `).test(err.message),
      );

      // The same PID with another start time is another process: the owner is gone.
      writeOwner(dir, {
        pid: live.pid,
        proc_start: "1",
        host,
        since: "2026-01-01T00:00:00Z",
        command: "run",
      });
      lockOutputDir(dir, "run").release();

      writeOwner(dir, {
        pid: deadPid,
        proc_start: "1",
        host,
        since: "2026-01-01T00:00:00Z",
        command: "run",
      });
      const lock = lockOutputDir(dir, "report");
      const now = JSON.parse(Deno.readTextFileSync(lock.path));
      assert.equal(now.pid, Deno.pid);
      assert.equal(now.command, "report");
      lock.release();
      assert.throws(() => Deno.statSync(lock.path), Deno.errors.NotFound);
    } finally {
      live.kill("SIGKILL");
      await live.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a lock is held until released; a release removes only its own lock", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lock = lockOutputDir(dir, "run");
    // Another owner took over after this one's lock was removed by hand: not ours to release.
    Deno.removeSync(lock.path);
    const other = { pid: 1, proc_start: null, host: "elsewhere", since: "x", command: "run" };
    writeOwner(dir, other);
    lock.release();
    assert.equal(JSON.parse(Deno.readTextFileSync(lock.path)).host, "elsewhere");
    // An owner on another host cannot be checked: it counts as alive.
    assert.throws(() => lockOutputDir(dir, "run"), /in use by run PID 1 on elsewhere/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a folder that does not exist is a clear error, not a crash", () => {
  assert.throws(
    () => lockOutputDir("/nonexistent/fakeai-bench-lock-test", "run"),
    ConfigError,
  );
});
