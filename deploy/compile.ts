/**
 * `deno task compile`: one self-contained executable of fakeai-bench, for this machine or
 * for other targets, with its permissions (`--allow-all`, needed for /proc) and its npm
 * dependencies inside.
 *
 * ```sh
 * deno task compile                                   # dist/fakeai-bench for this host
 * deno task compile --target aarch64-unknown-linux-gnu # dist/fakeai-bench-aarch64-unknown-linux-gnu
 * deno task compile --all                             # every target below
 * DENORT_BIN=/path/to/denort deno task compile        # offline, with a local denort 2.9.6
 * ```
 *
 * `deno compile` joins the program to `denort`, Deno's runtime for the target, which it
 * downloads from Deno's download host unless `DENORT_BIN` names a local one. When neither
 * works, this script says so in one line and exits 1.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { V8_FLAGS_ARG } from "../engine/target.ts";
import { flag, parseOptions, type RawValue } from "../util/options.ts";
import { UsageError } from "../util/errors.ts";

/** Targets `deno compile` supports, by their Rust triple. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** Where Deno downloads `denort` for a target and version. */
export function denortUrl(target: string, version: string = Deno.version.deno): string {
  return `https://dl.deno.land/release/v${version}/denort-${target}.zip`;
}

/** Output path of the executable for a target (the host's has no suffix). */
export function outputPath(distDir: string, target: string, host: string): string {
  const exe = target.includes("windows") ? ".exe" : "";
  return join(distDir, target === host ? `fakeai-bench${exe}` : `fakeai-bench-${target}${exe}`);
}

/** The `deno compile` arguments for one target. */
export function compileArgs(entry: string, out: string, target: string): string[] {
  return [
    "compile",
    "--allow-all",
    V8_FLAGS_ARG,
    "--no-prompt",
    "--target",
    target,
    "--output",
    out,
    entry,
  ];
}

/** Parsed options of this script. */
export interface CompileOptions {
  /** Targets to build. */
  targets: string[];
}

/** The options of `deno task compile`. */
const COMPILE_TABLE = {
  targets: {
    name: "target",
    arg: "TRIPLE",
    multiple: true,
    help: `build for TRIPLE (repeatable): ${TARGETS.join(", ")}`,
    read: (raw: RawValue): string[] => {
      const given = Array.isArray(raw) ? raw.filter((t): t is string => typeof t === "string") : [];
      for (const t of given) {
        if (!(TARGETS as readonly string[]).includes(t)) {
          throw new UsageError(`unknown --target '${t}'; choose from ${TARGETS.join(", ")}`);
        }
      }
      return given;
    },
  },
  all: flag("all", "build for every target"),
};

/** Parse `[--target T]... [--all]`; no target = the host. Throws on anything else. */
export function parseCompileArgs(argv: string[], host: string = Deno.build.target): CompileOptions {
  const { values } = parseOptions(COMPILE_TABLE, argv, {
    describe: (err) =>
      new UsageError(
        `unknown argument in '${argv.join(" ")}' (${
          err instanceof Error ? err.message.split("\n")[0] : String(err)
        }); use --target TRIPLE (repeatable) or --all`,
      ),
  });
  const targets = [...values.targets, ...(values.all ? TARGETS : [])];
  return { targets: [...new Set(targets.length ? targets : [host])] };
}

/** True when `url` answers a HEAD request within `timeoutMs` (any HTTP status counts). */
export async function reachable(url: string, timeoutMs = 3000): Promise<boolean> {
  try {
    const res = await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/** The one line printed when the runtime cannot be had. */
export function unreachableMessage(target: string, version: string = Deno.version.deno): string {
  return `compile: cannot download Deno's runtime (${denortUrl(target, version)} is unreachable) ` +
    `and DENORT_BIN is unset; set DENORT_BIN to a denort ${version} binary for ${target}`;
}

async function cachedDenort(target: string): Promise<boolean> {
  try {
    const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
    const denoDir = JSON.parse(new TextDecoder().decode(out.stdout)).denoDir as string;
    const zip = join(denoDir, "dl", "release", `v${Deno.version.deno}`, `denort-${target}.zip`);
    return (await Deno.stat(zip)).isFile;
  } catch {
    return false;
  }
}

async function main(argv: string[]): Promise<number> {
  let opts: CompileOptions;
  try {
    opts = parseCompileArgs(argv);
  } catch (err) {
    console.error(`compile: ${(err as Error).message}`);
    return 2;
  }
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const dist = join(root, "dist");
  const host = Deno.build.target;
  const denort = Deno.env.get("DENORT_BIN");
  if (denort) {
    try {
      if (!(await Deno.stat(denort)).isFile) throw new Error("not a file");
    } catch {
      console.error(`compile: DENORT_BIN=${denort} is not a file`);
      return 1;
    }
    if (opts.targets.length > 1) {
      console.error("compile: DENORT_BIN is one target's runtime; build one --target at a time");
      return 2;
    }
  }
  await Deno.mkdir(dist, { recursive: true });
  for (const target of opts.targets) {
    if (!denort && !(await cachedDenort(target)) && !(await reachable(denortUrl(target)))) {
      console.error(unreachableMessage(target));
      return 1;
    }
    const out = outputPath(dist, target, host);
    const res = await new Deno.Command(Deno.execPath(), {
      args: compileArgs(join(root, "main.ts"), out, target),
      cwd: root,
      stdout: "inherit",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(res.stderr);
    if (!res.success) {
      if (/denort|download|dl\.deno\.land/i.test(err) && !denort) {
        console.error(unreachableMessage(target));
      } else console.error(`compile: deno compile failed for ${target}:\n${err.trim()}`);
      return 1;
    }
    console.log(out);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
