/**
 * Command line: argv → a typed command with its options, and the help texts. Each command's
 * options are one table (`util/options.ts`): its parser, typed values and help come from it.
 * Every problem is a {@linkcode UsageError} with a one-line message.
 *
 * @module
 */

import { addSecret } from "../util/redact.ts";
import { UsageError } from "../util/errors.ts";
import { PROGRAM, VERSION } from "../util/version.ts";
import { parseSuiteName, SUITE_NAMES, SUITES } from "../suites/registry.ts";
import { DEFAULT_LEAK_THRESHOLD_KB, QUICK_LEAK_THRESHOLD_KB } from "../suites/memory/tests.ts";
import { type ApiKeySource, SERVER_PROFILES } from "../plan/plan.ts";
import { WORKLOAD_TABLE } from "../plan/workload.ts";
import { TWIN_TABLE } from "../plan/twin.ts";
import { parseShard, parseStartAt } from "../load/shard.ts";
import { parseWorkers, type WorkersOption } from "../plan/workers.ts";
import { HTTP_CLIENTS } from "../net/client.ts";
import {
  choice,
  custom,
  flag,
  number,
  optionsHelp,
  type OptionValues,
  parseOptions,
  text,
  texts,
} from "../util/options.ts";

export { PROGRAM, VERSION };

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

/** The `run` command's options, in the order its help lists them. */
export const RUN_TABLE = {
  url: text("url", "URL", "target base URL, e.g. http://127.0.0.1:8000 (a trailing /v1 is fine)"),
  apiKey: text(
    "api-key",
    "KEY",
    "bearer key; default: $OPENAI_API_KEY. Never written to any output, but\n" +
      "visible in the process list: prefer OPENAI_API_KEY or --api-key-file",
  ),
  apiKeyFile: text("api-key-file", "FILE", "read the bearer key from FILE (its first line)"),
  model: text("model", "ID", "send every request to this model instead of the payloads' models"),
  suite: texts(
    "suite",
    "NAME",
    `suite to run: ${SUITE_NAMES.join(", ")} (repeatable or\ncomma-separated; default: all)`,
  ),
  quick: flag("quick", "reduced test set (about a minute)"),
  skipMemory: flag("skip-memory", "do not run the memory suite"),
  outputDir: text("output-dir", "DIR", "where reports go; default: results/<UTC timestamp>/", "o"),
  seed: number(
    "seed",
    "N",
    "seed for prompts and the embedded server (default 42)",
    { integer: true, min: 0 },
    42,
  ),
  timeoutS: number(
    "timeout",
    "S",
    "per-request timeout in seconds (default 120)",
    { exclusiveMin: 0 },
    120,
  ),
  warmup: number(
    "warmup",
    "N",
    "uncounted warm-up requests before each test (default 5, 3 with --quick)",
    { integer: true, min: 0, max: 100_000 },
    null,
  ),
  resume: text(
    "resume",
    "DIR",
    "continue the interrupted run in DIR: keep the tests it completed, run the\n" +
      "rest with the same options, write the reports there",
  ),
  config: text(
    "config",
    "FILE",
    "scenario file (YAML or JSON) replacing or adding tests of any suite;\n" +
      "without --suite, only the suites it names run",
  ),
  ...WORKLOAD_TABLE,
  inferencePerf: text(
    "inference-perf",
    "FILE",
    "an inference-perf config (YAML): its data generator and load stages, sent\n" +
      "as inference-perf would send them (predict: also writes stages.json)",
  ),
  ramp: flag(
    "ramp",
    "concurrent suite: add the ramp-up (20..200 concurrent, step 20, stops\n" +
      "when more than 10% of a step's requests fail)",
  ),
  maxQueueDelayMs: number(
    "max-queue-delay-ms",
    "N",
    "open loop: queue-delay p99 above N ms marks a test as not having kept\n" +
      "its schedule (default 10)",
    { exclusiveMin: 0 },
    null,
  ),
  shard: custom(
    "shard",
    "i/n",
    "run only shard i (0-based) of n: each test's requests, concurrency\n" +
      `and arrival rate divided by n; merge the outputs with '${PROGRAM} merge'`,
    parseShard,
    null,
  ),
  startAtMs: custom(
    "start-at",
    "TIME",
    "wait until TIME (epoch seconds or ISO-8601 with zone) before the\n" +
      "first test, so shards on many machines start together",
    parseStartAt,
    null,
  ),
  workers: custom(
    "workers",
    "N",
    "run N shards in Web Workers of this process and merge them (default 1);\n" +
      "N = auto: a worker per 250 streams of the largest test, up to the spare cores",
    parseWorkers,
    1 as WorkersOption,
  ),
  dashboard: number(
    "dashboard",
    "PORT",
    "serve a live view of the run on http://127.0.0.1:PORT/ (0: any free\n" +
      "port; the URL is printed): the test in progress, TTFT, ITL, throughput,\n" +
      "the server's queue and KV cache each second; it closes with the run",
    { integer: true, min: 0, max: 65535 },
    null,
  ),
  out: texts(
    "out",
    "KIND=TARGET",
    "send each completed test's results to an output as the run goes:\n" +
      "prometheus-rw=URL (remote write), pushgateway=URL, openmetrics=FILE\n" +
      "(node_exporter's textfile), otlp=URL (OTLP/HTTP, …/v1/metrics);\n" +
      "repeatable. An output that cannot be reached never fails the run: one\n" +
      "line at its end says what was not delivered",
  ),
  tag: texts(
    "tag",
    "NAME=VALUE",
    "a label on every sample --out sends (env=staging); repeatable",
  ),
  slo: texts(
    "slo",
    "M=BOUND",
    "a per-request SLO every test counts against: ttft=500ms, tpot=50ms, e2e=2s,\n" +
      "itl=100ms (largest gap) or itl.p99=80ms; repeatable. Tests report attainment\n" +
      "and goodput (open loops judge TTFT and E2E from the intended send time)",
  ),
  failIf: texts(
    "fail-if",
    "EXPR",
    "exit 4 after writing the reports when EXPR holds, e.g.\n" +
      "throughput.ttft_p99_ms>800 or concurrent.error_rate>0.01\n" +
      "(repeatable; OP is one of > >= < <= == !=; names: help metrics)",
  ),
  maxResponseMb: number(
    "max-response-mb",
    "N",
    "largest non-streaming response body read, in MB (default 64); a larger one\n" +
      "fails its request as too_large",
    { exclusiveMin: 0, max: 16_384 },
    64,
  ),
  maxEventKb: number(
    "max-event-kb",
    "N",
    "largest SSE line or event, in KB (default 1024); a larger one fails its request\n" +
      "as too_large",
    { exclusiveMin: 0, max: 1_048_576 },
    1024,
  ),
  maxErrorRate: number(
    "max-error-rate",
    "PCT",
    "end a test early once 20 requests are in and more than PCT% of them failed\n" +
      "(marked in the report; a sweep or search treats it as past saturation)",
    { min: 0, max: 100 },
    null,
  ),
  maxConsecutiveTimeouts: number(
    "max-consecutive-timeouts",
    "N",
    "end a test once N requests in a row timed out or could not connect with no\n" +
      "success between (a wedged server; marked in the report; default 3, 0: never)",
    { integer: true, min: 0, max: 1_000_000 },
    3,
  ),
  repeat: number(
    "repeat",
    "N",
    "run each test N times (repeat k with seed + k) and report each headline\n" +
      "metric's mean, 95% interval and CV; compare then judges changes against\n" +
      "the intervals (default 1; a search runs once)",
    { integer: true, min: 1, max: 100 },
    1,
  ),
  repeatPauseS: number(
    "repeat-pause-s",
    "S",
    "pause between the repeats of a test, in seconds (default 2)",
    { min: 0, max: 3600 },
    2,
  ),
  maxCv: number(
    "max-cv",
    "PCT",
    "--repeat: mark a metric unstable when its CV over the repeats is above PCT%\n" +
      "(default 10)",
    { exclusiveMin: 0, max: 1000 },
    10,
  ),
  acceptFailures: flag(
    "accept-failures",
    "exit 0 even when a test had no successful request or the target stopped\n" +
      "answering (chaos runs; default: exit 6)",
  ),
  serverProfile: choice(
    "server-profile",
    "NAME",
    SERVER_PROFILES,
    "embedded server's timing: twin (vLLM serving --model-config on --tp × --gpu;\n" +
      "default), engine (batching on round constants) or constant (FakeAI's: the same\n" +
      "TTFT and ITL at any load); see help serve",
    "twin",
  ),
  ...TWIN_TABLE,
  noServerMetrics: flag(
    "no-server-metrics",
    "do not sample the server's Prometheus metrics during tests (default: sample\n" +
      "--metrics-url, else URL/metrics, once a second when it answers)",
  ),
  httpClient: choice(
    "http-client",
    "KIND",
    HTTP_CLIENTS,
    "native (lean HTTP/1.1, default) or fetch (Deno fetch; HTTP/2 on https)",
    "native",
  ),
  quiet: flag("quiet", "print only the output folder", "q"),
  serverPid: number(
    "server-pid",
    "PID",
    "memory suite: read this process's memory from /proc (Linux)",
    { integer: true, min: 1 },
    null,
  ),
  metricsUrl: custom(
    "metrics-url",
    "URL",
    "memory suite: scrape process_resident_memory_bytes from this\n" +
      "Prometheus endpoint when no local process can be read",
    parseMetricsUrl,
    null,
  ),
  leakThresholdKb: number(
    "leak-threshold-kb",
    "N",
    "memory suite: slope (KB per request) above which growth may be a\n" +
      `leak (default ${DEFAULT_LEAK_THRESHOLD_KB}; ${QUICK_LEAK_THRESHOLD_KB} with --quick)`,
    { min: 0 },
    null,
  ),
  help: flag("help", "this help", "h"),
  version: flag("version", "print the version", "V"),
};

/** Options of the `run` command, as given on the command line (`--suite` resolved). */
export type RunArgs =
  & Omit<OptionValues<typeof RUN_TABLE>, "suite" | "help" | "version">
  & {
    /** Suites to run, in run order. */
    suites: string[];
    /** True when `--suite` was given (explicit request). */
    suitesExplicit: boolean;
    /** Where the key came from. */
    apiKeySource: ApiKeySource;
  };

/** The `run` options `predict` takes: the workload, its SLOs and gates, the twin, the output. */
const PREDICT_KEYS = [
  "model",
  "suite",
  "quick",
  "outputDir",
  "seed",
  "timeoutS",
  "quiet",
  "config",
  "slo",
  "failIf",
  "repeat",
  "repeatPauseS",
  "maxCv",
  "maxQueueDelayMs",
  "inferencePerf",
  ...Object.keys(WORKLOAD_TABLE),
  ...Object.keys(TWIN_TABLE),
] as const;

/** The `predict` command's options: the run's that shape what is predicted, and its own. */
export const PREDICT_TABLE = {
  ...Object.fromEntries(
    PREDICT_KEYS.map((k) => [k, RUN_TABLE[k as keyof typeof RUN_TABLE]]),
  ) as Pick<typeof RUN_TABLE, typeof PREDICT_KEYS[number] & keyof typeof RUN_TABLE>,
  help: flag("help", "this help", "h"),
};

/** The `calibrate` command's options: the user's deployment, the fit's budget, the file. */
export const CALIBRATE_TABLE = {
  output: text("output", "FILE", "where the twin file goes (default twin.json)", "o"),
  evaluations: number(
    "evaluations",
    "N",
    "most loss evaluations of the fit (default 300)",
    { integer: true, min: 10, max: 100_000 },
    300,
  ),
  ...TWIN_TABLE,
  quiet: flag("quiet", "no progress lines", "q"),
  help: flag("help", "this help", "h"),
};

/** Options of the `calibrate` command, with its run folders. */
export type CalibrateArgs =
  & Omit<OptionValues<typeof CALIBRATE_TABLE>, "help" | "output">
  & { dirs: string[]; output: string };

/** The `selftest` command's options. */
export const SELFTEST_TABLE = {
  httpClient: choice("http-client", "KIND", HTTP_CLIENTS, "native (default) or fetch", "native"),
  seconds: number(
    "seconds",
    "S",
    "seconds per measurement (default 3, at most 60)",
    { exclusiveMin: 0, max: 60 },
    3,
  ),
  help: flag("help", "this help", "h"),
};

/** Options of the `selftest` command. */
export type SelftestArgs = Omit<OptionValues<typeof SELFTEST_TABLE>, "help">;

/** The `trend` command's options. */
export const TREND_TABLE = {
  outputDir: text(
    "output-dir",
    "OUT",
    "where trend.md, trend.json and trend.html go (default: the first DIR)",
    "o",
  ),
  window: number(
    "window",
    "N",
    "runs in the rolling baseline a point is compared with (default 5)",
    { integer: true, min: 3, max: 1000 },
    5,
  ),
  failOnRegression: flag(
    "fail-on-regression",
    "exit 4 when the latest run is a regression of any metric against its baseline",
  ),
  failIf: texts("fail-if", "EXPR", "exit 4 when EXPR holds for the latest run (as run --fail-if)"),
  quiet: flag("quiet", "print only the output folder", "q"),
  help: flag("help", "this help", "h"),
};

/** Options of the `trend` command. */
export type TrendArgs = Omit<OptionValues<typeof TREND_TABLE>, "help"> & {
  /** Folders to search for runs. */
  dirs: string[];
};

/** Help text of the `trend` command. */
export function trendHelp(): string {
  return `Usage: ${PROGRAM} trend DIR... [-o OUT] [--window N] [--fail-on-regression] [--fail-if EXPR]

Reads every run under the given folders (each folder with a run.json, up to four levels down),
in time order, and writes trend.md, trend.json and trend.html into OUT: one chart per headline
metric of the catalogue over the runs, each run linked. A point is a change when it differs from
the median of the previous N runs by more than three times their spread and than the metric's
compare threshold (and, for a run made with --repeat, lies outside its own 95% interval); a
regression when the change is for the worse. Runs of another target or
schema major version are listed and left out. Exits 4 on --fail-on-regression or a --fail-if
that holds for the latest run, so a nightly job fails on a slow drift no pairwise compare sees.

Options:
${optionsHelp(TREND_TABLE)}
`;
}

/** The `report` command's options. */
export const REPORT_TABLE = {
  quiet: flag("quiet", "print only the output folder", "q"),
  help: flag("help", "this help", "h"),
};

/** Options of the `report` command. */
export type ReportArgs = Omit<OptionValues<typeof REPORT_TABLE>, "help"> & {
  /** The run folder. */
  dir: string;
};

/** Help text of the `report` command. */
export function reportHelp(): string {
  return `Usage: ${PROGRAM} report DIR [-q]

Rebuilds the full report set (Markdown, JSON, HTML, charts, run.json) in DIR from what a run
left there. A run records every test the moment it completes (DIR/progress/), so a run
stopped by Ctrl-C, SIGTERM, SIGKILL, the OOM killer or a container timeout keeps every test it
completed; this writes their reports, marked interrupted. A finished run's reports are
rewritten from its run.json. To run the tests that are missing, use '${PROGRAM} --resume DIR'.

Options:
${optionsHelp(REPORT_TABLE)}
`;
}

/** The `merge` command's options. */
export const MERGE_TABLE = {
  outputDir: text("output-dir", "OUT", "where the merged reports go", "o"),
  quiet: flag("quiet", "print only the output folder", "q"),
  help: flag("help", "this help", "h"),
};

/** Options of the `merge` command. */
export type MergeArgs = Omit<OptionValues<typeof MERGE_TABLE>, "help"> & {
  /** Shard output folders (or folders holding them). */
  dirs: string[];
};

/** The `compare` command's options. */
export const COMPARE_TABLE = {
  thresholds: texts(
    "threshold",
    "M=P",
    "regression threshold for metric M (suite.metric, or a bare metric\n" +
      "name for every suite): percent of the old value for latencies and\n" +
      "rates, percentage points for error_rate, hit_rate and other shares\n" +
      "(repeatable). Defaults: latency +10%, throughput -10%, error rate\n" +
      "+1 point",
  ),
  output: text("output", "FILE", "where to write the comparison (default NEW/comparison.md)", "o"),
  ignoreIntervals: flag(
    "ignore-intervals",
    "judge changes by their thresholds only, even when both runs have\n" +
      "repeats (default: a change within the repeats' noise is no regression)",
  ),
  help: flag("help", "this help", "h"),
};

/** Options of the `compare` command. */
export type CompareArgs = Omit<OptionValues<typeof COMPARE_TABLE>, "help"> & {
  /** Folder of the base (old) run. */
  base: string;
  /** Folder of the new run. */
  next: string;
};

/** A parsed command line. */
export type Command =
  | { kind: "help"; topic: string | null }
  | { kind: "version" }
  | { kind: "run"; args: RunArgs }
  | { kind: "serve"; argv: string[] }
  | { kind: "merge"; args: MergeArgs }
  | { kind: "report"; args: ReportArgs }
  | { kind: "trend"; args: TrendArgs }
  | { kind: "compare"; args: CompareArgs }
  | { kind: "selftest"; args: SelftestArgs }
  | { kind: "predict"; args: RunArgs }
  | { kind: "calibrate"; args: CalibrateArgs };

/** Commands the tool knows. */
export const COMMANDS = [
  "run",
  "serve",
  "report",
  "trend",
  "merge",
  "compare",
  "selftest",
  "predict",
  "calibrate",
] as const;

const HINT = `run '${PROGRAM} --help' for usage`;

/**
 * Parse argv (without the program name). `env` supplies `OPENAI_API_KEY`.
 * Throws {@linkcode UsageError}.
 */
export function parseCommandLine(
  argv: string[],
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
  readFile: (path: string) => string = (p) => Deno.readTextFileSync(p),
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
  switch (command) {
    case "serve":
      if (rest.includes("--help") || rest.includes("-h")) return { kind: "help", topic: "serve" };
      return { kind: "serve", argv: rest };
    case "merge": {
      const { values: { help, ...args }, positionals } = parseOptions(MERGE_TABLE, rest, {
        positionals: true,
        hint: HINT,
      });
      if (help) return { kind: "help", topic: "merge" };
      if (positionals.length === 0) {
        throw new UsageError(`merge needs at least one shard output folder; ${HINT}`);
      }
      return { kind: "merge", args: { ...args, dirs: positionals } };
    }
    case "trend": {
      const { values: { help, ...args }, positionals } = parseOptions(TREND_TABLE, rest, {
        positionals: true,
        hint: HINT,
      });
      if (help) return { kind: "help", topic: "trend" };
      if (positionals.length === 0) {
        throw new UsageError(`trend needs at least one folder of runs; ${HINT}`);
      }
      return { kind: "trend", args: { ...args, dirs: positionals } };
    }
    case "report": {
      const { values: { help, ...args }, positionals } = parseOptions(REPORT_TABLE, rest, {
        positionals: true,
        hint: HINT,
      });
      if (help) return { kind: "help", topic: "report" };
      if (positionals.length !== 1) {
        throw new UsageError(`report needs one run folder (got ${positionals.length}); ${HINT}`);
      }
      return { kind: "report", args: { ...args, dir: positionals[0] } };
    }
    case "compare": {
      const { values: { help, ...args }, positionals } = parseOptions(COMPARE_TABLE, rest, {
        positionals: true,
        hint: HINT,
      });
      if (help) return { kind: "help", topic: "compare" };
      if (positionals.length !== 2) {
        throw new UsageError(
          `compare needs two run folders, BASE and NEW (got ${positionals.length}); ` +
            `run '${PROGRAM} compare --help' for usage`,
        );
      }
      return { kind: "compare", args: { ...args, base: positionals[0], next: positionals[1] } };
    }
    case "calibrate": {
      const { values: { help, output, ...args }, positionals } = parseOptions(
        CALIBRATE_TABLE,
        rest,
        { positionals: true, hint: `run '${PROGRAM} calibrate --help' for usage` },
      );
      if (help) return { kind: "help", topic: "calibrate" };
      if (positionals.length === 0) {
        throw new UsageError(
          `calibrate needs at least one run folder; run '${PROGRAM} calibrate --help'`,
        );
      }
      return {
        kind: "calibrate",
        args: { ...args, output: output ?? "twin.json", dirs: positionals },
      };
    }
    case "predict": {
      const { values: { help, suite, ...given } } = parseOptions(
        PREDICT_TABLE,
        rest,
        { hint: `run '${PROGRAM} predict --help' for usage` },
      );
      if (help) return { kind: "help", topic: "predict" };
      // Everything predict does not take is the run's default: no --url, the twin.
      const { values: defaults } = parseOptions(RUN_TABLE, []);
      const { help: _h, version: _v, suite: _s, ...base } = defaults;
      const suites = suite.length > 0
        ? SUITE_NAMES.filter((n) =>
          suite.flatMap((x) => x.split(",")).map(parseSuiteName).includes(n)
        )
        : [...SUITE_NAMES];
      return {
        kind: "predict",
        args: {
          ...base,
          ...given,
          serverProfile: "twin",
          apiKey: null,
          apiKeySource: null,
          suites,
          suitesExplicit: suite.length > 0,
        },
      };
    }
    case "selftest": {
      const { values: { help, ...args } } = parseOptions(SELFTEST_TABLE, rest, { hint: HINT });
      if (help) return { kind: "help", topic: "selftest" };
      return { kind: "selftest", args };
    }
  }
  const { values } = parseOptions(RUN_TABLE, rest, { hint: HINT });
  const { help, version, suite, ...args } = values;
  if (help) return { kind: "help", topic: "run" };
  if (version) return { kind: "version" };
  const suitesExplicit = suite.length > 0;
  let suites: string[] = suitesExplicit
    ? [...new Set(suite.flatMap((s) => s.split(",")).map(parseSuiteName))]
    : [...SUITE_NAMES];
  suites = SUITE_NAMES.filter((s) => suites.includes(s));
  if (args.skipMemory) suites = suites.filter((s) => !skippedByFlag(s, "--skip-memory"));
  if (suites.length === 0) throw new UsageError(`no suite left to run; ${HINT}`);
  const key = apiKeyOf(args.apiKey, args.apiKeyFile, env, readFile);
  return {
    kind: "run",
    args: { ...args, ...key, suites, suitesExplicit },
  };
}

export type { ApiKeySource };

/** True when `flag` leaves the suite `name` out of a run. */
export function skippedByFlag(name: string, flag: string): boolean {
  return SUITES.find((s) => s.name === name)?.skippedBy === flag;
}

/**
 * The run's API key, registered for scrubbing from every output (with OPENAI_API_KEY even
 * when another key is used). Throws {@linkcode UsageError} for a key holding a control
 * character (a CR/LF would end the header and start another).
 */
function apiKeyOf(
  flagKey: string | null,
  file: string | null,
  env: (name: string) => string | undefined,
  readFile: (path: string) => string,
): { apiKey: string | null; apiKeySource: ApiKeySource } {
  addSecret(env("OPENAI_API_KEY"));
  const found = findApiKey(flagKey, file, env, readFile);
  if (found.apiKey !== null) {
    addSecret(found.apiKey);
    if ([...found.apiKey].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
      throw new UsageError(
        `the API key (from ${
          found.apiKeySource === "env"
            ? "OPENAI_API_KEY"
            : `--${found.apiKeySource === "file" ? "api-key-file" : "api-key"}`
        }) ` +
          "holds a control character (a line break or tab?); a key is one line of printable text",
      );
    }
  }
  return found;
}

function findApiKey(
  flagKey: string | null,
  file: string | null,
  env: (name: string) => string | undefined,
  readFile: (path: string) => string,
): { apiKey: string | null; apiKeySource: ApiKeySource } {
  if (flagKey !== null && file !== null) {
    throw new UsageError("give --api-key or --api-key-file, not both");
  }
  if (file !== null) {
    let text: string;
    try {
      text = readFile(file);
    } catch (err) {
      const why = err instanceof Deno.errors.NotFound
        ? "no such file"
        : (err instanceof Error ? err.message : String(err)).split("\n")[0];
      throw new UsageError(`cannot read --api-key-file ${file}: ${why}`);
    }
    const key = text.split(/\r?\n/)[0].trim();
    if (key === "") throw new UsageError(`--api-key-file ${file} is empty`);
    return { apiKey: key, apiKeySource: "file" };
  }
  // `--api-key=` (empty) sends no key, whatever OPENAI_API_KEY holds.
  if (flagKey === "") return { apiKey: null, apiKeySource: null };
  if (flagKey !== null) return { apiKey: flagKey, apiKeySource: "flag" };
  const fromEnv = env("OPENAI_API_KEY");
  if (fromEnv) return { apiKey: fromEnv, apiKeySource: "env" };
  return { apiKey: null, apiKeySource: null };
}

/** Help text of the `compare` command. */
export function compareHelp(): string {
  return `Usage: ${PROGRAM} compare BASE NEW [--threshold METRIC=PERCENT]... [--output FILE]

Compares two run folders (their run.json, or the per-suite JSON files) metric by metric and
writes comparison.md (into NEW's folder unless --output is given): old value, new value,
change, better or worse. Changes worse than a metric's threshold are regressions, listed
first; any regression exits 4. Appends the comparison to $GITHUB_STEP_SUMMARY when set.

Options:
${optionsHelp(COMPARE_TABLE)}
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
  ${PROGRAM} report DIR           rebuild the reports of a run (an interrupted one too)
  ${PROGRAM} trend DIR...         charts and change points over many runs
  ${PROGRAM} merge DIR... [-o OUT] merge shard outputs into one report set
  ${PROGRAM} selftest [options]    measure this host's client overhead and timestamp error
  ${PROGRAM} predict [options]     predict a workload on the engine twin, without a server
  ${PROGRAM} calibrate DIR... -o F fit the engine twin to runs against your server

With no --url, ${PROGRAM} starts its own embedded server on a free loopback port,
benchmarks it, and stops it at the end.

Options:
${optionsHelp(RUN_TABLE)}

Exit codes: 0 ok · 1 internal error · 2 usage or config error · 3 target unreachable or not
OpenAI-compatible · 4 a threshold or regression gate failed · 5 a suite could not run ·
6 a test had no successful request, or the target stopped answering (--accept-failures:
0) · 130 interrupted (partial reports are still written)
`;
}

/** Help text of the `predict` command. */
export function predictHelp(): string {
  return `Usage: ${PROGRAM} predict [options]

Predicts a workload against the engine twin instead of running it: vLLM serving
--model-config on --tp × --gpu (default ${"meta-llama/Llama-3.1-8B-Instruct"} on one H100 SXM),
played in virtual time with no server and no GPU. Takes the workload a run takes (--isl,
--osl, --concurrency or --rate, --sweep, --search, --dataset, --trace, --turns, a scenario
file of workload tests) or an inference-perf config, and writes the same report set as a
run, marked predicted, into -o (default: results/<UTC timestamp>/). See docs/twin.md.

Options:
${optionsHelp(PREDICT_TABLE)}

Exit codes: 0 ok · 1 internal error · 2 usage or config error · 4 a --fail-if gate failed
`;
}

/** Help text of the `calibrate` command. */
export function calibrateHelp(): string {
  return `Usage: ${PROGRAM} calibrate RUN_DIR... [-o twin.json] [twin options]

Fits the engine twin to your own server from runs of this tool against it: every workload
test of the runs (synthetic prompts: --isl/--osl; a --sweep of concurrency or rate is
ideal) is predicted again with candidate coefficients until the twin's E2E, TTFT and TPOT
match what was measured. Give the twin options that describe your server (--model-config,
--gpu, --tp, vLLM's flags). Prints each test's error, writes the twin file that predict,
serve and run take with --twin-file. See docs/twin.md.

Options:
${optionsHelp(CALIBRATE_TABLE)}
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

Options:
${optionsHelp(MERGE_TABLE)}
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
${optionsHelp(SELFTEST_TABLE)}
`;
}
