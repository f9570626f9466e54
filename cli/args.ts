/**
 * Command line: argv → a typed command with its options, and the help text.
 * Every problem is a {@linkcode UsageError} with a one-line message.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "../util/errors.ts";
import { SUITE_NAMES, type SuiteName } from "../measure/result.ts";
import denoJson from "../deno.json" with { type: "json" };
import { parseShard, parseStartAt, type Shard } from "../load/shard.ts";
import { HTTP_CLIENTS, type HttpClientKind } from "../net/client.ts";

/** The tool's version, from `deno.json`. */
export const VERSION: string = denoJson.version;

/** Program name used in messages. */
export const PROGRAM = "fakeai-bench";

/** Options of the `run` command, as given on the command line. */
export interface RunArgs {
  /** Target base URL; absent = start the embedded server. */
  url: string | null;
  /** API key (from `--api-key` or `OPENAI_API_KEY`). */
  apiKey: string | null;
  /** Model to use for every request instead of the payloads' models. */
  model: string | null;
  /** Suites to run, in run order. */
  suites: SuiteName[];
  /** True when `--suite` was given (explicit request). */
  suitesExplicit: boolean;
  /** Quick mode. */
  quick: boolean;
  /** Skip the memory suite. */
  skipMemory: boolean;
  /** Output folder; absent = `results/<UTC timestamp>/`. */
  outputDir: string | null;
  /** Seed for prompts and the embedded server. */
  seed: number;
  /** Print only the output path. */
  quiet: boolean;
  /** Per-request timeout in seconds. */
  timeoutS: number;
  /** Scenario file (`--config`), YAML or JSON. */
  config?: string | null;
  /** Run the concurrent suite's ramp-up (`--ramp`). */
  ramp?: boolean;
  /** Open loop: queue-delay p99 bound (ms) for the schedule check (`--max-queue-delay-ms`). */
  maxQueueDelayMs?: number | null;
  /** `--shard i/n`: run only this shard's part of each test's load. */
  shard?: Shard | null;
  /** `--start-at`: epoch milliseconds to wait for before the first test. */
  startAtMs?: number | null;
  /** `--workers N`: shards run in Web Workers of this process (1 = none). */
  workers?: number;
  /** `--fail-if` expressions, as given (checked against the metric catalogue by the run). */
  failIf: string[];
  /** `--server-pid`: the server process whose memory the memory suite reads. */
  serverPid: number | null;
  /** `--metrics-url`: Prometheus endpoint with `process_resident_memory_bytes`. */
  metricsUrl: string | null;
  /** `--leak-threshold-kb`: memory slope (KB per request) above which growth may be a leak. */
  leakThresholdKb: number;
  /** HTTP client implementation (`--http-client`); absent = native. */
  httpClient?: HttpClientKind;
}

/** Options of the `selftest` command. */
export interface SelftestArgs {
  /** HTTP client implementation to test. */
  httpClient: HttpClientKind;
  /** Seconds per measurement. */
  seconds: number;
}

/** Options of the `merge` command. */
export interface MergeArgs {
  /** Shard output folders (or folders holding them). */
  dirs: string[];
  /** Output folder; absent = `results/<UTC timestamp>/`. */
  outputDir: string | null;
  /** Print only the output path. */
  quiet: boolean;
}

/** Options of the `compare` command. */
export interface CompareArgs {
  /** Folder of the base (old) run. */
  base: string;
  /** Folder of the new run. */
  next: string;
  /** `--threshold metric=percent` overrides, as given. */
  thresholds: string[];
  /** Where `comparison.md` goes; null = into the new run's folder. */
  output: string | null;
}

/**
 * Default of `--leak-threshold-kb`. The leaks reported against real servers run from a few
 * hundred KB to megabytes per request; a few hundred requests of a garbage-collected server
 * cannot bound a slope much below a few KB per request, so 4 KB separates the two without
 * calling every short run inconclusive.
 */
export const DEFAULT_LEAK_THRESHOLD_KB = 4;

/** Check `--metrics-url`: an absolute http(s) URL. */
function parseMetricsUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`--metrics-url expects an http(s) URL, got '${raw}'`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new UsageError(`--metrics-url expects an http(s) URL, got '${raw}'`);
  }
  return u.href;
}

/** A parsed command line. */
export type Command =
  | { kind: "help"; topic: string | null }
  | { kind: "version" }
  | { kind: "run"; args: RunArgs }
  | { kind: "serve"; argv: string[] }
  | { kind: "merge"; args: MergeArgs }
  | { kind: "compare"; args: CompareArgs }
  | { kind: "selftest"; args: SelftestArgs };

/** Commands the tool knows. */
export const COMMANDS = ["run", "serve", "merge", "compare", "selftest"] as const;

const HINT = `run '${PROGRAM} --help' for usage`;

/** Turn a `node:util` parseArgs error into a one-line usage message. */
function usageFromParseError(err: unknown): UsageError {
  const msg = err instanceof Error ? err.message : String(err);
  const unknown = msg.match(/Unknown option '([^']+)'/);
  if (unknown) return new UsageError(`unknown option ${unknown[1]}; ${HINT}`);
  const missing = msg.match(/Option '([^']+?)(?: <value>)?' argument missing/);
  if (missing) {
    return new UsageError(`option ${missing[1].split(",").pop()!.trim()} needs a value; ${HINT}`);
  }
  const ambiguous = msg.match(/Option '(?:-\w, )?(--[\w-]+)' argument is ambiguous/);
  if (ambiguous) {
    return new UsageError(
      `option ${ambiguous[1]} got a value that looks like an option; write ${ambiguous[1]}=VALUE`,
    );
  }
  const positional = msg.match(/Unexpected argument '([^']+)'/);
  if (positional) {
    // The stray word is not echoed: after `--api-key= sk-...` it would be the key itself.
    return new UsageError(
      `unexpected argument (a word that belongs to no option); write values as --name VALUE ` +
        `or --name=VALUE; ${HINT}`,
    );
  }
  return new UsageError(`${msg.split("\n")[0]}; ${HINT}`);
}

/** Parse a number option; `integer` requires a whole number, `min` a lower bound. */
export function parseNumber(
  flag: string,
  raw: string,
  opts: { integer?: boolean; min?: number; exclusiveMin?: number; max?: number } = {},
): number {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value)) {
    throw new UsageError(`${flag} expects a number, got '${raw}'; ${HINT}`);
  }
  if (opts.integer && !Number.isInteger(value)) {
    throw new UsageError(`${flag} expects a whole number, got '${raw}'`);
  }
  if (opts.exclusiveMin !== undefined && value <= opts.exclusiveMin) {
    throw new UsageError(`${flag} must be greater than ${opts.exclusiveMin}, got ${raw}`);
  }
  if (opts.min !== undefined && value < opts.min) {
    throw new UsageError(`${flag} must be at least ${opts.min}, got ${raw}`);
  }
  if (opts.max !== undefined && value > opts.max) {
    throw new UsageError(`${flag} must be at most ${opts.max}, got ${raw}`);
  }
  return value;
}

/** Map a suite name as typed (`kv-cache`, `kv_cache`, `kv`) to its canonical name. */
export function parseSuiteName(raw: string): SuiteName {
  const key = raw.trim().toLowerCase().replace(/_/g, "-");
  const alias: Record<string, SuiteName> = { kv: "kv-cache", cache: "kv-cache" };
  const name = (SUITE_NAMES as readonly string[]).includes(key) ? key as SuiteName : alias[key];
  if (!name) {
    throw new UsageError(`unknown suite '${raw}'; choose from ${SUITE_NAMES.join(", ")}`);
  }
  return name;
}

const RUN_OPTIONS = {
  url: { type: "string" },
  "api-key": { type: "string" },
  model: { type: "string" },
  suite: { type: "string", multiple: true },
  quick: { type: "boolean" },
  "skip-memory": { type: "boolean" },
  "output-dir": { type: "string", short: "o" },
  seed: { type: "string" },
  quiet: { type: "boolean", short: "q" },
  timeout: { type: "string" },
  config: { type: "string" },
  ramp: { type: "boolean" },
  "max-queue-delay-ms": { type: "string" },
  shard: { type: "string" },
  "start-at": { type: "string" },
  workers: { type: "string" },
  "fail-if": { type: "string", multiple: true },
  "server-pid": { type: "string" },
  "metrics-url": { type: "string" },
  "leak-threshold-kb": { type: "string" },
  "http-client": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

const MERGE_OPTIONS = {
  "output-dir": { type: "string", short: "o" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
} as const;

function parseMerge(rest: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: MERGE_OPTIONS,
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw usageFromParseError(err);
  }
  if (parsed.values.help) return { kind: "help", topic: "merge" };
  if (parsed.positionals.length === 0) {
    throw new UsageError(`merge needs at least one shard output folder; ${HINT}`);
  }
  return {
    kind: "merge",
    args: {
      dirs: parsed.positionals,
      outputDir: parsed.values["output-dir"] ?? null,
      quiet: parsed.values.quiet === true,
    },
  };
}

const SELFTEST_OPTIONS = {
  "http-client": { type: "string" },
  seconds: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Parse `--http-client`: `native` or `fetch`. */
export function parseHttpClient(raw: string | undefined): HttpClientKind {
  if (raw === undefined) return "native";
  const k = raw.trim().toLowerCase();
  if (!(HTTP_CLIENTS as readonly string[]).includes(k)) {
    throw new UsageError(`--http-client must be one of ${HTTP_CLIENTS.join(", ")}, got '${raw}'`);
  }
  return k as HttpClientKind;
}

/**
 * Parse argv (without the program name). `env` supplies `OPENAI_API_KEY`.
 * Throws {@linkcode UsageError}.
 */
export function parseCommandLine(
  argv: string[],
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): Command {
  let rest = argv;
  let command = "run";
  if (rest.length > 0 && !rest[0].startsWith("-")) {
    if (rest[0] === "help") return { kind: "help", topic: rest[1] ?? null };
    if (!(COMMANDS as readonly string[]).includes(rest[0])) {
      throw new UsageError(`unknown command '${rest[0]}'; choose from ${COMMANDS.join(", ")}`);
    }
    command = rest[0];
    rest = rest.slice(1);
  }
  if (command === "serve") {
    if (rest.includes("--help") || rest.includes("-h")) return { kind: "help", topic: "serve" };
    return { kind: "serve", argv: rest };
  }
  if (command === "merge") return parseMerge(rest);
  if (command === "compare") return parseCompare(rest);
  if (command === "selftest") {
    let st;
    try {
      st = parseArgs({ args: rest, options: SELFTEST_OPTIONS, strict: true });
    } catch (err) {
      throw usageFromParseError(err);
    }
    if (st.values.help) return { kind: "help", topic: "selftest" };
    return {
      kind: "selftest",
      args: {
        httpClient: parseHttpClient(st.values["http-client"]),
        seconds: st.values.seconds === undefined
          ? 3
          : parseNumber("--seconds", st.values.seconds, { exclusiveMin: 0, max: 60 }),
      },
    };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: RUN_OPTIONS, strict: true, allowPositionals: false });
  } catch (err) {
    throw usageFromParseError(err);
  }
  const v = parsed.values;
  if (v.help) return { kind: "help", topic: "run" };
  if (v.version) return { kind: "version" };
  const suitesExplicit = v.suite !== undefined && v.suite.length > 0;
  let suites: SuiteName[] = suitesExplicit
    ? [...new Set(v.suite!.flatMap((s) => s.split(",")).map(parseSuiteName))]
    : [...SUITE_NAMES];
  suites = SUITE_NAMES.filter((s) => suites.includes(s));
  if (v["skip-memory"]) suites = suites.filter((s) => s !== "memory");
  if (suites.length === 0) throw new UsageError(`no suite left to run; ${HINT}`);
  const apiKey = v["api-key"] ?? env("OPENAI_API_KEY") ?? null;
  return {
    kind: "run",
    args: {
      url: v.url ?? null,
      apiKey: apiKey === "" ? null : apiKey,
      model: v.model ?? null,
      suites,
      suitesExplicit,
      quick: v.quick === true,
      skipMemory: v["skip-memory"] === true,
      outputDir: v["output-dir"] ?? null,
      seed: v.seed === undefined ? 42 : parseNumber("--seed", v.seed, { integer: true, min: 0 }),
      quiet: v.quiet === true,
      timeoutS: v.timeout === undefined
        ? 120
        : parseNumber("--timeout", v.timeout, { exclusiveMin: 0 }),
      config: v.config ?? null,
      ramp: v.ramp === true,
      maxQueueDelayMs: v["max-queue-delay-ms"] === undefined
        ? null
        : parseNumber("--max-queue-delay-ms", v["max-queue-delay-ms"], { exclusiveMin: 0 }),
      shard: v.shard === undefined ? null : parseShard(v.shard),
      startAtMs: v["start-at"] === undefined ? null : parseStartAt(v["start-at"]),
      workers: v.workers === undefined
        ? 1
        : parseNumber("--workers", v.workers, { integer: true, min: 1, max: 256 }),
      failIf: v["fail-if"] ?? [],
      serverPid: v["server-pid"] === undefined
        ? null
        : parseNumber("--server-pid", v["server-pid"], { integer: true, min: 1 }),
      metricsUrl: v["metrics-url"] === undefined ? null : parseMetricsUrl(v["metrics-url"]),
      leakThresholdKb: v["leak-threshold-kb"] === undefined
        ? DEFAULT_LEAK_THRESHOLD_KB
        : parseNumber("--leak-threshold-kb", v["leak-threshold-kb"], { min: 0 }),
      httpClient: parseHttpClient(v["http-client"]),
    },
  };
}

const COMPARE_OPTIONS = {
  threshold: { type: "string", multiple: true },
  output: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
} as const;

function parseCompare(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: COMPARE_OPTIONS,
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw usageFromParseError(err);
  }
  if (parsed.values.help) return { kind: "help", topic: "compare" };
  const pos = parsed.positionals;
  if (pos.length !== 2) {
    throw new UsageError(
      `compare needs two run folders, BASE and NEW (got ${pos.length}); ` +
        `run '${PROGRAM} compare --help' for usage`,
    );
  }
  return {
    kind: "compare",
    args: {
      base: pos[0],
      next: pos[1],
      thresholds: parsed.values.threshold ?? [],
      output: parsed.values.output ?? null,
    },
  };
}

/** Help text of the `compare` command. */
export function compareHelp(): string {
  return `Usage: ${PROGRAM} compare BASE NEW [--threshold METRIC=PERCENT]... [--output FILE]

Compares two run folders (their run.json, or the per-suite JSON files) metric by metric and
writes comparison.md (into NEW's folder unless --output is given): old value, new value,
change, better or worse. Changes worse than a metric's threshold are regressions, listed
first; any regression exits 4. Appends the comparison to $GITHUB_STEP_SUMMARY when set.

Options:
  --threshold M=P      regression threshold for metric M (suite.metric, or a bare metric
                       name for every suite): percent of the old value for latencies and
                       rates, percentage points for error_rate, hit_rate and other shares
                       (repeatable). Defaults: latency +10%, throughput -10%, error rate
                       +1 point
  -o, --output FILE    where to write the comparison (default NEW/comparison.md)
  -h, --help           this help
`;
}

/** Help text of the `run` command (also the top-level help). */
export function runHelp(): string {
  return `${PROGRAM} ${VERSION} — benchmark an OpenAI-compatible LLM server

Usage:
  ${PROGRAM} [run] [options]       run the benchmark suites
  ${PROGRAM} serve [options]       run the embedded FakeAI-compatible server
  ${PROGRAM} compare BASE NEW      compare two runs; exit 4 on a regression
  ${PROGRAM} help metrics          metric names for --fail-if and compare --threshold
  ${PROGRAM} help serve            options of the embedded server
  ${PROGRAM} merge DIR... [-o OUT] merge shard outputs into one report set
  ${PROGRAM} selftest [options]    measure this host's client overhead and timestamp error

With no --url, ${PROGRAM} starts its own embedded server on a free loopback port,
benchmarks it, and stops it at the end.

Options:
  --url URL            target base URL, e.g. http://127.0.0.1:8000 (a trailing /v1 is fine)
  --api-key KEY        bearer key; default: $OPENAI_API_KEY. Never written to any output
  --model ID           send every request to this model instead of the payloads' models
  --suite NAME         suite to run: ${SUITE_NAMES.join(", ")} (repeatable or
                       comma-separated; default: all)
  --quick              reduced test set (about a minute)
  --skip-memory        do not run the memory suite
  -o, --output-dir DIR where reports go; default: results/<UTC timestamp>/
  --seed N             seed for prompts and the embedded server (default 42)
  --timeout S          per-request timeout in seconds (default 120)
  --config FILE        scenario file (YAML or JSON) replacing or adding tests of any suite;
                       without --suite, only the suites it names run
  --ramp               concurrent suite: add the ramp-up (20..200 concurrent, step 20, stops
                       when more than 10% of a step's requests fail)
  --max-queue-delay-ms N
                       open loop: queue-delay p99 above N ms marks a test as not having kept
                       its schedule (default 10)
  --shard i/n          run only shard i (0-based) of n: each test's requests, concurrency
                       and arrival rate divided by n; merge the outputs with '${PROGRAM} merge'
  --start-at TIME      wait until TIME (epoch seconds or ISO-8601 with zone) before the
                       first test, so shards on many machines start together
  --workers N          run N shards in Web Workers of this process and merge them (default 1)
  --fail-if EXPR       exit 4 after writing the reports when EXPR holds, e.g.
                       throughput.ttft_p99_ms>800 or concurrent.error_rate>0.01
                       (repeatable; OP is one of > >= < <= == !=; names: help metrics)
  --http-client KIND   native (lean HTTP/1.1, default) or fetch (Deno fetch; HTTP/2 on https)
  -q, --quiet          print only the output folder
  --server-pid PID     memory suite: read this process's memory from /proc (Linux)
  --metrics-url URL    memory suite: scrape process_resident_memory_bytes from this
                       Prometheus endpoint when no local process can be read
  --leak-threshold-kb N
                       memory suite: slope (KB per request) above which growth may be a
                       leak (default ${DEFAULT_LEAK_THRESHOLD_KB})
  -h, --help           this help
  -V, --version        print the version

Exit codes: 0 ok · 1 internal error · 2 usage or config error · 3 target unreachable or not
OpenAI-compatible · 4 a threshold or regression gate failed · 5 a suite could not run ·
130 interrupted (partial reports are still written)
`;
}

/** Help text of the `merge` command. */
export function mergeHelp(): string {
  return `Usage: ${PROGRAM} merge DIR... [-o OUT] [-q]

Merges the outputs of a run split with --shard i/n (one folder per shard, each with its
run.json) into one complete report set in OUT (default: results/<UTC timestamp>/). A DIR
without run.json stands for its sub-folders that have one. Tests are combined by suite and
name: counts, outcome classes and tokens add up, the window is the union of the shards'
windows, and percentiles come from the merged HDR histograms (error bound in the report).
`;
}

/** Help text of the `selftest` command. */
export function selftestHelp(): string {
  return `Usage: ${PROGRAM} selftest [options]

Measures this host's client against the embedded server: the client's request capacity
(non-streaming, 50 connections, zero simulated latency), its streaming timestamp error (client
inter-token gaps against the server's chunk send stamps, 200 streams, 10 ms ITL) and SSE parsing
speed on one core. Run it before trusting sub-millisecond differences.

Options:
  --http-client KIND   native (default) or fetch
  --seconds S          seconds per measurement (default 3, at most 60)
  -h, --help           this help
`;
}
