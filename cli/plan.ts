/**
 * The run's plan from its command line: every option resolved and checked once, the scenario
 * file read (or the command line's workload test made), files the workload names checked, the
 * URL, SLOs and gates parsed, before anything is created or sent. Everything after reads the
 * {@linkcode RunPlan}.
 *
 * @module
 */

import { parseOutput, parseTags } from "../outputs/sinks.ts";
import { join, resolve } from "node:path";
import { UsageError } from "../util/errors.ts";
import type { RunArgs } from "./args.ts";
import { normalizeBaseUrl } from "../net/client.ts";
import { parseSlo } from "../measure/slo.ts";
import { preflightWorkload } from "../workload/workload.ts";
import { checkTokenizerApart } from "../workload/apart.ts";
import { programEntry } from "../util/entry.ts";
import type { RunPlan } from "../plan/plan.ts";
import { loadScenario, type Scenario, type SuiteRules } from "../plan/scenario.ts";
import { workloadScenario } from "../plan/workload.ts";
import { peakStreams, resolveWorkers } from "../plan/workers.ts";
import { parseGates } from "../analysis/gates.ts";
import { checkTwinSettings, twinOptionsGiven, twinSettingsFrom } from "../plan/twin.ts";
import { type InferencePerfConfig, parseInferencePerfConfig } from "../twin/inference_perf.ts";
import { CATALOGUE, parseSuiteName, SUITE_NAMES, SUITES } from "../suites/registry.ts";
import { skippedByFlag } from "./args.ts";

/** What scenario files may say about the suites of this build. */
export const SUITE_RULES: SuiteRules = {
  names: SUITE_NAMES,
  canonical(raw) {
    try {
      return parseSuiteName(raw);
    } catch {
      return null;
    }
  },
  openLoopOnly: (name) => SUITES.find((s) => s.name === name)?.openLoopOnly === true,
};

/** `results/<UTC timestamp>` for a date, with characters safe in every file system. */
export function defaultOutputDir(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
  return join("results", stamp);
}

/** A built plan and what the user should be told about how it was built. */
export interface BuiltPlan {
  /** The plan. */
  plan: RunPlan;
  /** Warnings to show before the run (a key on the command line, tests left out…). */
  warnings: string[];
}

/**
 * Resolve the `run` command's options into a plan. Throws {@linkcode UsageError} or
 * `ConfigError` (exit 2) for anything that would fail later.
 */
export async function buildRunPlan(args: RunArgs, now: Date = new Date()): Promise<BuiltPlan> {
  const warnings: string[] = [];
  if (args.apiKeySource === "flag") {
    warnings.push(
      "warning: --api-key leaves the key readable by other local users (the process list) " +
        "and in deno task's echo of the command; prefer OPENAI_API_KEY or --api-key-file",
    );
  }
  const home = SUITES.find((s) => s.workloadHome)?.name ?? SUITE_NAMES[0];
  const inferencePerf = args.inferencePerf ? await readInferencePerf(args.inferencePerf) : null;
  // A scenario file is read and validated completely before anything else happens.
  // Workload options and a scenario file do not mix (this throws when both are given).
  const fromArgs = workloadScenario(args, home);
  const scenario: Scenario | null = args.config
    ? await loadScenario(args.config, SUITE_RULES)
    : fromArgs;
  if (inferencePerf && (scenario || args.suitesExplicit)) {
    throw new UsageError(
      "--inference-perf runs its own stages: give it without a workload, --config or --suite",
    );
  }
  if (inferencePerf && (args.workers !== 1 || args.shard)) {
    throw new UsageError(
      "--inference-perf runs its stages in one process: drop --workers and --shard",
    );
  }
  let names = inferencePerf ? [home] : args.suites;
  if (scenario && !args.suitesExplicit) {
    names = SUITE_NAMES.filter((s) =>
      scenario.suites.includes(s) && (!args.skipMemory || !skippedByFlag(s, "--skip-memory"))
    );
  }
  if (scenario && args.suitesExplicit) {
    const left = scenario.suites.filter((s) => !names.includes(s));
    if (left.length) {
      warnings.push(`${scenario.file}: tests for ${left.join(", ")} skipped (not in --suite)`);
    }
  }
  // A tokenizer is checked in a worker: loaded here, its tables would stay in the heap of the
  // thread that measures.
  const checkTokenizer = (spec: string) => checkTokenizerApart(programEntry(), spec);
  for (const t of scenario?.tests ?? []) {
    if (t.workload) await preflightWorkload(t.workload, checkTokenizer);
  }
  const url = args.url === null ? null : normalizeBaseUrl(args.url);
  const workers = resolveWorkers(args.workers, peakStreams(scenario), {
    cores: navigator.hardwareConcurrency,
    embedded: url === null,
  });
  if (workers.reason) warnings.push(workers.reason);
  // The twin's options shape the embedded server: they mean nothing with --url or another
  // profile, and what vLLM would refuse to start is refused now.
  const twin = twinSettingsFrom(args);
  if (twinOptionsGiven(args) && (url !== null || args.serverProfile !== "twin")) {
    throw new UsageError(
      url !== null
        ? "--model-config, --gpu, --tp and the other twin options describe the embedded server; " +
          "with --url the server is yours (use them with predict to model it)"
        : `the twin options need --server-profile twin (got ${args.serverProfile})`,
    );
  }
  if (url === null && args.serverProfile === "twin") checkTwinSettings(twin);
  const gates = parseGates(args.failIf ?? [], CATALOGUE, names);
  const slos = args.slo.map((s) => parseSlo(s));
  const outputDir = resolve(
    args.outputDir ?? args.resume ?? defaultOutputDir(now),
  );
  if (args.resume && resolve(args.resume) !== outputDir) {
    throw new UsageError(
      `--resume ${args.resume} writes into ${args.resume}; drop -o or give the same folder`,
    );
  }
  const plan: RunPlan = {
    target: {
      url,
      httpClient: args.httpClient,
      timeoutMs: args.timeoutS * 1000,
      maxBodyBytes: Math.round(args.maxResponseMb * 1024 * 1024),
      maxEventBytes: Math.round(args.maxEventKb * 1024),
      model: args.model,
      apiKey: args.apiKey,
      apiKeySource: args.apiKeySource,
    },
    inferencePerf,
    embedded: url === null
      ? { profile: args.serverProfile, twin: args.serverProfile === "twin" ? twin : null }
      : null,
    serverMetrics: { enabled: !args.noServerMetrics, url: args.metricsUrl },
    suites: {
      names,
      explicit: args.suitesExplicit,
      quick: args.quick,
      ramp: args.ramp,
      memory: {
        serverPid: args.serverPid,
        metricsUrl: args.metricsUrl,
        leakThresholdKb: args.leakThresholdKb,
      },
    },
    scenario,
    load: {
      seed: args.seed,
      warmup: args.warmup ?? (args.quick ? 3 : 5),
      maxQueueDelayMs: args.maxQueueDelayMs,
      maxErrorRate: args.maxErrorRate === null ? null : args.maxErrorRate / 100,
      maxConsecutiveTimeouts: args.maxConsecutiveTimeouts,
      shard: args.shard,
      workers: workers.workers,
      startAtMs: args.startAtMs,
    },
    repeat: { count: args.repeat, pauseS: args.repeatPauseS, maxCvPct: args.maxCv },
    slos,
    // A scenario file's outputs and tags add to the command line's.
    outputs: {
      specs: [...(args.out ?? []), ...(scenario?.outputs?.out ?? [])].map(parseOutput),
      tags: parseTags([...(scenario?.outputs?.tag ?? []), ...(args.tag ?? [])]),
    },
    dashboardPort: args.dashboard ?? null,
    gates,
    output: { dir: outputDir, quiet: args.quiet },
    acceptFailures: args.acceptFailures,
    resume: args.resume,
  };
  return { plan, warnings };
}

/** Read and check an inference-perf config file. Throws {@linkcode UsageError}. */
async function readInferencePerf(
  file: string,
): Promise<{ file: string; config: InferencePerfConfig }> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    throw new UsageError(`--inference-perf: cannot read ${file}: ${(err as Error).message}`);
  }
  const config = parseInferencePerfConfig(text);
  if (config.data.type === "shareGPT") {
    throw new UsageError(
      "--inference-perf: the shareGPT data generator is not supported; give --dataset FILE " +
        "with --rate for ShareGPT data",
    );
  }
  return { file, config };
}
