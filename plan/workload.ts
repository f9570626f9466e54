/**
 * The command line's workload test: `--isl`, `--osl`, `--dataset`, `--turns`, `--trace`,
 * `--endpoint` and their load (`--concurrency`/`--requests` or `--rate`) make one test, run
 * as a one-test scenario in place of the built-in tests of the registry's workload home.
 *
 * @module
 */

import { UsageError } from "../util/errors.ts";
import { type Endpoint, ENDPOINTS } from "../net/client.ts";
import { parseSweep } from "../capacity/sweep.ts";
import { parseSearchKind } from "../capacity/search.ts";
import { choice, custom, flag, number, type OptionValues, text } from "../util/options.ts";
import {
  DEFAULT_SCENARIO_PAYLOAD,
  type Scenario,
  type ScenarioLoad,
  type ScenarioTest,
} from "./scenario.ts";
import { describeLength, parseLength } from "../workload/lengths.ts";
import {
  checkWorkload,
  defaultWorkload,
  IMAGE_FORMATS,
  IMAGE_TRANSPORTS,
  OSL_ENFORCEMENT,
  parseImageSizes,
  TOOL_CHOICES,
  type WorkloadSpec,
} from "../workload/workload.ts";
import { probeRequests } from "../capacity/search.ts";

/** Concurrency of a command-line workload test without `--concurrency`. */
export const DEFAULT_WORKLOAD_CONCURRENCY = 8;

/** Requests of a command-line workload test without `--requests` (quick mode: 40). */
export const DEFAULT_WORKLOAD_REQUESTS = 100;

/** Check `--endpoint`. */
function parseEndpoint(raw: string): Endpoint {
  const k = raw.trim().toLowerCase().replace(/^\/?v1\//, "").replace("chat/completions", "chat");
  const hit = ENDPOINTS.find((e) => e === k);
  if (!hit) throw new UsageError(`--endpoint must be one of ${ENDPOINTS.join(", ")}, got '${raw}'`);
  return hit;
}

/**
 * The `run` command's options that shape a workload test: one part of its option table
 * (`cli/args.ts` places them in its help).
 */
export const WORKLOAD_TABLE = {
  endpoint: custom(
    "endpoint",
    "NAME",
    "workload test: chat (default), completions, embeddings, responses,\n" +
      "messages (Anthropic's Messages API), rerank or score",
    parseEndpoint,
    null,
  ),
  isl: custom(
    "isl",
    "DIST",
    "workload test: prompt tokens, exact in the model's tokenizer: 512,\n" +
      "uniform:256,1024, normal:MEAN,SD[,MIN,MAX] or lognormal:MEAN,SD[,MIN,MAX]",
    (raw) => parseLength(raw, "--isl"),
    null,
  ),
  osl: custom(
    "osl",
    "DIST",
    "workload test: output tokens per answer, same forms as --isl (default 128)",
    (raw) => parseLength(raw, "--osl"),
    null,
  ),
  oslEnforce: choice(
    "osl-enforce",
    "HOW",
    OSL_ENFORCEMENT,
    "how output length is enforced besides max_tokens: ignore_eos (vLLM,\n" +
      "SGLang; default), min_tokens, or none (for servers that reject both)",
    "ignore_eos",
  ),
  dataset: text(
    "dataset",
    "PATH",
    "workload test: prompts from a ShareGPT JSON, a JSONL file (prompt or\n" +
      "messages, optional output_len), a folder of .txt files, or builtin",
  ),
  minIsl: number(
    "min-isl",
    "N",
    "dataset: skip prompts under N tokens (default 4)",
    { integer: true, min: 1 },
    4,
  ),
  maxIsl: number(
    "max-isl",
    "N",
    "dataset: skip prompts over N tokens (default: none)",
    { integer: true, min: 1 },
    null,
  ),
  sharedPrefix: number(
    "shared-prefix",
    "N",
    "synthetic prompts: all start with the same N tokens (default 0: none share\n" +
      "a prefix)",
    { integer: true, min: 0, max: 1_000_000 },
    0,
  ),
  turns: number(
    "turns",
    "N",
    "workload test: sessions of N turns, each re-sending the history with the\n" +
      "real answers; --requests then counts sessions (default 1)",
    { integer: true, min: 1, max: 1000 },
    1,
  ),
  thinkTimeS: number(
    "think-time",
    "S",
    "sessions: seconds between an answer and the next turn (default 0)",
    { min: 0, max: 3600 },
    0,
  ),
  trace: text(
    "trace",
    "FILE",
    "workload test: replay a Mooncake JSONL trace (timestamp ms, input_length,\n" +
      "output_length, hash_ids) on its own schedule",
  ),
  traceSpeed: number(
    "trace-speed",
    "X",
    "trace: replay X times as fast (default 1)",
    { exclusiveMin: 0, max: 10_000 },
    1,
  ),
  maxRequests: number(
    "max-requests",
    "N",
    "trace: replay only the first N requests",
    { integer: true, min: 1 },
    null,
  ),
  batch: number(
    "batch",
    "N",
    "embeddings: inputs per request; rerank, score: documents per query (default 1)",
    { integer: true, min: 1, max: 2048 },
    1,
  ),
  tools: number(
    "tools",
    "N",
    "chat: attach N function tools to every request (default 0); the report\n" +
      "gives the share answered with a tool call, argument validity, and the\n" +
      "time to the first tool-call delta and to the complete call",
    { integer: true, min: 0, max: 128 },
    0,
  ),
  toolChoice: choice(
    "tool-choice",
    "HOW",
    TOOL_CHOICES,
    "chat with --tools: tool_choice auto (default), required or none",
    "auto",
  ),
  images: number(
    "images",
    "N",
    "chat: attach N generated images to every request (default 0); the\n" +
      "report gives images and bytes per request",
    { integer: true, min: 0, max: 16 },
    0,
  ),
  imageSize: custom(
    "image-size",
    "WxH[,WxH…]",
    "with --images: image size in pixels, or several drawn per image\n" +
      "(default 512x512)",
    (raw) => parseImageSizes(raw),
    null,
  ),
  imageFormat: choice(
    "image-format",
    "FMT",
    IMAGE_FORMATS,
    "with --images: png (default) or jpeg",
    "png",
  ),
  imageTransport: choice(
    "image-transport",
    "HOW",
    IMAGE_TRANSPORTS,
    "how images travel (--images, or a dataset's): data (default; inline\n" +
      "data URLs) or url (served from a loopback file server for servers that\n" +
      "fetch; the server must run on this host)",
    "data",
  ),
  tokenizer: custom(
    "tokenizer",
    "NAME|PATH",
    "tokenizer prompts are built with: auto (default; from the model id),\n" +
      "words, o200k_base, cl100k_base, llama3, or a tokenizer.json or model folder",
    (raw) => raw,
    "auto",
  ),
  concurrency: number(
    "concurrency",
    "N",
    "workload test: requests (sessions) in flight (default 8)",
    { integer: true, min: 1, max: 100_000 },
    null,
  ),
  requests: number(
    "requests",
    "N",
    "workload test: requests (sessions) to count (default 100, 40 with --quick)",
    { integer: true, min: 1, max: 10_000_000 },
    null,
  ),
  rate: number(
    "rate",
    "R",
    "workload test: an open loop of R arrivals (sessions) per second instead\n" +
      "of --concurrency",
    { exclusiveMin: 0, max: 100_000 },
    null,
  ),
  durationS: number(
    "duration",
    "S",
    "workload test with --rate: schedule length in seconds (instead of --requests)",
    { exclusiveMin: 0, max: 86_400 },
    null,
  ),
  noStream: flag("no-stream", "workload test: non-streaming requests"),
  sweep: custom(
    "sweep",
    "KIND:LEVELS",
    "workload test: one test per level, rate:1,2,4,8 (open loop) or concurrency:\n" +
      "1..64x2 (geometric); stops after the first level past saturation; the report\n" +
      "draws the throughput-latency curve and the Pareto frontier and marks the knee",
    parseSweep,
    null,
  ),
  search: custom(
    "search",
    "KIND",
    "workload test: search for the highest rate (or concurrency) whose SLO\n" +
      "attainment (95% lower bound) reaches --target-attainment; needs --slo;\n" +
      "starts at --rate / --concurrency (default 1), doubles, then bisects",
    parseSearchKind,
    null,
  ),
  targetAttainment: number(
    "target-attainment",
    "PCT",
    "search: the attainment to sustain, in % (default 99)",
    { exclusiveMin: 0, max: 100 },
    99,
  ),
  searchMaxProbes: number(
    "search-max-probes",
    "N",
    "search: most probes (default 12)",
    { integer: true, min: 2, max: 100 },
    12,
  ),
  searchMaxS: number(
    "search-max-s",
    "S",
    "search: most seconds for all probes (default 900)",
    { exclusiveMin: 0, max: 86_400 },
    900,
  ),
};

/** The command line's options that shape a workload test, as parsed. */
export type WorkloadArgs = OptionValues<typeof WORKLOAD_TABLE> & {
  /** `--quick`. */
  quick: boolean;
  /** `--model`. */
  model: string | null;
  /** `--slo`, as given. */
  slo: string[];
  /** `--config`. */
  config: string | null;
};

/** True when the command line asks for a workload test. */
export function wantsWorkload(a: WorkloadArgs): boolean {
  return a.endpoint !== null || a.isl !== null || a.osl !== null || a.dataset !== null ||
    a.trace !== null || a.turns > 1 || a.concurrency !== null || a.requests !== null ||
    a.rate !== null || a.durationS !== null || a.batch > 1 || a.sharedPrefix > 0 || a.noStream ||
    a.tools > 0 || a.images > 0 ||
    a.sweep !== null || a.search !== null;
}

/** Options that only shape a workload test: given alone, they would do nothing. */
function orphanOption(a: WorkloadArgs): string | null {
  if (a.oslEnforce !== "ignore_eos") return "--osl-enforce";
  if (a.minIsl !== 4) return "--min-isl";
  if (a.maxIsl !== null) return "--max-isl";
  if (a.thinkTimeS !== 0) return "--think-time";
  if (a.traceSpeed !== 1) return "--trace-speed";
  if (a.maxRequests !== null) return "--max-requests";
  if (a.tokenizer !== "auto") return "--tokenizer";
  if (a.toolChoice !== "auto") return "--tool-choice";
  if (a.imageSize !== null) return "--image-size";
  if (a.imageFormat !== "png") return "--image-format";
  if (a.imageTransport !== "data") return "--image-transport";
  return null;
}

/** The workload of the command line. Throws {@linkcode UsageError} for bad combinations. */
export function workloadOfArgs(a: WorkloadArgs): WorkloadSpec {
  const w: WorkloadSpec = {
    ...defaultWorkload(),
    endpoint: a.endpoint ?? "chat",
    isl: a.isl,
    osl: a.osl,
    oslEnforce: a.oslEnforce,
    dataset: a.dataset,
    minInput: a.minIsl,
    maxInput: a.maxIsl ?? 1_000_000,
    sharedPrefix: a.sharedPrefix,
    turns: a.turns,
    thinkTimeS: a.thinkTimeS,
    trace: a.trace,
    traceSpeed: a.traceSpeed,
    maxRequests: a.maxRequests,
    batch: a.batch,
    tokenizer: a.tokenizer,
    stream: !a.noStream,
    tools: a.tools,
    toolChoice: a.toolChoice,
    images: a.images,
    imageSizes: a.imageSize ?? defaultWorkload().imageSizes,
    imageFormat: a.imageFormat,
    imageTransport: a.imageTransport,
  };
  if (a.imageSize !== null && a.images === 0) {
    throw new UsageError("--image-size does nothing without --images N");
  }
  if (a.imageTransport !== "data" && a.images === 0 && a.dataset === null) {
    throw new UsageError("--image-transport does nothing without --images N or a --dataset");
  }
  if (a.toolChoice !== "auto" && a.tools === 0) {
    throw new UsageError("--tool-choice does nothing without --tools N");
  }
  checkWorkload(w);
  return w;
}

/** Requests (or sessions) per test: `--requests`, else 100, 40 with `--quick`. */
function requestsOf(a: WorkloadArgs): number {
  return a.requests ?? (a.quick ? 40 : DEFAULT_WORKLOAD_REQUESTS);
}

/** An open loop at `rate` for `--duration`, or for `requests` arrivals. */
function openLoad(a: WorkloadArgs, rate: number, requests: number, timed = true): ScenarioLoad {
  const duration = timed ? a.durationS : null;
  return {
    kind: "open",
    rate,
    duration_s: duration,
    requests: duration !== null && a.requests === null ? null : requests,
    arrival: "constant",
    max_in_flight: null,
    warmup: null,
    max_queue_delay_ms: null,
  };
}

/** The command line's test of a workload under a load (one point of a sweep, or a search). */
function workloadTest(
  a: WorkloadArgs,
  home: string,
  workload: WorkloadSpec,
  load: ScenarioLoad,
  more: Partial<ScenarioTest> = {},
): ScenarioTest {
  return {
    suite: home,
    name: testName(workload, load),
    payload: {
      ...DEFAULT_SCENARIO_PAYLOAD,
      label: "workload",
      model: a.model ?? DEFAULT_SCENARIO_PAYLOAD.model,
      stream: workload.stream,
    },
    load,
    workload,
    source: "command line",
    ...more,
  };
}

/** The command line's tests as a scenario replacing the built-in tests of `home`. */
function commandLineScenario(home: string, tests: ScenarioTest[]): Scenario {
  return { file: "command line", replace: [home], suites: [home], tests };
}

function loadOfArgs(a: WorkloadArgs): ScenarioLoad {
  if (a.rate !== null && a.concurrency !== null) {
    throw new UsageError("give --concurrency (closed loop) or --rate (open loop), not both");
  }
  if (a.durationS !== null && a.rate === null) {
    throw new UsageError("--duration applies to an open loop: add --rate");
  }
  const requests = requestsOf(a);
  if (a.rate !== null) return openLoad(a, a.rate, requests);
  return {
    kind: "closed",
    concurrency: a.concurrency ?? DEFAULT_WORKLOAD_CONCURRENCY,
    requests,
    warmup: null,
  };
}

/** One search test: its load is a template the search sets the level of. */
function searchScenario(a: WorkloadArgs, home: string, workload: WorkloadSpec): Scenario {
  const kind = a.search!;
  if (a.slo.length === 0) {
    throw new UsageError("--search needs at least one --slo to judge attainment against");
  }
  if (workload.trace) throw new UsageError("--search does not apply to a --trace");
  if (kind === "rate" && a.concurrency !== null) {
    throw new UsageError("--search rate starts at --rate: drop --concurrency");
  }
  if (kind === "concurrency" && a.rate !== null) {
    throw new UsageError("--search concurrency starts at --concurrency: drop --rate");
  }
  if (a.durationS !== null) {
    throw new UsageError(
      "--search sizes its probes by request count (enough for the attainment's interval to " +
        "reach the target): use --requests, not --duration",
    );
  }
  if (!(a.targetAttainment < 100)) {
    throw new UsageError("--target-attainment must be below 100 (100% can never be shown)");
  }
  const start = kind === "rate" ? a.rate ?? 1 : a.concurrency ?? 1;
  const requests = probeRequests(
    a.targetAttainment / 100,
    requestsOf(a),
  );
  const load: ScenarioLoad = kind === "rate"
    ? openLoad(a, start, requests, false)
    : { kind: "closed", concurrency: start, requests, warmup: null };
  return commandLineScenario(home, [
    workloadTest(a, home, workload, load, {
      name: `Max-load search over ${kind} (${workload.endpoint})`,
      search: {
        kind,
        start,
        startGiven: (kind === "rate" ? a.rate : a.concurrency) !== null,
        target: a.targetAttainment / 100,
        maxProbes: a.searchMaxProbes,
        maxSeconds: a.searchMaxS,
        precision: 0.1,
      },
    }),
  ]);
}

/** One workload test per level of `--sweep`, each a point of one sweep. */
function sweepScenario(a: WorkloadArgs, home: string, workload: WorkloadSpec): Scenario {
  const sweep = a.sweep!;
  if (workload.trace) throw new UsageError("--sweep does not apply to a --trace");
  if (sweep.kind === "rate" && a.concurrency !== null) {
    throw new UsageError("--sweep rate:… is an open loop: drop --concurrency");
  }
  if (sweep.kind === "concurrency" && (a.rate !== null || a.durationS !== null)) {
    throw new UsageError("--sweep concurrency:… is a closed loop: drop --rate and --duration");
  }
  const requests = requestsOf(a);
  const tests = sweep.levels.map((level) => {
    const load: ScenarioLoad = sweep.kind === "rate"
      ? openLoad(a, level, requests)
      : { kind: "closed", concurrency: level, requests, warmup: null };
    return workloadTest(a, home, workload, load, {
      sweep: { id: "command line", kind: sweep.kind, level },
    });
  });
  return commandLineScenario(home, tests);
}

/** A name that says what the test is: `chat isl=512 osl=64, 8 concurrent`. */
function testName(w: WorkloadSpec, load: ScenarioLoad): string {
  const parts: string[] = [w.endpoint];
  if (w.trace) parts.push(`trace ${w.trace.split("/").pop()} x${w.traceSpeed}`);
  else if (w.dataset) parts.push(`dataset ${w.dataset.split("/").pop()}`);
  else if (w.isl) parts.push(`isl=${describeLength(w.isl)}`);
  if (w.osl) parts.push(`osl=${describeLength(w.osl)}`);
  if (w.turns > 1) parts.push(`${w.turns} turns`);
  if (w.batch > 1) parts.push(`batch ${w.batch}`);
  if (w.tools > 0) parts.push(`${w.tools} tools (${w.toolChoice})`);
  if (w.images > 0) {
    const s = w.imageSizes.map((z) => `${z.width}x${z.height}`).join("|");
    parts.push(`${w.images} image${w.images === 1 ? "" : "s"} ${s} ${w.imageFormat}`);
  }
  const how = w.trace
    ? ""
    : load.kind === "closed"
    ? `, ${load.concurrency} concurrent`
    : `, ${load.rate}/s`;
  return `Workload: ${parts.join(" ")}${how}`;
}

/**
 * The command line's workload test as a scenario replacing the built-in tests of the suite
 * `home` (the registry's workload home), or null when no workload option was given. Throws
 * {@linkcode UsageError}.
 */
export function workloadScenario(a: WorkloadArgs, home: string): Scenario | null {
  if (!wantsWorkload(a)) {
    const orphan = orphanOption(a);
    if (orphan) {
      throw new UsageError(
        `${orphan} shapes a workload test: add --isl, --dataset, --trace, --turns or --endpoint`,
      );
    }
    return null;
  }
  if (a.config) {
    throw new UsageError(
      "workload options and --config do not mix: put the workload in the scenario file " +
        "(a test's workload: field)",
    );
  }
  const workload = workloadOfArgs(a);
  if (a.sweep && a.search) throw new UsageError("give --sweep or --search, not both");
  if (a.sweep) return sweepScenario(a, home, workload);
  if (a.search) return searchScenario(a, home, workload);
  return commandLineScenario(home, [workloadTest(a, home, workload, loadOfArgs(a))]);
}
