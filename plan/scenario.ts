/**
 * Scenario files (`--config FILE`, YAML or JSON): custom tests that replace or add to any
 * suite's tests, each with its own payload and load. A file is read and validated completely
 * before any request is sent; every problem is reported with the file, the path inside it
 * (`tests[2].load.rate`), its line when known, and what is wrong, as a
 * {@linkcode ConfigError} (exit 2).
 *
 * ```yaml
 * replace: [concurrent]          # optional: suites whose built-in tests are replaced
 * tests:
 *   - suite: concurrent
 *     name: "Long answers {concurrency} concurrent"
 *     payload:
 *       messages: [{ role: user, content: "Tell me a story." }]
 *       max_tokens: 200
 *       extra: { ignore_eos: true }
 *     load: { concurrency: [5, 25, 75], requests: 100 }
 *   - suite: concurrent
 *     name: Poisson 20 RPS
 *     load: { rate: 20, duration_s: 10, arrival: poisson, max_in_flight: 64 }
 * ```
 *
 * @module
 */

import { visible } from "../util/format.ts";
import { dirname, isAbsolute, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { ConfigError } from "../util/errors.ts";
import type { LoadSpec, SuiteName } from "../measure/result.ts";
import type { Payload } from "../workload/payload.ts";
import { ENDPOINTS } from "../net/client.ts";
import { type LengthDist, parseLength } from "../workload/lengths.ts";
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
import { parseOutput, parseTags } from "../outputs/sinks.ts";
import { BenchError } from "../util/errors.ts";
import type { SearchSpec } from "../capacity/search.ts";
import { parseSlo, type Slo } from "../measure/slo.ts";

/** A load as a report records it, with its warm-up left to the run's default (null). */
type WithDefaultWarmup<T> = Omit<T, "warmup"> & {
  /** Warm-up requests (null = the run's default). */
  warmup: number | null;
};

/** The load of one scenario test, after expansion of lists: a {@linkcode LoadSpec} to be. */
export type ScenarioLoad =
  | WithDefaultWarmup<Extract<LoadSpec, { kind: "closed" }>>
  | WithDefaultWarmup<Extract<LoadSpec, { kind: "open" }>> & {
    /** Queue-delay p99 bound (ms) for the schedule check (null = the run's). */
    max_queue_delay_ms: number | null;
  };

/** One concrete test of a scenario file. */
export interface ScenarioTest {
  /** Suite the test belongs to. */
  suite: SuiteName;
  /** Test name (unique within its suite). */
  name: string;
  /** What each request sends. */
  payload: Payload;
  /** How load is offered. */
  load: ScenarioLoad;
  /** The workload, when the test has one (else every request sends the payload). */
  workload: WorkloadSpec | null;
  /** Where it came from: `FILE tests[i]`. */
  source: string;
  /**
   * A point of a sweep: its sweep, what varies and the level. A sweep's later points are
   * skipped once one is past saturation.
   */
  sweep?: { id: string; kind: "rate" | "concurrency"; level: number };
  /** A max-load search: the test's load is probed at levels the search picks. */
  search?: SearchSpec;
  /** The test's own SLOs (`slo:`), in place of the run's `--slo`. */
  slos?: Slo[];
}

/**
 * What a scenario file may say about suites: which exist (in run order), their canonical names,
 * and which take open-loop tests only. The registry provides them.
 */
export interface SuiteRules {
  /** Every suite, in run order. */
  names: readonly string[];
  /** The canonical name of a suite as written, or null for none. */
  canonical(raw: string): string | null;
  /** True when the suite's tests must be open loops. */
  openLoopOnly(name: string): boolean;
}

/** A validated scenario file. */
export interface Scenario {
  /** The file it was read from. */
  file: string;
  /** Suites whose built-in tests are replaced by the file's tests. */
  replace: SuiteName[];
  /** Suites the file has tests for, in run order. */
  suites: SuiteName[];
  /** Every concrete test, in file order. */
  tests: ScenarioTest[];
  /** `out:` and `tag:` — outputs and labels, as `--out` and `--tag` take them (empty: none). */
  outputs?: { out: string[]; tag: string[] };
}

/** The payload a scenario test gets for the fields it leaves out. */
export const DEFAULT_SCENARIO_PAYLOAD: Payload = {
  label: "custom",
  model: "meta-llama/Llama-3.1-8B-Instruct",
  messages: [{ role: "user", content: "Hello, how are you?" }],
  max_tokens: 50,
  stream: false,
};

/** Most problems listed in one error. */
const MAX_PROBLEMS = 10;

type Path = (string | number)[];

function pathText(path: Path): string {
  let s = "";
  for (const p of path) s += typeof p === "number" ? `[${p}]` : (s ? `.${p}` : p);
  return s || "(top level)";
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return String(v);
}

function closest(word: string, choices: readonly string[]): string | null {
  let best: string | null = null, bestD = 3;
  for (const c of choices) {
    const d = editDistance(word.toLowerCase(), c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** Collects problems with their paths while a document is checked. */
class Checker {
  problems: { path: Path; text: string }[] = [];

  fail(path: Path, text: string): undefined {
    this.problems.push({ path, text });
    return undefined;
  }

  object(v: unknown, path: Path, keys: readonly string[]): Record<string, unknown> | undefined {
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      return this.fail(path, `must be a mapping, got ${show(v)}`);
    }
    const obj = v as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      if (!keys.includes(k)) {
        const near = closest(k, keys);
        this.fail(
          [...path, k],
          `unknown field${
            near ? ` (did you mean '${near}'?)` : `; expected one of ${keys.join(", ")}`
          }`,
        );
      }
    }
    return obj;
  }

  int(v: unknown, path: Path, min: number, max = 1_000_000): number | undefined {
    if (typeof v !== "number" || !Number.isInteger(v)) {
      return this.fail(path, `must be a whole number, got ${show(v)}`);
    }
    if (v < min || v > max) return this.fail(path, `must be between ${min} and ${max}, got ${v}`);
    return v;
  }

  positive(v: unknown, path: Path, max = 1_000_000): number | undefined {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      return this.fail(path, `must be a number, got ${show(v)}`);
    }
    if (v <= 0 || v > max) return this.fail(path, `must be above 0 and at most ${max}, got ${v}`);
    return v;
  }

  string(v: unknown, path: Path): string | undefined {
    if (typeof v !== "string" || v.trim() === "") {
      return this.fail(path, `must be a non-empty string, got ${show(v)}`);
    }
    return v;
  }

  /** A value or a non-empty list of values, each checked by `one`. */
  list<T>(v: unknown, path: Path, one: (x: unknown, p: Path) => T | undefined): T[] | undefined {
    if (!Array.isArray(v)) {
      const x = one(v, path);
      return x === undefined ? undefined : [x];
    }
    if (v.length === 0) return this.fail(path, "must not be an empty list");
    const out: T[] = [];
    for (const [i, x] of v.entries()) {
      const r = one(x, [...path, i]);
      if (r !== undefined) out.push(r);
    }
    return out.length === v.length ? out : undefined;
  }
}

function suiteName(
  c: Checker,
  v: unknown,
  path: Path,
  rules: SuiteRules,
): SuiteName | undefined {
  if (typeof v !== "string") return c.fail(path, `must be a suite name, got ${show(v)}`);
  const name = rules.canonical(v);
  if (name !== null) return name;
  return c.fail(path, `unknown suite ${show(v)}; choose from ${rules.names.join(", ")}`);
}

const TOP_KEYS = ["version", "description", "replace", "tests", "out", "tag"] as const;
const TEST_KEYS = ["suite", "name", "payload", "load", "workload", "slo"] as const;
const WORKLOAD_KEYS = [
  "endpoint",
  "isl",
  "osl",
  "osl_enforce",
  "dataset",
  "min_isl",
  "max_isl",
  "shared_prefix",
  "turns",
  "think_time_s",
  "trace",
  "trace_speed",
  "max_requests",
  "batch",
  "tokenizer",
  "stream",
  "tools",
  "tool_choice",
  "images",
  "image_size",
  "image_format",
  "image_transport",
] as const;

function lengthField(c: Checker, v: unknown, path: Path): LengthDist | undefined {
  if (typeof v !== "number" && typeof v !== "string") {
    return c.fail(path, `must be a length like 512 or normal:1024,128, got ${show(v)}`);
  }
  try {
    return parseLength(String(v), pathText(path));
  } catch (err) {
    return c.fail(path, (err as Error).message.replace(`${pathText(path)}: `, ""));
  }
}

function checkWorkloadField(c: Checker, v: unknown, path: Path): WorkloadSpec | undefined {
  const o = c.object(v, path, WORKLOAD_KEYS);
  if (!o) return undefined;
  const at = (k: string) => [...path, k];
  const before = c.problems.length;
  const w = defaultWorkload();
  if (o.endpoint !== undefined) {
    const e = ENDPOINTS.find((x) => x === o.endpoint);
    if (e) w.endpoint = e;
    else c.fail(at("endpoint"), `must be one of ${ENDPOINTS.join(", ")}, got ${show(o.endpoint)}`);
  }
  if (o.isl !== undefined) w.isl = lengthField(c, o.isl, at("isl")) ?? null;
  if (o.osl !== undefined) w.osl = lengthField(c, o.osl, at("osl")) ?? null;
  if (o.osl_enforce !== undefined) {
    const e = OSL_ENFORCEMENT.find((x) => x === o.osl_enforce);
    if (e) w.oslEnforce = e;
    else {
      c.fail(
        at("osl_enforce"),
        `must be one of ${OSL_ENFORCEMENT.join(", ")}, got ${show(o.osl_enforce)}`,
      );
    }
  }
  if (o.dataset !== undefined) w.dataset = c.string(o.dataset, at("dataset")) ?? null;
  if (o.trace !== undefined) w.trace = c.string(o.trace, at("trace")) ?? null;
  if (o.tokenizer !== undefined) w.tokenizer = c.string(o.tokenizer, at("tokenizer")) ?? "auto";
  if (o.min_isl !== undefined) w.minInput = c.int(o.min_isl, at("min_isl"), 1) ?? w.minInput;
  if (o.max_isl !== undefined) w.maxInput = c.int(o.max_isl, at("max_isl"), 1) ?? w.maxInput;
  if (o.shared_prefix !== undefined) {
    w.sharedPrefix = c.int(o.shared_prefix, at("shared_prefix"), 0) ?? 0;
  }
  if (o.turns !== undefined) w.turns = c.int(o.turns, at("turns"), 1, 1000) ?? 1;
  if (o.think_time_s !== undefined) {
    const t = o.think_time_s;
    if (typeof t !== "number" || !(t >= 0) || t > 3600) {
      c.fail(at("think_time_s"), `must be a number of seconds 0…3600, got ${show(t)}`);
    } else w.thinkTimeS = t;
  }
  if (o.trace_speed !== undefined) {
    w.traceSpeed = c.positive(o.trace_speed, at("trace_speed"), 10_000) ?? 1;
  }
  if (o.max_requests !== undefined) {
    w.maxRequests = c.int(o.max_requests, at("max_requests"), 1, 10_000_000) ?? null;
  }
  if (o.batch !== undefined) w.batch = c.int(o.batch, at("batch"), 1, 2048) ?? 1;
  if (o.tools !== undefined) w.tools = c.int(o.tools, at("tools"), 0, 128) ?? 0;
  if (o.tool_choice !== undefined) {
    const t = TOOL_CHOICES.find((x) => x === o.tool_choice);
    if (t) w.toolChoice = t;
    else {
      c.fail(
        at("tool_choice"),
        `must be one of ${TOOL_CHOICES.join(", ")}, got ${show(o.tool_choice)}`,
      );
    }
  }
  if (o.images !== undefined) w.images = c.int(o.images, at("images"), 0, 16) ?? 0;
  if (o.image_size !== undefined) {
    try {
      w.imageSizes = parseImageSizes(String(o.image_size), "image_size");
    } catch (err) {
      c.fail(at("image_size"), (err as Error).message.replace(/^image_size /, ""));
    }
  }
  if (o.image_format !== undefined) {
    const f = IMAGE_FORMATS.find((x) => x === o.image_format);
    if (f) w.imageFormat = f;
    else {
      c.fail(
        at("image_format"),
        `must be one of ${IMAGE_FORMATS.join(", ")}, got ${show(o.image_format)}`,
      );
    }
  }
  if (o.image_transport !== undefined) {
    const t = IMAGE_TRANSPORTS.find((x) => x === o.image_transport);
    if (t) w.imageTransport = t;
    else {
      c.fail(
        at("image_transport"),
        `must be one of ${IMAGE_TRANSPORTS.join(", ")}, got ${show(o.image_transport)}`,
      );
    }
  }
  if (o.stream !== undefined) {
    if (typeof o.stream !== "boolean") {
      c.fail(at("stream"), `must be true or false, got ${show(o.stream)}`);
    } else w.stream = o.stream;
  }
  if (c.problems.length > before) return undefined;
  try {
    checkWorkload(w);
  } catch (err) {
    if (!(err instanceof BenchError)) throw err;
    return c.fail(path, err.message.replace(/--([a-z-]+)/g, (_m, k) => k.replaceAll("-", "_")));
  }
  return w;
}

/** The load of a trace test that gives none: the trace's own schedule. */
const TRACE_LOAD: ScenarioLoad = {
  kind: "open",
  rate: 1,
  duration_s: null,
  requests: null,
  arrival: "constant",
  max_in_flight: null,
  warmup: null,
  max_queue_delay_ms: null,
};
const PAYLOAD_KEYS = ["model", "messages", "prompt", "max_tokens", "stream", "extra"] as const;
const LOAD_KEYS = [
  "concurrency",
  "requests",
  "rate",
  "duration_s",
  "arrival",
  "max_in_flight",
  "warmup",
  "max_queue_delay_ms",
] as const;
const RESERVED_EXTRA = ["model", "messages", "max_tokens", "stream"];

function checkPayload(c: Checker, v: unknown, path: Path, label: string): Payload | undefined {
  const base = { ...DEFAULT_SCENARIO_PAYLOAD, label };
  if (v === undefined) return base;
  const o = c.object(v, path, PAYLOAD_KEYS);
  if (!o) return undefined;
  const before = c.problems.length;
  const p: Payload = { ...base };
  if (o.model !== undefined) p.model = c.string(o.model, [...path, "model"]) ?? p.model;
  if (o.messages !== undefined && o.prompt !== undefined) {
    c.fail([...path, "prompt"], "give either messages or prompt, not both");
  } else if (o.prompt !== undefined) {
    const text = c.string(o.prompt, [...path, "prompt"]);
    if (text) p.messages = [{ role: "user", content: text }];
  } else if (o.messages !== undefined) {
    if (!Array.isArray(o.messages) || o.messages.length === 0) {
      c.fail(
        [...path, "messages"],
        `must be a non-empty list of messages, got ${show(o.messages)}`,
      );
    } else {
      p.messages = [];
      for (const [i, m] of o.messages.entries()) {
        const mp = [...path, "messages", i];
        const mo = c.object(m, mp, ["role", "content"]);
        if (!mo) continue;
        const role = c.string(mo.role, [...mp, "role"]);
        if (typeof mo.content !== "string") {
          c.fail([...mp, "content"], `must be a string, got ${show(mo.content)}`);
        } else if (role) p.messages.push({ role, content: mo.content });
      }
    }
  }
  if (o.max_tokens !== undefined) {
    p.max_tokens = c.int(o.max_tokens, [...path, "max_tokens"], 1) ?? p.max_tokens;
  }
  if (o.stream !== undefined) {
    if (typeof o.stream !== "boolean") {
      c.fail([...path, "stream"], `must be true or false, got ${show(o.stream)}`);
    } else p.stream = o.stream;
  }
  if (o.extra !== undefined) {
    if (o.extra === null || typeof o.extra !== "object" || Array.isArray(o.extra)) {
      c.fail([...path, "extra"], `must be a mapping of body fields, got ${show(o.extra)}`);
    } else {
      for (const k of Object.keys(o.extra)) {
        if (RESERVED_EXTRA.includes(k)) {
          c.fail([...path, "extra", k], `set ${k} in payload itself, not in extra`);
        }
      }
      p.extra = { ...(o.extra as Record<string, unknown>) };
    }
  }
  return c.problems.length === before ? p : undefined;
}

function checkLoads(c: Checker, v: unknown, path: Path): ScenarioLoad[] | undefined {
  const o = c.object(v, path, LOAD_KEYS);
  if (!o) return undefined;
  const at = (k: string) => [...path, k];
  const before = c.problems.length;
  const warmup = o.warmup === undefined ? null : c.int(o.warmup, at("warmup"), 0, 10_000) ?? null;
  if (o.concurrency !== undefined && o.rate !== undefined) {
    return c.fail(path, "give either concurrency (closed loop) or rate (open loop), not both");
  }
  if (o.concurrency !== undefined) {
    for (const k of ["duration_s", "arrival", "max_in_flight", "max_queue_delay_ms"]) {
      if (o[k] !== undefined) c.fail(at(k), "only applies to an open loop (with rate)");
    }
    const levels = c.list(o.concurrency, at("concurrency"), (x, p) => c.int(x, p, 1, 100_000));
    if (o.requests === undefined) return c.fail(at("requests"), "is required with concurrency");
    const counts = c.list(o.requests, at("requests"), (x, p) => c.int(x, p, 1));
    if (!levels || !counts || c.problems.length > before) return undefined;
    if (counts.length !== 1 && counts.length !== levels.length) {
      return c.fail(
        at("requests"),
        `must be one number or a list as long as concurrency (${levels.length}), got ${counts.length}`,
      );
    }
    return levels.map((concurrency, i) => ({
      kind: "closed" as const,
      concurrency,
      requests: counts.length === 1 ? counts[0] : counts[i],
      warmup,
    }));
  }
  if (o.rate !== undefined) {
    const rates = c.list(o.rate, at("rate"), (x, p) => c.positive(x, p, 100_000));
    const duration = o.duration_s === undefined
      ? null
      : c.positive(o.duration_s, at("duration_s"), 86_400) ?? null;
    const requests = o.requests === undefined ? null : c.int(o.requests, at("requests"), 1) ?? null;
    if (o.duration_s === undefined && o.requests === undefined) {
      c.fail(path, "an open loop (rate) needs duration_s or requests");
    }
    let arrival: "constant" | "poisson" = "constant";
    if (o.arrival !== undefined) {
      if (o.arrival === "constant" || o.arrival === "poisson") arrival = o.arrival;
      else c.fail(at("arrival"), `must be constant or poisson, got ${show(o.arrival)}`);
    }
    const cap = o.max_in_flight === undefined || o.max_in_flight === null
      ? null
      : c.int(o.max_in_flight, at("max_in_flight"), 1, 100_000) ?? null;
    const bound = o.max_queue_delay_ms === undefined
      ? null
      : c.positive(o.max_queue_delay_ms, at("max_queue_delay_ms"), 3_600_000) ?? null;
    if (!rates || c.problems.length > before) return undefined;
    return rates.map((rate) => ({
      kind: "open" as const,
      rate,
      duration_s: duration,
      requests,
      arrival,
      max_in_flight: cap,
      warmup,
      max_queue_delay_ms: bound,
    }));
  }
  return c.fail(path, "needs concurrency (closed loop) or rate (open loop)");
}

function expandName(name: string, load: ScenarioLoad, many: boolean): string {
  const value = load.kind === "closed" ? load.concurrency : load.rate;
  const key = load.kind === "closed" ? "{concurrency}" : "{rate}";
  if (name.includes(key)) return name.replaceAll(key, String(value));
  if (!many) return name;
  return load.kind === "closed" ? `${name} (${value} concurrent)` : `${name} (${value} RPS)`;
}

/**
 * Validate a parsed scenario document. `lineOf` maps a path to a line number when known.
 * Throws {@linkcode ConfigError} listing the problems (up to 10).
 */
export function validateScenario(
  doc: unknown,
  file: string,
  rules: SuiteRules,
  lineOf: (path: Path) => number | null = () => null,
): Scenario {
  const c = new Checker();
  const tests: ScenarioTest[] = [];
  const replace = new Set<SuiteName>();
  let replaceAll = false;
  const outputs = { out: [] as string[], tag: [] as string[] };
  const top = c.object(doc, [], TOP_KEYS);
  if (top) {
    if (top.version !== undefined && top.version !== 1) {
      c.fail(["version"], `must be 1, got ${show(top.version)}`);
    }
    if (top.description !== undefined && typeof top.description !== "string") {
      c.fail(["description"], `must be a string, got ${show(top.description)}`);
    }
    for (const key of ["out", "tag"] as const) {
      if (top[key] === undefined) continue;
      const items = c.list(top[key], [key], (x, p) => c.string(x, p));
      for (const [i, item] of (items ?? []).entries()) {
        try {
          if (key === "out") parseOutput(item);
          else parseTags([item]);
        } catch (err) {
          c.fail([key, i], (err as Error).message);
        }
      }
      outputs[key] = items ?? [];
    }
    if (top.replace === true) replaceAll = true;
    else if (top.replace !== undefined && top.replace !== false) {
      const names = c.list(top.replace, ["replace"], (x, p) => suiteName(c, x, p, rules));
      for (const n of names ?? []) replace.add(n);
    }
    if (top.tests === undefined) c.fail(["tests"], "is required: a list of tests");
    else if (!Array.isArray(top.tests) || top.tests.length === 0) {
      c.fail(["tests"], `must be a non-empty list of tests, got ${show(top.tests)}`);
    } else {
      const seen = new Map<string, string>();
      for (const [i, t] of top.tests.entries()) {
        const path: Path = ["tests", i];
        const o = c.object(t, path, TEST_KEYS);
        if (!o) continue;
        const suite = o.suite === undefined
          ? c.fail([...path, "suite"], `is required: one of ${rules.names.join(", ")}`)
          : suiteName(c, o.suite, [...path, "suite"], rules);
        let name = c.string(o.name, [...path, "name"]);
        if (name !== undefined && visible(name) !== name) {
          name = c.fail([...path, "name"], "holds a control character (a line break, an escape…)");
        }
        const payload = checkPayload(c, o.payload, [...path, "payload"], name ?? "custom");
        const workload = o.workload === undefined
          ? null
          : checkWorkloadField(c, o.workload, [...path, "workload"]);
        // A trace brings its own schedule (also when the rest of its workload has problems).
        const traced = workload?.trace ||
          (o.workload !== null && typeof o.workload === "object" && "trace" in o.workload);
        const loads = o.load === undefined
          ? traced
            ? [TRACE_LOAD]
            : c.fail([...path, "load"], "is required: concurrency + requests, or rate + duration_s")
          : checkLoads(c, o.load, [...path, "load"]);
        let slos: Slo[] | undefined;
        if (o.slo !== undefined) {
          slos = c.list(o.slo, [...path, "slo"], (x, p) => {
            if (typeof x !== "string") return c.fail(p, `must be a string like ttft=500ms`);
            try {
              return parseSlo(x, pathText(p));
            } catch (err) {
              return c.fail(p, (err as Error).message.replace(`${pathText(p)} `, ""));
            }
          });
          if (!slos) continue;
        }
        if (!suite || !name || !payload || !loads || workload === undefined) continue;
        if (rules.openLoopOnly(suite) && loads.some((l) => l.kind === "closed")) {
          // Memory is judged against a schedule of arrivals, sampled over time.
          c.fail(
            [...path, "load"],
            `the ${suite} suite needs an open-loop load: rate with duration_s or requests`,
          );
          continue;
        }
        for (const load of loads) {
          const full = expandName(name, load, loads.length > 1);
          const key = `${suite}\u0000${full}`;
          const prev = seen.get(key);
          if (prev) {
            c.fail([...path, "name"], `test name "${full}" is already used by ${prev}`);
            continue;
          }
          seen.set(key, pathText(path));
          tests.push({
            suite,
            name: full,
            payload,
            load,
            workload,
            source: `${file} ${pathText(path)}`,
            ...(slos ? { slos } : {}),
          });
        }
      }
    }
  }
  if (c.problems.length > 0) {
    const lines = c.problems.slice(0, MAX_PROBLEMS).map(({ path, text }) => {
      const line = lineOf(path);
      return `${file}: ${pathText(path)}${line !== null ? ` (line ${line})` : ""}: ${text}`;
    });
    const more = c.problems.length - lines.length;
    if (more > 0) lines.push(`… and ${more} more problem(s)`);
    throw new ConfigError(`invalid scenario file\n${lines.join("\n")}`);
  }
  // Files a workload names are found next to the scenario file.
  const near = (p: string) => isAbsolute(p) ? p : resolve(dirname(file), p);
  for (const t of tests) {
    const w = t.workload;
    if (!w) continue;
    if (w.dataset && w.dataset !== "builtin") w.dataset = near(w.dataset);
    if (w.trace) w.trace = near(w.trace);
    if (/[/\\.]/.test(w.tokenizer)) w.tokenizer = near(w.tokenizer);
  }
  const suites = rules.names.filter((s) => tests.some((t) => t.suite === s));
  return {
    file,
    replace: replaceAll ? suites : rules.names.filter((s) => replace.has(s)),
    suites,
    tests,
    outputs,
  };
}

/**
 * Parse scenario text: JSON when the file name ends in `.json`, YAML otherwise. Throws
 * {@linkcode ConfigError} naming the file, with the line of a syntax error.
 */
export function parseScenario(text: string, file: string, rules: SuiteRules): Scenario {
  const json = file.toLowerCase().endsWith(".json");
  if (json) {
    try {
      JSON.parse(text);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new ConfigError(`${file}: not valid JSON: ${why}`);
    }
  }
  // JSON is read by the YAML parser too (it is a subset): duplicate keys are refused in both,
  // and problems get a line.
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    throw new ConfigError(
      `${file}${pos ? `:${pos.line}:${pos.col}` : ""}: not valid ${json ? "JSON" : "YAML"}: ${
        e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")
      }`,
    );
  }
  const lineOf = (path: Path): number | null => {
    for (let n = path.length; n > 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] };
      if (node && typeof node === "object" && node.range) return lc.linePos(node.range[0]).line;
    }
    return null;
  };
  let value: unknown;
  try {
    // Aliases expand at most 100 times: an alias bomb is refused, not expanded.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new ConfigError(`${file}: not a usable scenario: ${why}`);
  }
  return validateScenario(value, file, rules, lineOf);
}

/** Largest scenario file read (bytes): a scenario is a few KB; more is a wrong file. */
export const MAX_SCENARIO_BYTES = 4 * 1024 * 1024;

/** Read and validate a scenario file. Throws {@linkcode ConfigError}. */
export async function loadScenario(file: string, rules: SuiteRules): Promise<Scenario> {
  let text: string;
  try {
    const size = (await Deno.stat(file)).size;
    if (size > MAX_SCENARIO_BYTES) {
      throw new ConfigError(
        `scenario file ${file} is ${size} bytes, over the limit of ${MAX_SCENARIO_BYTES} ` +
          "(a scenario is a few KB: is it the right file?)",
      );
    }
    text = await Deno.readTextFile(file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const why = err instanceof Deno.errors.NotFound
      ? "no such file"
      : err instanceof Error
      ? err.message.split("\n")[0]
      : String(err);
    throw new ConfigError(`cannot read scenario file ${file}: ${why}`);
  }
  return parseScenario(text, file, rules);
}
