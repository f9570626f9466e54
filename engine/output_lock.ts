/**
 * One run per output folder. A run (or `report`, `predict`, `merge`) owns its output folder
 * through a lock file naming its process: its PID, the process's start time (so a reused PID
 * is not taken for the owner) and its host. A second command on the same folder while the owner
 * lives is refused, naming the owner; a lock left by a process that is gone (SIGKILL, the OOM
 * killer) is taken over, so `report` and `--resume` recover a killed run.
 *
 * @module
 */

import { join } from "node:path";
import { ConfigError } from "../util/errors.ts";

/** The lock file's name inside an output folder. */
export const LOCK_FILE = ".fakeai-bench.lock";

/** What the lock file says of its owner. */
export interface LockOwner {
  /** The owner's PID. */
  pid: number;
  /** The owner's start time in clock ticks since boot (`/proc/PID/stat` field 22), or null. */
  proc_start: string | null;
  /** The owner's host name. */
  host: string;
  /** When it took the lock (ISO 8601). */
  since: string;
  /** What it is doing (`run`, `report`…). */
  command: string;
}

/** A held lock; {@linkcode OutputLock.release} gives the folder back. */
export interface OutputLock {
  /** The lock file's path. */
  readonly path: string;
  /** Remove the lock (only while it is still this process's). */
  release(): void;
}

/** Start time of a process in clock ticks since boot, or null (not Linux, or no such process). */
export function processStart(pid: number): string | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name (field 2) may hold spaces and parentheses: count after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

/** Whether the lock's owner is still running: true when it cannot be told (another host). */
export function ownerAlive(owner: LockOwner): boolean {
  if (owner.host !== hostName()) return true;
  if (owner.pid === Deno.pid) return false;
  const start = processStart(owner.pid);
  if (start === null) {
    // No /proc entry: gone on Linux; elsewhere it cannot be told, so it counts as alive.
    return Deno.build.os !== "linux";
  }
  return owner.proc_start === null || owner.proc_start === start;
}

function readOwner(path: string): LockOwner | null {
  try {
    const o = JSON.parse(Deno.readTextFileSync(path));
    return o && typeof o.pid === "number" && typeof o.host === "string" ? o as LockOwner : null;
  } catch {
    return null;
  }
}

function describe(owner: LockOwner): string {
  return `${owner.command} PID ${owner.pid} on ${owner.host}, since ${owner.since}`;
}

/** True for a file modified in the last few seconds (a lock its owner is still writing). */
function justWritten(path: string): boolean {
  try {
    const m = Deno.statSync(path).mtime;
    return m !== null && Date.now() - m.getTime() < 5000;
  } catch {
    return false;
  }
}

/** Write the lock file only if none exists; false when one does. */
function createLock(path: string, owner: LockOwner): boolean {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { write: true, createNew: true });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return false;
    const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new ConfigError(`cannot take the output folder's lock ${path}: ${reason}`);
  }
  try {
    file.writeSync(new TextEncoder().encode(JSON.stringify(owner) + "\n"));
  } finally {
    file.close();
  }
  return true;
}

/**
 * Take the output folder `dir` (which exists) for `command`. A live owner's lock is refused
 * with a {@linkcode ConfigError} (exit 2) naming it; a dead owner's is taken over.
 */
export function lockOutputDir(dir: string, command: string): OutputLock {
  const path = join(dir, LOCK_FILE);
  const me: LockOwner = {
    pid: Deno.pid,
    proc_start: processStart(Deno.pid),
    host: hostName(),
    since: new Date().toISOString(),
    command,
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createLock(path, me)) {
      const release = () => {
        globalThis.removeEventListener("unload", release);
        const now = readOwner(path);
        if (now && now.pid === me.pid && now.since === me.since) {
          try {
            Deno.removeSync(path);
          } catch {
            // already gone
          }
        }
      };
      // An exit without a release (a second Ctrl-C) still gives the folder back.
      globalThis.addEventListener("unload", release);
      return { path, release };
    }
    const owner = readOwner(path);
    if (owner === null && justWritten(path)) {
      throw new ConfigError(`output folder ${dir} is being taken by another process (${path})`);
    }
    if (owner && ownerAlive(owner)) {
      throw new ConfigError(
        `output folder ${dir} is in use by ${describe(owner)}; wait for it to end or choose ` +
          `another --output (if no such run is alive, remove ${path})`,
      );
    }
    // A dead owner's (or an unreadable) lock: move it aside, then try again. Only one of
    // several processes doing this at once wins the create.
    try {
      Deno.renameSync(path, `${path}.stale-${Deno.pid}`);
      Deno.removeSync(`${path}.stale-${Deno.pid}`);
    } catch {
      // another process moved it first
    }
  }
  throw new ConfigError(`output folder ${dir}: could not take its lock (${path})`);
}
