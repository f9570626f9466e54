/**
 * The effective configuration of a run: command-line options resolved into defaults,
 * and checks that must pass before any request is sent.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { ConfigError } from "../util/errors.ts";
import type { RunArgs } from "./args.ts";
import { publicUrl } from "../util/redact.ts";

/**
 * Everything a run needs to know, resolved: the `run` options as parsed (a new option of the
 * table arrives here, and in `run.json`, by itself) with the output folder made absolute and
 * the timeout in milliseconds.
 */
export type RunConfig = Omit<RunArgs, "outputDir" | "timeoutS" | "failIf" | "skipMemory"> & {
  /** Absolute output folder. */
  outputDir: string;
  /** Per-request timeout (ms). */
  timeoutMs: number;
  /** Uncounted warm-up requests per test. */
  warmup: number;
};

/** `results/<UTC timestamp>` for a date, with characters safe in every file system. */
export function defaultOutputDir(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
  return join("results", stamp);
}

/** Resolve command-line options into a {@linkcode RunConfig}. */
export function resolveRunConfig(args: RunArgs, now: Date = new Date()): RunConfig {
  const { outputDir, timeoutS, failIf: _gates, skipMemory: _applied, ...rest } = args;
  return {
    ...rest,
    outputDir: resolve(outputDir ?? defaultOutputDir(now)),
    timeoutMs: timeoutS * 1000,
    warmup: args.warmup ?? (args.quick ? 3 : 5),
    config: args.config ? resolve(args.config) : null,
  };
}

/**
 * Create the output folder and prove it can be written, before any request is sent.
 * Throws {@linkcode ConfigError}.
 */
export async function prepareOutputDir(dir: string): Promise<{ created: boolean }> {
  let created = false;
  try {
    created = !(await Deno.stat(dir).then(() => true, () => false));
    await Deno.mkdir(dir, { recursive: true });
    const probe = join(dir, `.write-test-${Deno.pid}`);
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (err) {
    const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new ConfigError(`cannot write to output folder ${dir}: ${reason}`);
  }
  return { created };
}

/** Remove an output folder this run created when nothing was written into it. */
export async function removeIfEmpty(dir: string): Promise<void> {
  try {
    for await (const _ of Deno.readDir(dir)) return;
    await Deno.remove(dir);
  } catch {
    // gone or not ours to clean
  }
}

/** The configuration as `run.json` records it: no secrets. */
export function publicConfig(cfg: RunConfig): Record<string, unknown> {
  const { apiKey, ...rest } = cfg;
  if (rest.metricsUrl) rest.metricsUrl = publicUrl(rest.metricsUrl);
  return { ...rest, api_key_set: apiKey !== null };
}
