/**
 * fakeai-bench: benchmark an OpenAI-compatible LLM server.
 *
 * Entry point: parse argv, dispatch a command, map errors to exit codes.
 *
 * @module
 */

import {
  calibrateHelp,
  compareHelp,
  mergeHelp,
  parseCommandLine,
  predictHelp,
  PROGRAM,
  reportHelp,
  runHelp,
  selftestHelp,
  trendHelp,
  VERSION,
} from "./cli/args.ts";
import { BenchError, ExitCode } from "./util/errors.ts";
import { scrubConsole } from "./util/redact.ts";
import { runCommand } from "./commands/run.ts";
import { inWorker, workerMain } from "./engine/workers.ts";
import { setProgramEntry } from "./util/entry.ts";

/** Run the program with `argv`; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  // Everything printed goes through one scrub of the secrets the run knows (util/redact.ts).
  scrubConsole();
  try {
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
      case "run":
        return await runCommand(cmd.args);
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

if (import.meta.main) {
  setProgramEntry(import.meta.url);
  if (inWorker()) workerMain();
  else Deno.exit(await main(Deno.args));
}
