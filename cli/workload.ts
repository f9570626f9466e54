/**
 * The command line's workload test: `--isl`, `--osl`, `--dataset`, `--turns`, `--trace`,
 * `--endpoint` and their load (`--concurrency`/`--requests` or `--rate`) make one test, run
 * as a one-test scenario in place of the throughput suite's built-in tests.
 *
 * @module
 */

import { UsageError } from "../util/errors.ts";
import type { RunConfig } from "./config.ts";
import {
  DEFAULT_SCENARIO_PAYLOAD,
  type Scenario,
  type ScenarioLoad,
  type ScenarioTest,
} from "./scenario.ts";
import { describeLength } from "../workload/lengths.ts";
import { checkWorkload, defaultWorkload, type WorkloadSpec } from "../workload/workload.ts";
import { probeRequests } from "../capacity/search.ts";

/** Concurrency of a command-line workload test without `--concurrency`. */
export const DEFAULT_WORKLOAD_CONCURRENCY = 8;

/** Requests of a command-line workload test without `--requests` (quick mode: 40). */
export const DEFAULT_WORKLOAD_REQUESTS = 100;

type WorkloadArgs = Pick<
  RunConfig,
  | "endpoint"
  | "isl"
  | "osl"
  | "oslEnforce"
  | "dataset"
  | "minIsl"
  | "maxIsl"
  | "sharedPrefix"
  | "turns"
  | "thinkTimeS"
  | "trace"
  | "traceSpeed"
  | "maxRequests"
  | "batch"
  | "tokenizer"
  | "concurrency"
  | "requests"
  | "rate"
  | "durationS"
  | "noStream"
  | "quick"
  | "model"
  | "sweep"
  | "search"
  | "targetAttainment"
  | "searchMaxProbes"
  | "searchMaxS"
  | "slo"
>;

/** True when the command line asks for a workload test. */
export function wantsWorkload(a: WorkloadArgs): boolean {
  return a.endpoint !== null || a.isl !== null || a.osl !== null || a.dataset !== null ||
    a.trace !== null || a.turns > 1 || a.concurrency !== null || a.requests !== null ||
    a.rate !== null || a.durationS !== null || a.batch > 1 || a.sharedPrefix > 0 || a.noStream ||
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
  };
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
  workload: WorkloadSpec,
  load: ScenarioLoad,
  more: Partial<ScenarioTest> = {},
): ScenarioTest {
  return {
    suite: "throughput",
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

/** The command line's tests as a scenario replacing the throughput suite's own. */
function commandLineScenario(tests: ScenarioTest[]): Scenario {
  return { file: "command line", replace: ["throughput"], suites: ["throughput"], tests };
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
function searchScenario(a: WorkloadArgs, workload: WorkloadSpec): Scenario {
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
  return commandLineScenario([
    workloadTest(a, workload, load, {
      name: `Max-load search over ${kind} (${workload.endpoint})`,
      search: {
        kind,
        start,
        target: a.targetAttainment / 100,
        maxProbes: a.searchMaxProbes,
        maxSeconds: a.searchMaxS,
        precision: 0.1,
      },
    }),
  ]);
}

/** One workload test per level of `--sweep`, each a point of one sweep. */
function sweepScenario(a: WorkloadArgs, workload: WorkloadSpec): Scenario {
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
    return workloadTest(a, workload, load, {
      sweep: { id: "command line", kind: sweep.kind, level },
    });
  });
  return commandLineScenario(tests);
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
  const how = w.trace
    ? ""
    : load.kind === "closed"
    ? `, ${load.concurrency} concurrent`
    : `, ${load.rate}/s`;
  return `Workload: ${parts.join(" ")}${how}`;
}

/**
 * The command line's workload test as a scenario for the throughput suite, or null when no
 * workload option was given. Throws {@linkcode UsageError}.
 */
export function workloadScenario(a: WorkloadArgs & Pick<RunConfig, "config">): Scenario | null {
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
  if (a.sweep) return sweepScenario(a, workload);
  if (a.search) return searchScenario(a, workload);
  return commandLineScenario([workloadTest(a, workload, loadOfArgs(a))]);
}
