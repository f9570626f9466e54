/**
 * The effective configuration of a run: command-line options resolved into defaults,
 * and checks that must pass before any request is sent.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { ConfigError } from "../util/errors.ts";
import type { RunArgs } from "./args.ts";
import type { SuiteName } from "../measure/result.ts";
import type { Shard } from "../load/shard.ts";
import { publicUrl } from "../util/redact.ts";
import type { HttpClientKind } from "../net/client.ts";

/** Everything a run needs to know, resolved. */
export interface RunConfig {
  /** Target base URL; null = start the embedded server. */
  url: string | null;
  /** API key; never written anywhere. */
  apiKey: string | null;
  /** Model override. */
  model: string | null;
  /** Suites to run. */
  suites: SuiteName[];
  /** True when suites were named explicitly. */
  suitesExplicit: boolean;
  /** Quick mode. */
  quick: boolean;
  /** Absolute output folder. */
  outputDir: string;
  /** Seed. */
  seed: number;
  /** Quiet console. */
  quiet: boolean;
  /** Per-request timeout (ms). */
  timeoutMs: number;
  /** Uncounted warm-up requests per test. */
  warmup: number;
  /** Scenario file, when given. */
  config: string | null;
  /** Run the concurrent suite's ramp-up. */
  ramp: boolean;
  /** Open loop: queue-delay p99 bound (ms) for the schedule check; null = default. */
  maxQueueDelayMs: number | null;
  /** `--shard i/n` (null = the whole load). */
  shard: Shard | null;
  /** `--start-at` as epoch milliseconds (null = start at once). */
  startAtMs: number | null;
  /** `--workers N`: shards run in Web Workers of this process. */
  workers: number;
  /** `--server-pid` (memory suite). */
  serverPid: number | null;
  /** `--metrics-url` (memory suite). */
  metricsUrl: string | null;
  /** `--leak-threshold-kb` (memory suite). */
  leakThresholdKb: number;
  /** `--http-client`: the HTTP client implementation every request goes through. */
  httpClient: HttpClientKind;
}

/** `results/<UTC timestamp>` for a date, with characters safe in every file system. */
export function defaultOutputDir(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
  return join("results", stamp);
}

/** Resolve command-line options into a {@linkcode RunConfig}. */
export function resolveRunConfig(args: RunArgs, now: Date = new Date()): RunConfig {
  return {
    url: args.url,
    apiKey: args.apiKey,
    model: args.model,
    suites: args.suites,
    suitesExplicit: args.suitesExplicit,
    quick: args.quick,
    outputDir: resolve(args.outputDir ?? defaultOutputDir(now)),
    seed: args.seed,
    quiet: args.quiet,
    timeoutMs: args.timeoutS * 1000,
    warmup: args.quick ? 3 : 5,
    config: args.config ? resolve(args.config) : null,
    ramp: args.ramp === true,
    maxQueueDelayMs: args.maxQueueDelayMs ?? null,
    shard: args.shard ?? null,
    startAtMs: args.startAtMs ?? null,
    workers: args.workers ?? 1,
    serverPid: args.serverPid,
    metricsUrl: args.metricsUrl,
    leakThresholdKb: args.leakThresholdKb,
    httpClient: args.httpClient ?? "native",
  };
}

/**
 * Create the output folder and prove it can be written, before any request is sent.
 * Throws {@linkcode ConfigError}.
 */
export async function prepareOutputDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
    const probe = join(dir, `.write-test-${Deno.pid}`);
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (err) {
    const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new ConfigError(`cannot write to output folder ${dir}: ${reason}`);
  }
}

/** The configuration as `run.json` records it: no secrets. */
export function publicConfig(cfg: RunConfig): Record<string, unknown> {
  const { apiKey, ...rest } = cfg;
  if (rest.metricsUrl) rest.metricsUrl = publicUrl(rest.metricsUrl);
  return { ...rest, api_key_set: apiKey !== null };
}
