/**
 * Options of the embedded FakeAI-compatible server, their defaults, and the
 * `fakeai-bench serve` flag parser.
 *
 * @module
 */

import { UsageError } from "../util/errors.ts";
import { DEFAULT_ENGINE, type EngineConfig } from "../twin/engine.ts";
import { DEFAULT_TWIN, resolveDeployment, type TwinSettings } from "../twin/deployment.ts";
import type { Deployment } from "../twin/timing.ts";
import { engineOf } from "../twin/sim.ts";
import { type OptionSpec, parseOptions, stringOf } from "../util/options.ts";

/** HTTP status codes the error-injection fault may answer with. */
export type FaultStatus = 429 | 500 | 503;

/** Everything that configures one embedded server. */
export interface ServerOptions {
  /** Interface to bind; default "127.0.0.1". */
  host: string;
  /** TCP port; 0 picks any free port. Default 8000. */
  port: number;
  /** Seed of every pseudo-random choice (text, jitter, faults, tie-breaks). Default 42. */
  seed: number;
  /** Base time to first token in milliseconds. Default 20. */
  ttftMs: number;
  /** Base inter-token latency in milliseconds. Default 5. */
  itlMs: number;
  /** TTFT jitter, in percent of `ttftMs` either way. Default 10. */
  ttftVariancePct: number;
  /** ITL jitter, in percent of `itlMs` either way. Default 10. */
  itlVariancePct: number;
  /** Fixed extra delay before every chat response starts, in milliseconds. Default 0. */
  latencyMs: number;
  /** Start of the one-time pause window, in seconds after server start. Default 0. */
  pauseAtS: number;
  /** Length of the one-time pause window in milliseconds; 0 disables it. Default 0. */
  pauseMs: number;
  /** Prefill cost per uncached prompt token, in milliseconds. Default 0.05. */
  prefillMsPerToken: number;
  /** Whether the KV prefix cache is on. Default true. */
  kvCache: boolean;
  /** Tokens per KV cache block. Default 16. */
  kvBlockSize: number;
  /** Capacity of each worker's KV cache in blocks (LRU beyond it). Default 8192. */
  kvCapacityBlocks: number;
  /** Seconds a cached block may go unused before it expires (0: never). Default 0. */
  cacheTtlS: number;
  /** Prompts shorter than this many tokens are not cached. Default 0. */
  minTokensForCache: number;
  /** Simulated workers (engine replicas) behind the router; 0: the profile's (twin 1, else 4). */
  workers: number;
  /** Router weight of uncached blocks. Default 1.0. */
  overlapWeight: number;
  /** Router weight of active requests. Default 0.5. */
  loadWeight: number;
  /** Accepted API keys for `/v1/*`; empty means no authentication. */
  apiKeys: string[];
  /** Share of chat requests answered with `errorStatus`. Default 0. */
  errorRate: number;
  /** Status of injected errors: 429, 500 or 503. Default 500. */
  errorStatus: FaultStatus;
  /** Share of chat responses cut off midway. Default 0. */
  disconnectRate: number;
  /** Share of chat responses with one extra pause of `stallMs` midway. Default 0. */
  stallRate: number;
  /** Length of an injected stall in milliseconds. Default 1000. */
  stallMs: number;
  /** Share of chat responses carrying one chunk (or body) that is not valid JSON. Default 0. */
  malformedRate: number;
  /** Share of chat requests with tools (`tool_choice` auto) answered with a tool call. Default 0.5. */
  toolCallRate: number;
  /** Bytes deliberately retained per completed chat request. Default 0. */
  leakBytesPerRequest: number;
  /** Exit when the parent process changes from this PID (it died). 0: never. Default 0. */
  parentPid: number;
  /** Largest accepted `max_tokens`. Default 16384. */
  maxTokensLimit: number;
  /** Largest accepted request body in bytes (images come as data URLs). Default 32 MiB. */
  maxBodyBytes: number;
  /** Add `x_sent_ms` (server send time, epoch milliseconds) to every SSE chunk. Default false. */
  stampChunks: boolean;
  /**
   * Timing model: `twin` (vLLM serving a model on a GPU: `twin/`; the default of `serve` and of
   * a run's embedded server alike), `engine` (the same scheduler on three round constants) or
   * `constant` (FakeAI's: the same TTFT and ITL at any load; chosen by itself when one of
   * FakeAI's timing settings is given and no profile is).
   */
  profile: ServerProfile;
  /** Why the profile is not the default one (said when the server starts), or null. */
  profileNote: string | null;
  /** Twin: a built-in model name or a `config.json` path. */
  model: string;
  /** Twin: the GPU (`h100-sxm`…). */
  gpu: string;
  /** Twin: tensor-parallel GPUs per replica. */
  tp: number;
  /** Twin: vLLM's `--max-model-len`; 0: the model's positions. */
  maxModelLen: number;
  /** Twin: vLLM's `--gpu-memory-utilization`. */
  gpuMemoryUtilization: number;
  /** Twin: coefficients written by `calibrate` ("" for the shipped ones). */
  twinFile: string;
  /** Engine and twin: most sequences running at once per replica; 0: the profile's (64, 256). */
  maxNumSeqs: number;
  /** Engine and twin: token budget of one step; 0: the profile's (2048, 8192). */
  maxBatchedTokens: number;
  /** Engine: fixed cost of a step (ms). Default 4. */
  stepBaseMs: number;
  /** Engine: cost per sequence in a step (ms). Default 0.1. */
  stepPerSeqMs: number;
  /** Engine: cost per prefill token in a step (ms). Default 0.01. */
  stepPerPrefillTokenMs: number;
  /** Engine and twin: KV blocks of each replica; 0: the profile's (8192; the memory budget). */
  numGpuBlocks: number;
  /** Print the engine's predicted saturation throughput and exit. Default false. */
  explain: boolean;
}

/** The timing models of the embedded server. */
export const SERVER_PROFILES = ["twin", "engine", "constant"] as const;

/** A timing model of the embedded server. */
export type ServerProfile = typeof SERVER_PROFILES[number];

/** The defaults of every server option. */
export const DEFAULT_SERVER_OPTIONS: ServerOptions = Object.freeze({
  host: "127.0.0.1",
  port: 8000,
  seed: 42,
  ttftMs: 20,
  itlMs: 5,
  ttftVariancePct: 10,
  itlVariancePct: 10,
  latencyMs: 0,
  pauseAtS: 0,
  pauseMs: 0,
  prefillMsPerToken: 0.05,
  kvCache: true,
  kvBlockSize: 16,
  kvCapacityBlocks: 8192,
  cacheTtlS: 0,
  minTokensForCache: 0,
  workers: 0,
  overlapWeight: 1.0,
  loadWeight: 0.5,
  apiKeys: Object.freeze([]) as unknown as string[],
  errorRate: 0,
  errorStatus: 500,
  disconnectRate: 0,
  stallRate: 0,
  stallMs: 1000,
  malformedRate: 0,
  toolCallRate: 0.5,
  leakBytesPerRequest: 0,
  parentPid: 0,
  maxTokensLimit: 16384,
  maxBodyBytes: 32 * 1024 * 1024,
  stampChunks: false,
  profile: "twin",
  profileNote: null,
  model: DEFAULT_TWIN.model,
  gpu: DEFAULT_TWIN.gpu,
  tp: DEFAULT_TWIN.tp,
  maxModelLen: 0,
  gpuMemoryUtilization: 0.9,
  twinFile: "",
  maxNumSeqs: 0,
  maxBatchedTokens: 0,
  stepBaseMs: DEFAULT_ENGINE.stepBaseMs,
  stepPerSeqMs: DEFAULT_ENGINE.stepPerSeqMs,
  stepPerPrefillTokenMs: DEFAULT_ENGINE.stepPerPrefillTokenMs,
  numGpuBlocks: 0,
  explain: false,
}) as ServerOptions;

/** Engine replicas behind the router: `--workers`, else 1 for the twin and 4 otherwise. */
export function replicasOf(o: ServerOptions): number {
  return o.workers || (o.profile === "twin" ? 1 : 4);
}

/** The twin settings of a server's options (vLLM's defaults where they give none). */
export function twinSettingsOf(o: ServerOptions): TwinSettings {
  return {
    model: o.model,
    gpu: o.gpu,
    tp: o.tp,
    maxNumSeqs: o.maxNumSeqs || undefined,
    maxBatchedTokens: o.maxBatchedTokens || undefined,
    maxModelLen: o.maxModelLen || undefined,
    gpuMemoryUtilization: o.gpuMemoryUtilization,
    numGpuBlocks: o.numGpuBlocks || undefined,
    prefixCaching: o.kvCache,
    blockSize: o.kvBlockSize,
    twinFile: o.twinFile || null,
  };
}

const deployments = new Map<string, Deployment>();

/**
 * The twin's deployment of a server's options, resolved once per distinct settings. Throws
 * `UsageError` for a model, GPU or flag vLLM would refuse.
 */
export function deploymentOf(o: ServerOptions): Deployment {
  const settings = twinSettingsOf(o);
  const key = JSON.stringify(settings);
  let d = deployments.get(key);
  if (!d) {
    d = resolveDeployment(settings);
    deployments.set(key, d);
  }
  return d;
}

/** The engine parameters of a server's options: the twin's, or the engine profile's constants. */
export function engineConfig(o: ServerOptions): EngineConfig {
  if (o.profile === "twin") return engineOf(deploymentOf(o));
  return {
    maxNumSeqs: o.maxNumSeqs || DEFAULT_ENGINE.maxNumSeqs,
    maxBatchedTokens: o.maxBatchedTokens || DEFAULT_ENGINE.maxBatchedTokens,
    stepBaseMs: o.stepBaseMs,
    stepPerSeqMs: o.stepPerSeqMs,
    stepPerPrefillTokenMs: o.stepPerPrefillTokenMs,
    blockSize: o.kvBlockSize,
    numBlocks: o.numGpuBlocks || DEFAULT_ENGINE.numBlocks,
  };
}

type NumKey = {
  [K in keyof ServerOptions]: ServerOptions[K] extends number ? K : never;
}[keyof ServerOptions];

type Kind = "int" | "num" | "rate" | "pct";

interface NumFlag {
  flag: string;
  key: NumKey;
  kind: Kind;
  min: number;
  max: number;
  help: string;
  /** The default as the help shows it (else the number). */
  shown?: string;
}

const NUM_FLAGS: readonly NumFlag[] = [
  {
    flag: "port",
    key: "port",
    kind: "int",
    min: 0,
    max: 65535,
    help: "TCP port, 0 = any free port",
  },
  {
    flag: "seed",
    key: "seed",
    kind: "int",
    min: 0,
    max: 2 ** 32 - 1,
    help: "seed of text, jitter, faults and tie-breaks",
  },
  {
    flag: "ttft-ms",
    key: "ttftMs",
    kind: "num",
    min: 0,
    max: 600_000,
    help: "base time to first token (ms)",
  },
  {
    flag: "itl-ms",
    key: "itlMs",
    kind: "num",
    min: 0,
    max: 600_000,
    help: "base inter-token latency (ms)",
  },
  {
    flag: "ttft-variance",
    key: "ttftVariancePct",
    kind: "pct",
    min: 0,
    max: 100,
    help: "TTFT jitter, percent either way",
  },
  {
    flag: "itl-variance",
    key: "itlVariancePct",
    kind: "pct",
    min: 0,
    max: 100,
    help: "ITL jitter, percent either way",
  },
  {
    flag: "latency-ms",
    key: "latencyMs",
    kind: "num",
    min: 0,
    max: 600_000,
    help: "fixed delay before every chat response starts (ms)",
  },
  {
    flag: "pause-at-s",
    key: "pauseAtS",
    kind: "num",
    min: 0,
    max: 86_400,
    help: "start of a one-time pause, seconds after start",
  },
  {
    flag: "pause-ms",
    key: "pauseMs",
    kind: "num",
    min: 0,
    max: 3_600_000,
    help: "length of the one-time pause (ms), 0 = none",
  },
  {
    flag: "prefill-ms-per-token",
    key: "prefillMsPerToken",
    kind: "num",
    min: 0,
    max: 1000,
    help: "TTFT cost per uncached prompt token (ms)",
  },
  {
    flag: "kv-block-size",
    key: "kvBlockSize",
    kind: "int",
    min: 1,
    max: 4096,
    help: "tokens per KV cache block",
  },
  {
    flag: "kv-capacity-blocks",
    key: "kvCapacityBlocks",
    kind: "int",
    min: 1,
    max: 16_777_216,
    help: "KV cache capacity of each worker in blocks (LRU)",
  },
  {
    flag: "cache-ttl-s",
    key: "cacheTtlS",
    kind: "num",
    min: 0,
    max: 31_536_000,
    help: "seconds a cached block may go unused before it expires (0: never)",
  },
  {
    flag: "min-tokens-for-cache",
    key: "minTokensForCache",
    kind: "int",
    min: 0,
    max: 16_777_216,
    help: "prompts with fewer tokens are neither looked up nor cached",
  },
  {
    flag: "workers",
    key: "workers",
    kind: "int",
    min: 1,
    max: 256,
    help: "simulated workers (engine replicas) behind the router",
    shown: "twin 1, else 4",
  },
  {
    flag: "overlap-weight",
    key: "overlapWeight",
    kind: "num",
    min: 0,
    max: 1e6,
    help: "router weight of uncached blocks",
  },
  {
    flag: "load-weight",
    key: "loadWeight",
    kind: "num",
    min: 0,
    max: 1e6,
    help: "router weight of active requests",
  },
  {
    flag: "error-rate",
    key: "errorRate",
    kind: "rate",
    min: 0,
    max: 1,
    help: "share of chat requests answered with an error",
  },
  {
    flag: "error-status",
    key: "errorStatus",
    kind: "int",
    min: 0,
    max: 999,
    help: "status of injected errors: 429, 500 or 503",
  },
  {
    flag: "disconnect-rate",
    key: "disconnectRate",
    kind: "rate",
    min: 0,
    max: 1,
    help: "share of chat responses cut off midway",
  },
  {
    flag: "stall-rate",
    key: "stallRate",
    kind: "rate",
    min: 0,
    max: 1,
    help: "share of chat responses stalled once midway",
  },
  {
    flag: "stall-ms",
    key: "stallMs",
    kind: "num",
    min: 0,
    max: 600_000,
    help: "length of an injected stall (ms)",
  },
  {
    flag: "malformed-rate",
    key: "malformedRate",
    kind: "rate",
    min: 0,
    max: 1,
    help: "share of chat responses with one chunk that is not JSON",
  },
  {
    flag: "tool-call-rate",
    key: "toolCallRate",
    kind: "rate",
    min: 0,
    max: 1,
    help: "share of chat requests offering tools (tool_choice auto) answered with\n" +
      "a tool call; required or a named function always get one",
  },
  {
    flag: "leak-bytes-per-request",
    key: "leakBytesPerRequest",
    kind: "int",
    min: 0,
    max: 64 * 1024 * 1024,
    help: "bytes kept on purpose per completed chat request",
  },
  {
    flag: "parent-pid",
    key: "parentPid",
    kind: "int",
    min: 0,
    max: 2 ** 31 - 1,
    help: "exit once process PID is no longer this server's parent (0: never);\n" +
      "the embedded server is started with its runner's PID",
  },
  {
    flag: "max-tokens-limit",
    key: "maxTokensLimit",
    kind: "int",
    min: 1,
    max: 1_048_576,
    help: "largest accepted max_tokens",
  },
  {
    flag: "max-body-bytes",
    key: "maxBodyBytes",
    kind: "int",
    min: 1,
    max: 1024 * 1024 * 1024,
    help: "largest accepted request body (bytes)",
  },
  {
    flag: "tp",
    key: "tp",
    kind: "int",
    min: 1,
    max: 64,
    help: "twin: tensor-parallel GPUs per replica",
  },
  {
    flag: "max-model-len",
    key: "maxModelLen",
    kind: "int",
    min: 1,
    max: 16_777_216,
    help: "twin: longest prompt + output vLLM accepts (longer: 400)",
    shown: "the model's",
  },
  {
    flag: "gpu-memory-utilization",
    key: "gpuMemoryUtilization",
    kind: "num",
    min: 0.01,
    max: 1,
    help: "twin: share of GPU memory vLLM may use (weights, activations, KV cache)",
  },
  {
    flag: "max-num-seqs",
    key: "maxNumSeqs",
    kind: "int",
    min: 1,
    max: 65_536,
    help: "engine and twin: most sequences running at once per replica",
    shown: "twin 256, engine 64",
  },
  {
    flag: "max-num-batched-tokens",
    key: "maxBatchedTokens",
    kind: "int",
    min: 1,
    max: 16_777_216,
    help: "engine and twin: token budget of one step (decodes + prefill chunks)",
    shown: "twin 8192, engine 2048",
  },
  {
    flag: "step-base-ms",
    key: "stepBaseMs",
    kind: "num",
    min: 0,
    max: 60_000,
    help: "engine: fixed time of one step (ms)",
  },
  {
    flag: "step-per-seq-ms",
    key: "stepPerSeqMs",
    kind: "num",
    min: 0,
    max: 60_000,
    help: "engine: step time per sequence in the batch (ms)",
  },
  {
    flag: "step-per-prefill-token-ms",
    key: "stepPerPrefillTokenMs",
    kind: "num",
    min: 0,
    max: 60_000,
    help: "engine: step time per prefill token (ms)",
  },
  {
    flag: "num-gpu-blocks",
    key: "numGpuBlocks",
    kind: "int",
    min: 1,
    max: 16_777_216,
    help: "engine and twin: KV blocks per replica (preemption when full)",
    shown: "twin: memory budget; engine 8192",
  },
];

const KIND_TEXT: Record<Kind, string> = {
  int: "an integer",
  num: "a number",
  rate: "a rate",
  pct: "a percentage",
};

function parseNumber(spec: NumFlag, raw: string): number {
  const name = `--${spec.flag}`;
  const text = raw.trim();
  const value = text === "" ? NaN : Number(text);
  if (!Number.isFinite(value)) {
    throw new UsageError(`${name}: expected ${KIND_TEXT[spec.kind]}, got "${raw}"`);
  }
  if (spec.kind === "int" && !Number.isInteger(value)) {
    throw new UsageError(`${name}: expected an integer, got "${raw}"`);
  }
  if (value < 0 && spec.min >= 0) {
    throw new UsageError(`${name}: must not be negative, got ${raw}`);
  }
  if (value < spec.min || value > spec.max) {
    const range = spec.kind === "rate" ? "[0, 1]" : `[${spec.min}, ${spec.max}]`;
    throw new UsageError(`${name}: must be in ${range}, got ${raw}`);
  }
  return value;
}

function describeParseError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const msg = String(e?.message ?? err);
  const flag = /'(-{1,2}[^' ]+)/.exec(msg)?.[1];
  switch (e?.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `serve: unknown flag ${flag ?? msg}; see "fakeai-bench serve --help"`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return flag && /argument missing/.test(msg)
        ? `${flag}: needs a value`
        : `${flag ?? "serve"}: ${msg.split("\n")[0]}`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `serve: unexpected argument ${/'([^']*)'/.exec(msg)?.[1] ?? msg}`;
    default:
      return `serve: ${msg.split("\n")[0]}`;
  }
}

/** An option of `serve`: its spec (absent = `undefined`), and its default for the help. */
export interface ServeOption<K extends keyof ServerOptions>
  extends OptionSpec<ServerOptions[K] | undefined> {
  /** The option it sets. */
  key: K;
  /** The default as the help shows it. */
  shown: string;
}

function numOption(spec: NumFlag): ServeOption<NumKey> {
  return {
    key: spec.key,
    name: spec.flag,
    arg: "N",
    help: spec.help,
    shown: spec.shown ?? String(DEFAULT_SERVER_OPTIONS[spec.key]),
    read: (raw) => {
      const s = stringOf(raw);
      return s === undefined ? undefined : parseNumber(spec, s);
    },
  };
}

/** A text option of `serve` (non-empty, no surrounding space). */
function textOption<K extends "model" | "gpu" | "twinFile">(
  key: K,
  name: string,
  arg: string,
  help: string,
  shown = String(DEFAULT_SERVER_OPTIONS[key]),
): ServeOption<K> {
  return {
    key,
    name,
    arg,
    help,
    shown,
    read: (raw) => {
      const s = stringOf(raw);
      if (s === undefined) return undefined;
      if (s.trim() === "") throw new UsageError(`--${name}: must not be empty`);
      return s.trim();
    },
  };
}

/** Every option of `serve`, in the order the help lists them. */
// deno-lint-ignore no-explicit-any
export const SERVE_TABLE: readonly ServeOption<any>[] = [
  {
    key: "host",
    name: "host",
    arg: "HOST",
    help: "interface to bind",
    shown: DEFAULT_SERVER_OPTIONS.host,
    read: (raw) => {
      const s = stringOf(raw);
      if (s === undefined) return undefined;
      const host = s.trim();
      if (host === "" || /\s/.test(host)) {
        throw new UsageError(`--host: expected a host name or address, got "${s}"`);
      }
      return host;
    },
  } satisfies ServeOption<"host">,
  ...NUM_FLAGS.map(numOption),
  {
    key: "kvCache",
    name: "no-kv-cache",
    help: "switch the KV prefix cache off (cached_tokens always 0)",
    shown: "cache on",
    read: (raw) => (raw === true ? false : undefined),
  } satisfies ServeOption<"kvCache">,
  {
    key: "apiKeys",
    name: "api-key",
    arg: "KEY",
    multiple: true,
    help: "require Bearer KEY on /v1/* and POST /kv-cache/reset (repeatable;\n" +
      "none = no auth)",
    shown: "none",
    read: (raw) => {
      if (raw === undefined) return undefined; // absent: the profile file's or the default
      const keys = Array.isArray(raw) ? raw.filter((k): k is string => typeof k === "string") : [];
      for (const key of keys) {
        if (key.trim() === "" || /\s/.test(key)) {
          throw new UsageError("--api-key: must be non-empty and without spaces");
        }
      }
      return keys;
    },
  } satisfies ServeOption<"apiKeys">,
  textOption("model", "model-config", "NAME|FILE", "twin: a built-in model or a config.json"),
  textOption("gpu", "gpu", "NAME", "twin: h100-sxm, h200, a100-80gb, l40s or b200"),
  textOption("twinFile", "twin-file", "FILE", "twin: coefficients written by calibrate", "shipped"),
  {
    key: "profile",
    name: "profile",
    arg: "NAME",
    help: "timing model: twin (vLLM on a GPU), engine (batching on round constants) or " +
      "constant (FakeAI)",
    shown: DEFAULT_SERVER_OPTIONS.profile,
    read: (raw) => {
      const s = stringOf(raw);
      if (s === undefined) return undefined;
      const p = SERVER_PROFILES.find((x) => x === s.trim().toLowerCase());
      if (!p) {
        throw new UsageError(
          `--profile: must be ${SERVER_PROFILES.slice(0, -1).join(", ")} or ` +
            `${SERVER_PROFILES.at(-1)}, got "${s}"`,
        );
      }
      return p;
    },
  } satisfies ServeOption<"profile">,
  {
    key: "explain",
    name: "explain",
    help: "print the engine's predicted saturation throughput per replica, then exit",
    shown: "off",
    read: (raw) => (raw === true ? true : undefined),
  } satisfies ServeOption<"explain">,
  {
    key: "stampChunks",
    name: "stamp-chunks",
    help: "add x_sent_ms (server send time, epoch ms) to every SSE chunk",
    shown: "off",
    read: (raw) => (raw === true ? true : undefined),
  } satisfies ServeOption<"stampChunks">,
];

/** `--profile-file FILE` taken out of `argv` (the rest is parsed as flags, which win). */
function takeProfileFile(argv: readonly string[]): { file: string | null; rest: string[] } {
  const rest: string[] = [];
  let file: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--profile-file") {
      if (i + 1 >= argv.length) throw new UsageError("--profile-file: needs a value");
      file = argv[++i];
    } else if (a.startsWith("--profile-file=")) file = a.slice("--profile-file=".length);
    else rest.push(a);
  }
  return { file, rest };
}

/**
 * A profile file as flags: a JSON object whose keys are `serve` flag names without the dashes
 * (`{"profile": "engine", "max-num-seqs": 128, "no-kv-cache": true}`).
 */
function profileFileArgs(file: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(Deno.readTextFileSync(file));
  } catch (err) {
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new UsageError(`--profile-file: cannot read ${file}: ${why}`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    throw new UsageError(`--profile-file: ${file} must hold a JSON object of flag: value`);
  }
  const args: string[] = [];
  for (const [k, v] of Object.entries(doc)) {
    if (k === "profile-file") throw new UsageError(`--profile-file: ${file} names another file`);
    if (v === true) args.push(`--${k}`);
    else if (v === false || v === null) continue;
    else if (Array.isArray(v)) { for (const x of v) args.push(`--${k}=${String(x)}`); }
    else args.push(`--${k}=${String(v)}`);
  }
  return args;
}

/**
 * Parse `fakeai-bench serve` arguments into options.
 *
 * @param argv the arguments after `serve`.
 * @returns complete options, defaults filled in.
 * @throws {UsageError} one line naming the flag and the problem.
 */
export function parseServeArgs(
  argv: string[],
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): ServerOptions {
  const table = Object.fromEntries(SERVE_TABLE.map((o) => [o.key, o]));
  const parse = (args: string[]) => {
    const { values } = parseOptions(table, args, {
      describe: (err) => new UsageError(describeParseError(err)),
    });
    return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
  };
  // The environment first (FakeAI's settings), then a profile file, then flags: each wins
  // over the one before. A bad value names its variable.
  const fromEnv: Record<string, unknown> = {};
  for (const { name, value, args } of envArgs(env)) {
    try {
      const parsed = parse(args);
      if (Array.isArray(parsed.apiKeys)) {
        fromEnv.apiKeys = [...(fromEnv.apiKeys as string[] ?? []), ...parsed.apiKeys];
        delete parsed.apiKeys;
      }
      Object.assign(fromEnv, parsed);
    } catch (err) {
      const why = err instanceof Error ? err.message.replace(/^--[\w-]+:?\s*/, "") : String(err);
      throw new UsageError(`${name}=${JSON.stringify(value)}: ${why}`);
    }
  }
  // FakeAI checks keys only when FAKEAI_AUTH__REQUIRE_API_KEY is true.
  const require = env("FAKEAI_AUTH__REQUIRE_API_KEY");
  if (require !== undefined && !envBool(require)) delete fromEnv.apiKeys;
  const rateLimits = env("FAKEAI_RATE_LIMITS__ENABLED");
  if (rateLimits !== undefined && envBool(rateLimits)) {
    throw new UsageError(
      "FAKEAI_RATE_LIMITS__ENABLED=true: the embedded server does not simulate FakeAI's rate " +
        "limits; inject 429s with --error-rate and --error-status 429 instead",
    );
  }
  const { file, rest } = takeProfileFile(argv);
  const fromFile = file === null ? {} : parse(profileFileArgs(file));
  const fromFlags = parse(rest);
  const opts: ServerOptions = {
    ...DEFAULT_SERVER_OPTIONS,
    apiKeys: [],
    ...fromEnv,
    ...fromFile,
    ...fromFlags,
  };
  // FakeAI's timing settings mean FakeAI's timing: without a profile, they choose it.
  const given = { ...fromEnv, ...fromFile, ...fromFlags };
  if (given.profile === undefined) {
    const timing = CONSTANT_TIMING.filter(([k]) => k in given).map(([, flag]) => flag);
    if (timing.length > 0) {
      opts.profile = "constant";
      opts.profileNote = `profile constant (FakeAI's timing): ${timing.join(", ")} given ` +
        "without --profile";
    }
  }
  if (![429, 500, 503].includes(opts.errorStatus)) {
    throw new UsageError(`--error-status: must be 429, 500 or 503, got ${opts.errorStatus}`);
  }
  // A twin vLLM would refuse to start (weights too large, context too long) is refused here.
  if (opts.profile === "twin") deploymentOf(opts);
  return opts;
}

/** Options only the constant profile reads, with their flags. */
const CONSTANT_TIMING: readonly (readonly [keyof ServerOptions, string])[] = [
  ["ttftMs", "--ttft-ms"],
  ["itlMs", "--itl-ms"],
  ["ttftVariancePct", "--ttft-variance"],
  ["itlVariancePct", "--itl-variance"],
  ["latencyMs", "--latency-ms"],
  ["prefillMsPerToken", "--prefill-ms-per-token"],
];

/** One FakeAI environment setting: its names, and the flags a value stands for. */
interface EnvSetting {
  /** Variable names (the nested name FakeAI reads first, then the guide's flat one). */
  names: readonly string[];
  /** The flags a value stands for (a boolean "false" may stand for none). */
  flags(value: string): string[];
  /** What it means, for `serve --help`. */
  help: string;
}

function envBool(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off", ""].includes(v)) return false;
  throw new UsageError(`expected true or false, got ${JSON.stringify(value)}`);
}

function envList(value: string): string[] {
  const v = value.trim();
  if (v.startsWith("[")) {
    const parsed = JSON.parse(v);
    if (!Array.isArray(parsed) || parsed.some((x) => typeof x !== "string")) {
      throw new UsageError("expected a JSON list of strings");
    }
    return parsed;
  }
  return v.split(",").map((x) => x.trim()).filter(Boolean);
}

const num = (flag: string) => (value: string) => [`--${flag}`, value];

/**
 * FakeAI's environment settings the embedded server honours: the nested names FakeAI reads
 * (`FAKEAI_GENERATION__TTFT_MS`…) and the flat names its guide documents
 * (`FAKEAI_RESPONSE_DELAY`…), which FakeAI itself ignores, with the guide's meaning.
 */
export const ENV_SETTINGS: readonly EnvSetting[] = [
  { names: ["FAKEAI_GENERATION__TTFT_MS"], flags: num("ttft-ms"), help: "--ttft-ms" },
  { names: ["FAKEAI_GENERATION__ITL_MS"], flags: num("itl-ms"), help: "--itl-ms" },
  {
    names: ["FAKEAI_GENERATION__TTFT_VARIANCE_PERCENT"],
    flags: num("ttft-variance"),
    help: "--ttft-variance",
  },
  {
    names: ["FAKEAI_GENERATION__ITL_VARIANCE_PERCENT"],
    flags: num("itl-variance"),
    help: "--itl-variance",
  },
  {
    names: ["FAKEAI_FEATURES__ENABLE_PROMPT_CACHING", "FAKEAI_ENABLE_PROMPT_CACHING"],
    flags: (v) => (envBool(v) ? [] : ["--no-kv-cache"]),
    help: "false = --no-kv-cache",
  },
  {
    names: ["FAKEAI_FEATURES__CACHE_TTL_SECONDS", "FAKEAI_CACHE_TTL_SECONDS"],
    flags: num("cache-ttl-s"),
    help: "--cache-ttl-s",
  },
  {
    names: ["FAKEAI_FEATURES__MIN_TOKENS_FOR_CACHE"],
    flags: num("min-tokens-for-cache"),
    help: "--min-tokens-for-cache",
  },
  {
    names: ["FAKEAI_AUTH__API_KEYS"],
    flags: (v) => envList(v).flatMap((k) => ["--api-key", k]),
    help: "--api-key per key (JSON list or comma-separated)",
  },
  {
    names: ["FAKEAI_AUTH__REQUIRE_API_KEY"],
    flags: (v) => {
      envBool(v);
      return [];
    },
    help: "false: the keys of FAKEAI_AUTH__API_KEYS are not checked",
  },
  {
    names: ["FAKEAI_KV_CACHE__ENABLED"],
    flags: (v) => (envBool(v) ? [] : ["--no-kv-cache"]),
    help: "false = --no-kv-cache",
  },
  { names: ["FAKEAI_KV_CACHE__BLOCK_SIZE"], flags: num("kv-block-size"), help: "--kv-block-size" },
  { names: ["FAKEAI_KV_CACHE__NUM_WORKERS"], flags: num("workers"), help: "--workers" },
  {
    names: ["FAKEAI_KV_CACHE__OVERLAP_WEIGHT"],
    flags: num("overlap-weight"),
    help: "--overlap-weight",
  },
  {
    names: ["FAKEAI_KV_CACHE__LOAD_BALANCE_WEIGHT"],
    flags: num("load-weight"),
    help: "--load-weight",
  },
  {
    names: ["FAKEAI_RESPONSE_DELAY"],
    flags: (v) => {
      const s = Number(v);
      if (v.trim() === "" || !Number.isFinite(s) || s < 0) {
        throw new UsageError(`expected seconds, 0 or more, got ${JSON.stringify(v)}`);
      }
      return ["--latency-ms", String(s * 1000)];
    },
    help: "seconds before every response starts (the guide's flat name) = --latency-ms × 1000",
  },
  {
    names: ["FAKEAI_RANDOM_DELAY"],
    flags: (v) => (envBool(v) ? [] : ["--ttft-variance", "0", "--itl-variance", "0"]),
    help: "false = no random variation of TTFT and ITL (the guide's flat name)",
  },
];

/** The flags the environment's FakeAI settings stand for, one entry per variable set. */
export function envArgs(
  env: (name: string) => string | undefined,
): { name: string; value: string; args: string[] }[] {
  const out: { name: string; value: string; args: string[] }[] = [];
  for (const setting of ENV_SETTINGS) {
    for (const name of setting.names) {
      const value = env(name);
      if (value === undefined) continue;
      let args: string[];
      try {
        args = setting.flags(value);
      } catch (err) {
        throw new UsageError(`${name}=${JSON.stringify(value)}: ${(err as Error).message}`);
      }
      out.push({ name, value, args });
      break; // the nested name wins over the flat one
    }
  }
  return out;
}

/**
 * Help text for `fakeai-bench serve`: every flag, its default and its meaning.
 *
 * @returns the multi-line help text.
 */
export function serveHelp(): string {
  const rows = SERVE_TABLE.map((o) => [
    `--${o.name}${o.arg ? ` ${o.arg}` : ""}`,
    o.shown,
    o.help,
  ]);
  rows.push([
    "--profile-file FILE",
    "none",
    "JSON object of flag: value (without dashes) applied first; flags win",
  ]);
  const w = Math.max(...rows.map((r) => r[0].length));
  const dw = Math.max(...rows.map((r) => r[1].length));
  const lines = [
    "Usage: fakeai-bench serve [flags]",
    "",
    "Runs the embedded FakeAI-compatible server in the foreground until SIGINT or SIGTERM.",
    'Prints "Listening on http://HOST:PORT/" first. Routes: GET /health, GET /v1/models,',
    "POST /v1/chat/completions, GET /kv-cache/metrics, POST /kv-cache/reset, GET /metrics.",
    "",
    `  ${"flag".padEnd(w)}  ${"default".padEnd(dw)}  meaning`,
    ...rows.map(([f, def, help]) => `  ${f.padEnd(w)}  ${def.padEnd(dw)}  ${help}`),
    "",
    "Profiles: twin (the default, as in the embedded server of a run) behaves like vLLM serving",
    "--model-config on --tp × --gpu: its scheduler, its KV cache and prefix caching, and each",
    "step's time from the model's and the GPU's numbers (see docs/twin.md); engine is the same",
    "scheduler on three round constants (--step-base-ms…); constant is FakeAI's timing, the same",
    "TTFT and ITL at any load. Giving one of FakeAI's timing settings (--ttft-ms, --itl-ms,",
    "--ttft-variance, --itl-variance, --latency-ms, --prefill-ms-per-token, or their FAKEAI_*",
    "variables) without --profile selects constant, and the server says so when it starts.",
    "",
    "Faults (--error-rate, --disconnect-rate, --stall-rate, --malformed-rate) are drawn from the",
    "seed in the order requests arrive. One request at a time, a run's faults repeat exactly for",
    "the same seed; under concurrency the order of arrival varies, so the rates hold but which",
    "request draws which fault does not repeat.",
    "",
    "FakeAI's environment settings are honoured (flags and --profile-file win over them):",
    ...ENV_SETTINGS.map((e) => `  ${e.names.join(", ")}: ${e.help}`),
  ];
  return lines.join("\n");
}
