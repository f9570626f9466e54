/**
 * Helpers for end-to-end tests: run the real program as a child process, or the `run`
 * command in-process against an embedded server configured by the test.
 *
 * @module
 */

import { runCommand } from "../../commands/run.ts";
import { parseCommandLine } from "../../cli/args.ts";

/** The program's entry module. */
export const ENTRY = new URL("../../main.ts", import.meta.url).href;

/** Result of running the program as a child process. */
export interface ProgramResult {
  /** Exit code. */
  code: number;
  /** Everything printed on stdout. */
  stdout: string;
  /** Everything printed on stderr. */
  stderr: string;
  /** Wall time in ms. */
  ms: number;
}

/** Run `main.ts` with `args` as a child process (NO_COLOR set), in `cwd` if given. */
export async function runProgram(
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<ProgramResult> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL(ENTRY).pathname, ...args],
    env: { NO_COLOR: "1", ...env },
    cwd,
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    ms: performance.now() - t0,
  };
}

/** Run the `run` command in-process, with flags for the embedded server. Returns the exit code. */
export async function runInProcess(argv: string[], serveArgs: string[] = []): Promise<number> {
  const cmd = parseCommandLine(argv, () => undefined);
  if (cmd.kind !== "run") throw new Error("not a run command line");
  return await runCommand({ ...cmd.args, quiet: true }, { entry: ENTRY, serveArgs });
}

/** A running child process of the program whose output can be watched. */
export interface SpawnedProgram {
  /** PID of the program. */
  pid: number;
  /** Resolves with the match once stderr (so far) matches `re`; rejects after `timeoutMs`. */
  waitForStderr(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the match once stdout (so far) matches `re`; rejects after `timeoutMs`. */
  waitForStdout(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Send a signal to the program (only to it, not its children). */
  signal(sig: Deno.Signal): void;
  /** Resolves when the program exited, with everything it printed. */
  result: Promise<ProgramResult>;
}

/**
 * Start `main.ts` with `args` as a child process (NO_COLOR set), without waiting for it.
 * With `group`, it leads its own process group (as a terminal's foreground job does), so
 * `Deno.kill(-pid, sig)` signals it and everything it started in that group.
 */
export function spawnProgram(
  args: string[],
  env: Record<string, string> = {},
  opts: { group?: boolean; task?: string } = {},
): SpawnedProgram {
  const t0 = performance.now();
  // With `task`, through `deno task TASK` from the project's folder, as the README says.
  const child = new Deno.Command(Deno.execPath(), {
    args: opts.task
      ? ["task", "-q", opts.task, ...args]
      : ["run", "--allow-all", new URL(ENTRY).pathname, ...args],
    cwd: opts.task ? new URL(".", ENTRY).pathname : undefined,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: opts.group === true,
  }).spawn();
  let stdout = "";
  let stderr = "";
  const watchers = new Set<() => void>();
  const collect = async (stream: ReadableStream<Uint8Array>, onText: (t: string) => void) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      onText(text);
      for (const w of [...watchers]) w();
    }
  };
  const outDone = collect(child.stdout, (t) => stdout += t);
  const errDone = collect(child.stderr, (t) => stderr += t);
  const result = (async () => {
    const status = await child.status;
    await Promise.all([outDone, errDone]);
    for (const w of [...watchers]) w();
    return { code: status.code, stdout, stderr, ms: performance.now() - t0 };
  })();
  let exited = false;
  result.then(() => exited = true);
  const waitFor = (which: () => string, re: RegExp, timeoutMs: number) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => {
        watchers.delete(check);
        reject(new Error(`output never matched ${re} in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
      }, timeoutMs);
      function check() {
        const m = which().match(re);
        if (m || exited) {
          clearTimeout(timer);
          watchers.delete(check);
          if (m) resolve(m);
          else reject(new Error(`the program exited before matching ${re}:\n${stdout}\n${stderr}`));
        }
      }
      watchers.add(check);
      check();
    });
  return {
    pid: child.pid,
    result,
    signal: (sig) => child.kill(sig),
    waitForStderr: (re, timeoutMs = 20_000) => waitFor(() => stderr, re, timeoutMs),
    waitForStdout: (re, timeoutMs = 20_000) => waitFor(() => stdout, re, timeoutMs),
  };
}

/** A `serve` child process on a free loopback port, stopped (by its PID) with `stop()`. */
export interface ServeProcess {
  /** Base URL. */
  url: string;
  /** PID. */
  pid: number;
  /** Kill it (SIGKILL by default) and wait for it to exit. */
  stop(sig?: Deno.Signal): Promise<void>;
}

/** Start `main.ts serve --port 0 ...args` as a child process and wait until it listens. */
export async function spawnServe(args: string[]): Promise<ServeProcess> {
  const p = spawnProgram(["serve", "--host", "127.0.0.1", "--port", "0", ...args]);
  const m = await p.waitForStdout(/Listening on (http:\/\/[^\s/]+)/);
  let done = false;
  return {
    url: m[1],
    pid: p.pid,
    stop: async (sig: Deno.Signal = "SIGKILL") => {
      if (!done) {
        done = true;
        try {
          p.signal(sig);
        } catch {
          // already gone
        }
      }
      await p.result;
    },
  };
}

/** PIDs of the live child processes of `pid` (Linux `/proc`; empty elsewhere). */
export function childPids(pid: number): number[] {
  const found: number[] = [];
  try {
    for (const e of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      try {
        const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (Number(fields[1]) === pid && fields[0] !== "Z") found.push(Number(e.name));
      } catch {
        // the process went away while we looked
      }
    }
  } catch {
    // no /proc
  }
  return found;
}

/** True while `pid` is a live (not zombie) process (Linux `/proc`). */
export function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/**
 * Wait until the server at `baseUrl` has received at least `n` chat requests (its
 * `fakeai_chat_requests_total` counter), polling `/metrics`: a test that must signal while
 * requests are in flight waits for that state instead of sleeping.
 */
export async function waitForChatRequests(
  baseUrl: string,
  n: number,
  timeoutMs = 20_000,
): Promise<number> {
  const until = performance.now() + timeoutMs;
  let seen = 0;
  while (performance.now() < until) {
    try {
      const text = await (await fetch(`${baseUrl}/metrics`)).text();
      seen = Number(text.match(/^fakeai_chat_requests_total (\d+)$/m)?.[1] ?? 0);
      if (seen >= n) return seen;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the server saw ${seen} chat requests, not ${n}, in ${timeoutMs} ms`);
}

/** The embedded server's URL, from the run's first line on stderr. */
export async function embeddedUrl(p: SpawnedProgram): Promise<string> {
  return (await p.waitForStderr(/→ (http:\/\/[^\s]+) \(embedded server\)/))[1];
}

/**
 * `serve` flags of a small engine-profile server: one replica of 8 sequences, steps of 2 ms
 * + 0.5 ms per sequence, so batch size shows plainly in TPOT.
 */
export const SMALL_ENGINE: readonly string[] = [
  "--profile",
  "engine",
  "--workers",
  "1",
  "--max-num-seqs",
  "8",
  "--step-base-ms",
  "2",
  "--step-per-seq-ms",
  "0.5",
  "--step-per-prefill-token-ms",
  "0.01",
];
