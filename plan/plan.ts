/**
 * One plan per run: every option of a run, resolved and checked once, before any request is
 * sent (`cli/plan.ts` builds it from the command line). Everything after reads the plan;
 * nothing parses an option again. `run.json` records it as a versioned, snake_case object with
 * a closed schema (`schemas/run.schema.json`, `$defs/plan`); `--resume` compares the recorded
 * plan with the new one field by field and names what differs.
 *
 * @module
 */

import type { OutputSpec } from "../outputs/sinks.ts";
import type { Slo } from "../measure/slo.ts";
import type { Shard } from "../load/shard.ts";
import type { HttpClientKind } from "../net/client.ts";
import type { SearchSpec } from "../capacity/search.ts";
import type { WorkloadSpec } from "../workload/workload.ts";
import type { Scenario, ScenarioTest } from "./scenario.ts";
import { publicUrl } from "../util/redact.ts";
import type { TwinSettings } from "../twin/deployment.ts";
import type { InferencePerfConfig } from "../twin/inference_perf.ts";

/** Version of the plan's recorded form; bumped on an incompatible change. */
export const PLAN_VERSION = 1;

/** The embedded server's timing profiles. */
export const SERVER_PROFILES = ["twin", "engine", "constant"] as const;

/** An embedded server's timing profile. */
export type ServerProfile = typeof SERVER_PROFILES[number];

/** One `--fail-if` gate, checked against the catalogue when the plan was built. */
export interface GateSpec {
  /** The expression as given. */
  expr: string;
  /** Qualified metric name (`throughput.ttft_p99_ms`). */
  metric: string;
  /** Operator. */
  op: ">=" | "<=" | "==" | "!=" | ">" | "<";
  /** Threshold, in the metric's unit. */
  value: number;
}

/** Where the API key came from: `--api-key`, `--api-key-file`, `OPENAI_API_KEY`, or none. */
export type ApiKeySource = "flag" | "file" | "env" | null;

/** Everything a run does, resolved. */
export interface RunPlan {
  /** The target. */
  target: {
    /** Normalised base URL, or null for the embedded server. */
    url: string | null;
    /** HTTP implementation of every client (`--http-client`). */
    httpClient: HttpClientKind;
    /** Per-request timeout (ms). */
    timeoutMs: number;
    /** Largest non-streaming body read (bytes). */
    maxBodyBytes: number;
    /** Largest SSE line or event (bytes). */
    maxEventBytes: number;
    /** `--model`: every request goes to this model (null: the payloads'). */
    model: string | null;
    /** The key (never recorded) and where it came from. */
    apiKey: string | null;
    /** Where the key came from. */
    apiKeySource: ApiKeySource;
  };
  /** `--inference-perf FILE`: its config, run (or predicted) instead of the suites. */
  inferencePerf: { file: string; config: InferencePerfConfig } | null;
  /** The embedded server, when there is no `--url`: its profile, and the twin it serves. */
  embedded: { profile: ServerProfile; twin: TwinSettings | null } | null;
  /** The server's Prometheus metrics, sampled during tests. */
  serverMetrics: {
    /** False with `--no-server-metrics`. */
    enabled: boolean;
    /** `--metrics-url` (null: the target's `/metrics`). */
    url: string | null;
  };
  /** Which suites run, and how. */
  suites: {
    /** Suites to run, in run order. */
    names: string[];
    /** True when `--suite` named them. */
    explicit: boolean;
    /** Quick mode. */
    quick: boolean;
    /** The concurrent suite's ramp-up (`--ramp`). */
    ramp: boolean;
    /** The memory suite's options. */
    memory: {
      /** `--server-pid`. */
      serverPid: number | null;
      /** `--metrics-url`, as the memory source. */
      metricsUrl: string | null;
      /** `--leak-threshold-kb` (null: the mode's default). */
      leakThresholdKb: number | null;
    };
  };
  /** Tests of a scenario file or of the command line's workload, or null. */
  scenario: Scenario | null;
  /** How load is offered. */
  load: {
    /** Seed of prompts and of the embedded server. */
    seed: number;
    /** Uncounted warm-up requests per test. */
    warmup: number;
    /** Open loop: the queue-delay p99 bound (ms; null: the default). */
    maxQueueDelayMs: number | null;
    /** `--max-error-rate` as a share (0–1), or null. */
    maxErrorRate: number | null;
    /** `--max-consecutive-timeouts` (0: never). */
    maxConsecutiveTimeouts: number;
    /** `--shard`, or null. */
    shard: Shard | null;
    /** `--workers`. */
    workers: number;
    /** `--start-at` (epoch ms), or null. */
    startAtMs: number | null;
  };
  /** `--repeat`. */
  repeat: { count: number; pauseS: number; maxCvPct: number };
  /** `--slo`, parsed. */
  slos: Slo[];
  /** `--out` and `--tag`: where each completed test's metrics go. */
  outputs: { specs: OutputSpec[]; tags: Record<string, string> };
  /** `--dashboard PORT`: the live view's port (0: any), or null for none. */
  dashboardPort: number | null;
  /** `--fail-if`, checked. */
  gates: GateSpec[];
  /** Where reports go and how much is printed. */
  output: { dir: string; quiet: boolean };
  /** `--accept-failures`. */
  acceptFailures: boolean;
  /** `--resume DIR`, or null. */
  resume: string | null;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function workloadRecord(w: WorkloadSpec): Json {
  return {
    endpoint: w.endpoint,
    isl: w.isl as Json,
    osl: w.osl as Json,
    osl_enforce: w.oslEnforce,
    dataset: w.dataset,
    min_input: w.minInput,
    max_input: w.maxInput,
    shared_prefix: w.sharedPrefix,
    turns: w.turns,
    think_time_s: w.thinkTimeS,
    trace: w.trace,
    trace_speed: w.traceSpeed,
    max_requests: w.maxRequests,
    batch: w.batch,
    tokenizer: w.tokenizer,
    stream: w.stream,
  };
}

function sloRecord(s: Slo): Json {
  return { metric: s.metric, quantile: s.quantile, limit_s: s.limitS, text: s.text };
}

function searchRecord(s: SearchSpec): Json {
  return {
    kind: s.kind,
    start: s.start,
    target: s.target,
    max_probes: s.maxProbes,
    max_seconds: s.maxSeconds,
    precision: s.precision,
  };
}

function testRecord(t: ScenarioTest): Json {
  return {
    suite: t.suite,
    name: t.name,
    source: t.source,
    payload: t.payload as unknown as Json,
    load: t.load as unknown as Json,
    workload: t.workload ? workloadRecord(t.workload) : null,
    sweep: t.sweep ?? null,
    search: t.search ? searchRecord(t.search) : null,
    slos: t.slos ? t.slos.map(sloRecord) : null,
  };
}

/**
 * The plan as `run.json` records it: versioned, snake_case, no secret (the key is recorded as
 * set or not, URLs without credentials or query values).
 */
export function planRecord(p: RunPlan): Record<string, Json> {
  return {
    plan_version: PLAN_VERSION,
    target: {
      url: p.target.url,
      http_client: p.target.httpClient,
      timeout_ms: p.target.timeoutMs,
      max_body_bytes: p.target.maxBodyBytes,
      max_event_bytes: p.target.maxEventBytes,
      model: p.target.model,
      api_key_set: p.target.apiKey !== null,
      api_key_source: p.target.apiKeySource,
    },
    inference_perf: p.inferencePerf?.file ?? null,
    embedded: p.embedded && {
      profile: p.embedded.profile,
      twin: p.embedded.twin && {
        model: p.embedded.twin.model,
        gpu: p.embedded.twin.gpu,
        tp: p.embedded.twin.tp,
        max_num_seqs: p.embedded.twin.maxNumSeqs ?? null,
        max_num_batched_tokens: p.embedded.twin.maxBatchedTokens ?? null,
        max_model_len: p.embedded.twin.maxModelLen ?? null,
        gpu_memory_utilization: p.embedded.twin.gpuMemoryUtilization ?? null,
        twin_file: p.embedded.twin.twinFile ?? null,
      },
    },
    server_metrics: {
      enabled: p.serverMetrics.enabled,
      url: p.serverMetrics.url === null ? null : publicUrl(p.serverMetrics.url),
    },
    suites: {
      names: p.suites.names,
      explicit: p.suites.explicit,
      quick: p.suites.quick,
      ramp: p.suites.ramp,
      memory: {
        server_pid: p.suites.memory.serverPid,
        metrics_url: p.suites.memory.metricsUrl === null
          ? null
          : publicUrl(p.suites.memory.metricsUrl),
        leak_threshold_kb: p.suites.memory.leakThresholdKb,
      },
    },
    scenario: p.scenario
      ? {
        file: p.scenario.file,
        replace: p.scenario.replace,
        suites: p.scenario.suites,
        tests: p.scenario.tests.map(testRecord),
      }
      : null,
    load: {
      seed: p.load.seed,
      warmup: p.load.warmup,
      max_queue_delay_ms: p.load.maxQueueDelayMs,
      max_error_rate: p.load.maxErrorRate,
      max_consecutive_timeouts: p.load.maxConsecutiveTimeouts,
      shard: p.load.shard as Json,
      workers: p.load.workers,
      start_at_ms: p.load.startAtMs,
    },
    repeat: { count: p.repeat.count, pause_s: p.repeat.pauseS, max_cv_pct: p.repeat.maxCvPct },
    slos: p.slos.map(sloRecord),
    gates: p.gates as unknown as Json,
    output: { dir: p.output.dir, quiet: p.output.quiet },
    accept_failures: p.acceptFailures,
    resume: p.resume,
  };
}

/**
 * Fields of a recorded plan that may differ between a run and its `--resume`: they change no
 * measurement (where reports go, what is printed, when to start, how the key was given, the
 * gates and the exit code).
 */
export const RESUMABLE_FIELDS: readonly string[] = [
  "output",
  "resume",
  "load.start_at_ms",
  "target.api_key_source",
  "gates",
  "accept_failures",
];

/** One difference between two recorded plans: where, and the two values. */
export interface PlanDifference {
  /** Dotted path (`load.seed`, `scenario.tests[0].load.rate`). */
  path: string;
  /** The value in the first plan (undefined: absent). */
  was: unknown;
  /** The value in the second plan. */
  now: unknown;
}

/**
 * Every field where two recorded plans differ, leaves first found first; `ignore` lists
 * paths (and their subtrees) not compared.
 */
export function planDifferences(
  was: unknown,
  now: unknown,
  ignore: readonly string[] = RESUMABLE_FIELDS,
): PlanDifference[] {
  const out: PlanDifference[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (ignore.includes(path)) return;
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) {
        out.push({ path: `${path}.length`, was: a.length, now: b.length });
        return;
      }
      a.forEach((x, i) => walk(x, b[i], `${path}[${i}]`));
      return;
    }
    if (isObject(a) && isObject(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
        walk(a[k], b[k], path ? `${path}.${k}` : k);
      }
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, was: a, now: b });
  };
  walk(was, now, "");
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
