/**
 * Reading runs back from disk: a run folder's `run.json` (shards for `merge`), or for
 * `compare` either `run.json` or, for an older or foreign folder, the per-suite JSON files.
 * This is where JSON from disk becomes typed results; it is checked here, once.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { ConfigError } from "../util/errors.ts";
import type { LoadSpec, RunResult, SuiteName, SuiteResult, TestResult } from "../measure/result.ts";
import { emptySummary, type Summary } from "../measure/summary.ts";
import { emptyHistograms, type TestMetrics } from "../measure/aggregate.ts";
import type { LoadedRun } from "../analysis/compare.ts";
import { SCHEMA_VERSION } from "../report/json.ts";
import { SUITES } from "../suites/registry.ts";

export type { LoadedRun };

async function readJson(path: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message.split("\n")[0]}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid JSON: ${(err as Error).message.split("\n")[0]}`);
  }
}

function majorOf(v: string | null): string | null {
  return v === null ? null : v.split(".")[0];
}

const num = (v: unknown, d = 0): number => (typeof v === "number" && Number.isFinite(v) ? v : d);

function summaryFrom(v: unknown): Summary {
  if (!v || typeof v !== "object") return emptySummary();
  return { ...emptySummary(), ...(v as Partial<Summary>) };
}

/** A per-test object of a suite JSON file, turned back into a {@linkcode TestResult}. */
export function testFromSuiteJson(suite: SuiteName, o: Record<string, unknown>): TestResult {
  const streaming = o.streaming === true;
  const latency = o.latency ? summaryFrom(o.latency) : {
    ...emptySummary(),
    count: num(o.successful_requests),
    mean: num(o.avg_latency),
    min: num(o.min_latency),
    max: num(o.max_latency),
    p50: num(o.p50_latency),
    p90: num(o.p90_latency),
    p95: num(o.p95_latency),
    p99: num(o.p99_latency),
  };
  const arr = (v: unknown) =>
    Array.isArray(v) ? v.filter((x): x is number => typeof x === "number") : undefined;
  const metrics: TestMetrics = {
    total_requests: num(o.total_requests),
    successful_requests: num(o.successful_requests),
    failed_requests: num(o.failed_requests),
    outcomes: (o.outcomes ?? {}) as TestMetrics["outcomes"],
    window_s: num(o.window_s, num(o.total_time, num(o.duration))),
    requests_per_second: num(o.requests_per_second),
    output_tokens_per_second: num(o.output_tokens_per_second),
    total_tokens_per_second: num(o.total_tokens_per_second, num(o.tokens_per_second)),
    total_input_tokens: num(o.total_input_tokens),
    total_output_tokens: num(o.total_output_tokens),
    output_tokens_estimated: o.output_tokens_estimated === true,
    input_tokens_missing: false,
    latency,
    ttft: summaryFrom(o.ttft),
    ttfc: summaryFrom(o.ttfc),
    tpot: summaryFrom(o.tpot),
    itl: summaryFrom(o.itl),
    latency_corrected: o.latency_corrected ? summaryFrom(o.latency_corrected) : null,
    ttft_corrected: o.ttft_corrected ? summaryFrom(o.ttft_corrected) : null,
    queue_delay: o.queue_delay ? summaryFrom(o.queue_delay) : null,
    latencies: arr(o.latencies) ?? [],
    error_samples: [],
    ttft_samples: arr(o.ttft_samples),
    itl_samples: arr(o.itl_samples),
    tpot_samples: arr(o.tpot_samples),
    window_start_epoch_s: typeof o.window_start_epoch_s === "number"
      ? o.window_start_epoch_s
      : null,
    window_end_epoch_s: typeof o.window_end_epoch_s === "number" ? o.window_end_epoch_s : null,
    histograms: (o.histograms as TestMetrics["histograms"] | undefined) ?? emptyHistograms(),
  };
  return {
    suite,
    name: String(o.test_name ?? o.name ?? "test"),
    payload: String(o.payload_size ?? o.payload ?? ""),
    streaming,
    model: String(o.model ?? ""),
    model_substituted_for: null,
    max_tokens: typeof o.max_tokens === "number" ? o.max_tokens : null,
    load: (o.load ?? { kind: "closed", requests: 0, concurrency: 0, warmup: 0 }) as LoadSpec,
    metrics,
    interrupted: o.interrupted === true,
    notes: [],
    extra: o,
  };
}

/**
 * Read a run folder: `run.json` when present, else every `<suite>_results.json`. A path to
 * a `run.json` file works too. Throws {@linkcode ConfigError} when neither exists or the
 * schema's major version is not this tool's.
 */
export async function loadRun(path: string): Promise<LoadedRun> {
  let dir = path;
  try {
    if ((await Deno.stat(path)).isFile) dir = join(path, "..");
  } catch {
    throw new ConfigError(`run folder ${path} does not exist`);
  }
  const runJson = await readJson(join(dir, "run.json"));
  let loaded: LoadedRun;
  if (runJson !== undefined) {
    const r = runJson as Partial<RunResult> & { schema_version?: string };
    if (!r || typeof r !== "object" || !Array.isArray(r.suites)) {
      throw new ConfigError(`${join(dir, "run.json")} has no suites: not a fakeai-bench run`);
    }
    loaded = {
      dir,
      source: "run.json",
      run: r as RunResult,
      schemaVersion: typeof r.schema_version === "string" ? r.schema_version : null,
    };
  } else {
    const suites: SuiteResult[] = [];
    let version: string | null = null;
    for (const { name: s, reporter } of SUITES) {
      const data = await readJson(join(dir, `${reporter.file}.json`));
      if (data === undefined) continue;
      if (!Array.isArray(data)) {
        throw new ConfigError(`${reporter.file}.json in ${dir} is not an array of tests`);
      }
      const tests = data.filter((o) => o && typeof o === "object").map((o) => {
        if (typeof o.schema_version === "string") version ??= o.schema_version;
        return testFromSuiteJson(s, o as Record<string, unknown>);
      });
      suites.push({
        suite: s,
        tests,
        started_at: "",
        finished_at: "",
        skipped: null,
        error: null,
        interrupted: tests.some((t) => t.interrupted),
      });
    }
    if (suites.length === 0) {
      throw new ConfigError(`${dir} holds neither run.json nor any *_results.json`);
    }
    loaded = {
      dir,
      source: "suite JSON",
      schemaVersion: version,
      run: {
        tool_version: "unknown",
        run_id: "unknown",
        started_at: "",
        finished_at: "",
        mode: "full",
        plan: {},
        server: {
          base_url: "unknown",
          embedded: false,
          pid: null,
          models: [],
          server_header: null,
          health_status: null,
        },
        host: { hostname: "", os: "", arch: "", cpus: 0, deno: "" },
        suites,
        interrupted: false,
      },
    };
  }
  const major = majorOf(loaded.schemaVersion);
  if (major !== null && major !== majorOf(SCHEMA_VERSION)) {
    throw new ConfigError(
      `${dir} has schema_version ${loaded.schemaVersion}; this tool reads ${
        majorOf(SCHEMA_VERSION)
      }.x`,
    );
  }
  return loaded;
}

async function hasRunJson(dir: string): Promise<boolean> {
  try {
    return (await Deno.stat(join(dir, "run.json"))).isFile;
  } catch {
    return false;
  }
}

/**
 * The shard folders named by `dirs`: each folder with a `run.json`, or, for a folder without
 * one, its sub-folders that have one (sorted; `exclude` left out). Throws {@linkcode ConfigError}.
 */
export async function findShardDirs(dirs: readonly string[], exclude?: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of dirs.map((x) => resolve(x))) {
    if (await hasRunJson(d)) {
      out.push(d);
      continue;
    }
    const subs: string[] = [];
    try {
      for await (const e of Deno.readDir(d)) {
        const p = join(d, e.name);
        if (e.isDirectory && p !== exclude && await hasRunJson(p)) subs.push(p);
      }
    } catch (err) {
      throw new ConfigError(
        `cannot read ${d}: ${err instanceof Error ? err.message.split("\n")[0] : err}`,
      );
    }
    if (subs.length === 0) throw new ConfigError(`no run.json in ${d} or its sub-folders`);
    out.push(...subs.sort());
  }
  return out;
}

/** Read a shard's `run.json`. Throws {@linkcode ConfigError}. */
export async function readRun(dir: string): Promise<RunResult> {
  const path = join(dir, "run.json");
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    throw new ConfigError(
      `cannot read ${path}: ${err instanceof Error ? err.message.split("\n")[0] : err}`,
    );
  }
  const plan = doc.plan ?? doc.config; // runs of older versions record a config
  if (!Array.isArray(doc.suites) || typeof plan !== "object" || plan === null) {
    throw new ConfigError(`${path} is not a run.json written by fakeai-bench`);
  }
  const { schema_version: _v, ...run } = doc;
  return run as unknown as RunResult;
}
