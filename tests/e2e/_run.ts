/**
 * Helpers for end-to-end tests: run the real program as a child process, or the `run`
 * command in-process against an embedded server configured by the test.
 *
 * @module
 */

import { runCommand } from "../../commands/run.ts";
import { parseCommandLine } from "../../core/cli.ts";

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

/** Run `main.ts` with `args` as a child process (NO_COLOR set). */
export async function runProgram(
  args: string[],
  env: Record<string, string> = {},
): Promise<ProgramResult> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL(ENTRY).pathname, ...args],
    env: { NO_COLOR: "1", ...env },
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
