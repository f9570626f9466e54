/**
 * fakeai-bench: benchmark an OpenAI-compatible LLM server.
 *
 * Entry point: parse argv, dispatch a command, map errors to exit codes.
 *
 * @module
 */

import { BenchError, ExitCode } from "./util/errors.ts";
import { scrubConsole } from "./util/redact.ts";
import { inWorker, setProgramEntry } from "./util/entry.ts";
import { PROGRAM } from "./util/version.ts";

// Every module beyond these few is imported when a command (or a worker's role) needs it: a
// worker of the program loads only what its role runs.

/** Run the program with `argv`; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  // Everything printed goes through one scrub of the secrets the run knows (util/redact.ts).
  scrubConsole();
  try {
    const {
      calibrateHelp,
      compareHelp,
      mergeHelp,
      parseCommandLine,
      predictHelp,
      reportHelp,
      runHelp,
      selftestHelp,
      trendHelp,
      VERSION,
    } = await import("./cli/args.ts");
    const cmd = parseCommandLine(argv);
    switch (cmd.kind) {
      case "help":
        if (cmd.topic === "merge") console.log(mergeHelp());
        else if (cmd.topic === "serve") {
          const { serveHelp } = await import("./server/options.ts");
          console.log(serveHelp());
        } else if (cmd.topic === "metrics") {
          const { CATALOGUE } = await import("./suites/registry.ts");
          console.log(CATALOGUE.help());
        } else if (cmd.topic === "compare") console.log(compareHelp());
        else if (cmd.topic === "selftest") console.log(selftestHelp());
        else if (cmd.topic === "report") console.log(reportHelp());
        else if (cmd.topic === "trend") console.log(trendHelp());
        else if (cmd.topic === "predict") console.log(predictHelp());
        else if (cmd.topic === "calibrate") console.log(calibrateHelp());
        else console.log(runHelp());
        return ExitCode.Ok;
      case "version":
        console.log(`${PROGRAM} ${VERSION}`);
        return ExitCode.Ok;
      case "serve": {
        const { parseServeArgs } = await import("./server/options.ts");
        const { serveCommand } = await import("./server/main.ts");
        return await serveCommand(parseServeArgs(cmd.argv));
      }
      case "run": {
        const { runCommand } = await import("./commands/run.ts");
        return await runCommand(cmd.args);
      }
      case "merge": {
        const { mergeCommand } = await import("./commands/merge.ts");
        return await mergeCommand(cmd.args);
      }
      case "trend": {
        const { trendCommand } = await import("./commands/trend.ts");
        return await trendCommand(cmd.args);
      }
      case "report": {
        const { reportCommand } = await import("./commands/report.ts");
        return await reportCommand(cmd.args);
      }
      case "compare": {
        const { compareCommand } = await import("./commands/compare.ts");
        return await compareCommand(cmd.args);
      }
      case "selftest": {
        const { selftestCommand } = await import("./commands/selftest.ts");
        return await selftestCommand(cmd.args);
      }
      case "calibrate": {
        const { calibrateCommand } = await import("./commands/calibrate.ts");
        return await calibrateCommand(cmd.args);
      }
      case "predict": {
        const { predictCommand } = await import("./commands/predict.ts");
        return await predictCommand(cmd.args);
      }
    }
  } catch (err) {
    if (err instanceof BenchError) {
      console.error(`${PROGRAM}: error: ${err.message}`);
      return err.exitCode;
    }
    console.error(`${PROGRAM}: internal error: ${err instanceof Error ? err.stack : String(err)}`);
    return ExitCode.Internal;
  }
}

/**
 * A worker of the program: its first message says its role, and only that role's modules load
 * (a shard's job, a prompt build, the stamping canary). Messages that arrive while they load are
 * handed to the role once it listens.
 */
function workerEntry(): void {
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<{ kind: string }>) => void) | null;
  };
  const early: MessageEvent<{ kind: string }>[] = [];
  let role: Promise<void> | null = null;
  scope.onmessage = (e) => {
    early.push(e);
    role ??= takeRole(e.data.kind).then(() => {
      for (const m of early.splice(0)) scope.onmessage?.(m);
    });
  };
}

/** Load a worker's role and let it listen (it sets the worker's `onmessage`). */
async function takeRole(kind: string): Promise<void> {
  if (kind === "canary") (await import("./load/canary_server.ts")).canaryWorker();
  else if (kind === "build") (await import("./workload/apart.ts")).buildWorker();
  else (await import("./engine/workers.ts")).workerMain();
}

if (import.meta.main) {
  setProgramEntry(import.meta.url);
  if (inWorker()) workerEntry();
  else Deno.exit(await main(Deno.args));
}
