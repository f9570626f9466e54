/**
 * The requests inference-perf (kubernetes-sigs/inference-perf) sends, by its definitions: its
 * config file, its load timers, its `shared_prefix` and `random` data generators, and how its
 * load generator runs stages.
 *
 * - Stages run one after another: a stage of `rate` × `duration` requests is scheduled from one
 *   second after it starts, the next starts once every request of the one before has finished,
 *   after `load.interval` seconds (default 1), and its requests take data from index 0 again.
 * - `constant` load: the gaps are drawn from an exponential distribution of mean 1/rate, then
 *   scaled so they add up to the duration exactly (`ConstantLoadTimer`).
 * - `poisson` load: each second, a Poisson(rate) number of requests spread over that second as
 *   the constant timer spreads them, a second with none skipped (`PoissonLoadTimer`).
 * - `shared_prefix` data: `num_groups` system prompts of `system_prompt_len` tokens, each with
 *   `num_prompts_per_group` questions appended (their lengths, and the outputs', drawn per group
 *   from `question_len` / `output_len` or their distributions); the prompts are shuffled once and
 *   request i sends prompt i mod (groups × prompts per group).
 * - `random` data: `input_distribution.total_count` prompts of lengths drawn from
 *   `input_distribution`, outputs from `output_distribution`, nothing shared.
 * - Lengths are drawn as `generate_distribution` does: normal (default), lognormal, uniform or
 *   fixed, clipped to [min, max] and rounded.
 *
 * The draws use this program's seeded generator, not numpy's: the structure, the lengths'
 * distributions and the schedule are inference-perf's, the individual random draws are not.
 *
 * @module
 */

import { parse as parseYaml } from "yaml";
import { UsageError } from "../util/errors.ts";
import { combine32, Prng } from "../util/prng.ts";
import type { SimRequest } from "./sim.ts";

/** A length distribution (`Distribution` of inference-perf's config). */
export interface LengthDistribution {
  /** Smallest length. */
  min: number;
  /** Largest length. */
  max: number;
  /** Mean. */
  mean: number;
  /** Standard deviation. */
  stdDev: number;
  /** `normal`, `lognormal`, `uniform` or `fixed`. */
  type: "normal" | "lognormal" | "uniform" | "fixed";
  /** How many lengths (the `random` generator's prompt count). */
  totalCount?: number;
}

/** A length: a fixed number or a distribution. */
export type Length = number | LengthDistribution;

/** The `shared_prefix` data generator's parameters. */
export interface SharedPrefixSpec {
  /** System prompts (groups). */
  numGroups: number;
  /** Questions per system prompt. */
  numPromptsPerGroup: number;
  /** Tokens of each system prompt. */
  systemPromptLen: number;
  /** Tokens of each question. */
  questionLen: Length;
  /** Output tokens of each request. */
  outputLen: Length;
  /**
   * Tokens the server counted beyond the generator's, when known (BOS, template,
   * re-tokenisation); absent: modelled as a BOS token and {@linkcode RETOKENIZE_GROWTH}.
   */
  templateTokens?: number;
}

/** One load stage. */
export interface LoadStageSpec {
  /** Requests per second. */
  rate: number;
  /** Seconds. */
  duration: number;
}

/** An inference-perf config, as far as it decides the requests. */
export interface InferencePerfConfig {
  /** `completion` or `chat`. */
  api: "completion" | "chat";
  /** Streamed responses. */
  streaming: boolean;
  /** The server generates every asked-for token (`server.ignore_eos`). */
  ignoreEos: boolean;
  /** The model name the requests carry (`server.model_name`), if given. */
  model?: string;
  /** The data generator. */
  data:
    | { type: "shared_prefix"; sharedPrefix: SharedPrefixSpec }
    | { type: "random"; input: LengthDistribution; output: LengthDistribution }
    | { type: "shareGPT"; path?: string };
  /** The load. */
  load: { type: "constant" | "poisson"; interval: number; stages: LoadStageSpec[] };
}

/** Draw `count` lengths of a distribution (`generate_distribution`). */
export function drawLengths(d: Length, count: number, rng: Prng): number[] {
  if (typeof d === "number") return Array(count).fill(d);
  const clip = (x: number) =>
    Math.min(d.max, Math.max(d.min, Math.round(Math.min(d.max, Math.max(d.min, x)))));
  return Array.from({ length: count }, () => {
    switch (d.type) {
      case "fixed":
        return Math.trunc(d.mean);
      case "uniform":
        return clip(d.min + rng.next() * (d.max - d.min));
      case "lognormal": {
        const shifted = d.mean - d.min > 0 ? d.mean - d.min : 1;
        const s2 = Math.log(1 + (d.stdDev / shifted) ** 2);
        const mu = Math.log(shifted) - s2 / 2;
        return clip(Math.exp(mu + Math.sqrt(s2) * rng.gaussian()) + d.min);
      }
      default:
        return clip(d.mean + d.stdDev * rng.gaussian());
    }
  });
}

/** Send times (ms from the stage's schedule start) of a `constant` stage. */
export function constantArrivals(rate: number, durationS: number, rng: Prng): number[] {
  const n = Math.floor(rate * durationS);
  if (n <= 0) return [];
  const gaps = Array.from({ length: n }, () => -Math.log(1 - rng.next()) / rate);
  const scale = durationS / gaps.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  let t = 0;
  for (const g of gaps) {
    t += g * scale;
    out.push(t * 1000);
  }
  return out;
}

/** A Poisson draw of mean `mean` (Knuth's method for small means, normal beyond). */
function poisson(mean: number, rng: Prng): number {
  if (mean > 60) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.gaussian()));
  const l = Math.exp(-mean);
  let k = 0, p = 1;
  do {
    k++;
    p *= rng.next();
  } while (p > l);
  return k - 1;
}

/**
 * Send times (ms from the stage's schedule start) of a `poisson` stage: its rate × duration
 * requests, a Poisson number of them in each second.
 */
export function poissonArrivals(rate: number, durationS: number, rng: Prng): number[] {
  const n = Math.floor(rate * durationS);
  const out: number[] = [];
  for (let s = 0; out.length < n; s++) {
    const k = poisson(rate, rng);
    for (const t of constantArrivals(k, 1, rng)) {
      if (out.length < n) out.push(s * 1000 + t);
    }
  }
  return out;
}

/** One prompt of a generated data set: its length, its output, its blocks. */
export interface PromptSpec {
  /** Prompt tokens. */
  prompt: number;
  /** Output tokens asked for. */
  output: number;
  /** Leading tokens it shares with the other prompts of its group (its system prompt). */
  shared: number;
  /** Its group (-1: none). */
  group: number;
  /** Its place in its group (or in the data set, without groups). */
  index: number;
  /** Tokens the generator made for it beyond the shared ones (its question, or all of it). */
  ownLen: number;
  /** Tokens the generator made for the shared part (its system prompt; 0 without one). */
  sharedLen: number;
  /** Hashes of its full blocks, chained: equal for blocks of shared tokens. */
  blockHashes: number[];
}

/**
 * Hashes of the full blocks of a prompt whose first `shared` tokens are `sharedKey`'s and the
 * rest `ownKey`'s: block i's hash chains block i−1's with the key of the tokens it holds.
 */
export function blockHashes(
  prompt: number,
  shared: number,
  sharedKey: number,
  ownKey: number,
  blockSize = 16,
): number[] {
  const out: number[] = [];
  let h = 0x9e3779b9;
  for (let i = 0; (i + 1) * blockSize <= prompt; i++) {
    const key = (i + 1) * blockSize <= shared ? sharedKey : combine32(ownKey, i);
    h = combine32(h, key);
    out.push(h);
  }
  return out;
}

/**
 * How many more tokens a server counts in text inference-perf made by decoding random token
 * ids than the ids it decoded: the text does not re-tokenize to the same ids. Measured on the
 * calibration set (Llama-2's tokenizer, completions): prompts of 566, 547 and 1,034 generated
 * tokens were counted as 591.6, 575.5 and 1,082.2 with the BOS token, 4.6% more on average.
 */
export const RETOKENIZE_GROWTH = 0.046;

/** Tokens a server counts in `generated` tokens of inference-perf's decoded text. */
export function retokenized(generated: number): number {
  return Math.round(generated * (1 + RETOKENIZE_GROWTH));
}

/**
 * The shuffled prompts of a `shared_prefix` generator; request i sends prompt i mod length.
 * Without `templateTokens`, the server's count is modelled: its BOS token, and the text's
 * growth on re-tokenization ({@linkcode RETOKENIZE_GROWTH}).
 */
export function sharedPrefixPrompts(spec: SharedPrefixSpec, rng: Prng): PromptSpec[] {
  const exact = spec.templateTokens !== undefined;
  const extra = spec.templateTokens ?? 1;
  const count = (n: number) => (exact ? n : retokenized(n));
  const prompts: PromptSpec[] = [];
  // Question and output lengths are drawn per group, as the generator does.
  const questions: number[][] = [], outputs: number[][] = [];
  for (let g = 0; g < spec.numGroups; g++) {
    questions.push(drawLengths(spec.questionLen, spec.numPromptsPerGroup, rng));
    outputs.push(drawLengths(spec.outputLen, spec.numPromptsPerGroup, rng));
  }
  for (let g = 0; g < spec.numGroups; g++) {
    const sharedKey = combine32(0x5a5a, g);
    for (let p = 0; p < spec.numPromptsPerGroup; p++) {
      const shared = extra + count(spec.systemPromptLen);
      const prompt = shared + count(questions[g][p]);
      prompts.push({
        prompt,
        output: Math.max(1, outputs[g][p]),
        shared,
        group: g,
        index: p,
        ownLen: questions[g][p],
        sharedLen: spec.systemPromptLen,
        blockHashes: blockHashes(prompt, shared, sharedKey, combine32(combine32(0xa5a5, g), p)),
      });
    }
  }
  shuffle(prompts, rng);
  return prompts;
}

/** The prompts of a `random` generator: `input.totalCount` of them, nothing shared. */
export function randomPrompts(
  input: LengthDistribution,
  output: LengthDistribution,
  rng: Prng,
): PromptSpec[] {
  const n = input.totalCount ?? 1000;
  const ins = drawLengths(input, n, rng), outs = drawLengths(output, n, rng);
  return ins.map((generated, i) => ({
    prompt: 1 + retokenized(Math.max(1, generated)),
    output: Math.max(1, outs[i % outs.length]),
    shared: 0,
    group: -1,
    index: i,
    ownLen: Math.max(1, generated),
    sharedLen: 0,
    blockHashes: blockHashes(1 + retokenized(Math.max(1, generated)), 0, 0, combine32(0x7a7a, i)),
  }));
}

/**
 * The data set of a config's generator, in the order requests take it (request i of a stage
 * sends prompt i mod length), from the run's seed. Throws for ShareGPT, whose prompts are a
 * file's.
 */
export function configPrompts(config: InferencePerfConfig, rng: Prng): PromptSpec[] {
  const data = config.data;
  if (data.type === "shared_prefix") return sharedPrefixPrompts(data.sharedPrefix, rng);
  if (data.type === "random") return randomPrompts(data.input, data.output, rng);
  throw new UsageError(
    "--inference-perf: the shareGPT data generator needs its data set (use --dataset)",
  );
}

/** A seeded Fisher–Yates shuffle, as inference-perf permutes its prompts once. */
function shuffle<T>(xs: T[], rng: Prng): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
}

/** One request of a stage: when it is due after the stage starts, and which prompt it sends. */
export interface ScheduledRequest {
  /** Ms after the stage starts (its schedule begins one second in). */
  atMs: number;
  /** Index into the data set's prompts. */
  prompt: number;
}

/** Delay from a stage's start to its schedule's start (ms): inference-perf lets its queue fill. */
export const STAGE_LEAD_MS = 1000;

/** The requests of each stage, in order: send times and prompts (data indices restart at 0). */
export function stageSchedules(
  config: InferencePerfConfig,
  prompts: number,
  rng: Prng,
): ScheduledRequest[][] {
  return config.load.stages.map((stage) => {
    const times = config.load.type === "poisson"
      ? poissonArrivals(stage.rate, stage.duration, rng)
      : constantArrivals(stage.rate, stage.duration, rng);
    return times.map((t, i) => ({ atMs: STAGE_LEAD_MS + t, prompt: i % prompts }));
  });
}

/**
 * The requests of an inference-perf config, stage by stage, as it would send them (send times
 * relative to each stage's start). `maxStageS` shortens every stage (for a quick fit).
 */
export function configRequests(
  config: InferencePerfConfig,
  seed = 1,
  maxStageS = Infinity,
): SimRequest[][] {
  const rng = new Prng(seed);
  const prompts = configPrompts(config, rng);
  const short = {
    ...config,
    load: {
      ...config.load,
      stages: config.load.stages.map((s) => ({ ...s, duration: Math.min(s.duration, maxStageS) })),
    },
  };
  return stageSchedules(short, prompts.length, rng).map((stage) =>
    stage.map(({ atMs, prompt }) => {
      const p = prompts[prompt];
      return { atMs, prompt: p.prompt, output: p.output, blockHashes: p.blockHashes };
    })
  );
}

// ---------------------------------------------------------------------------------------------
// The config file

type Json = Record<string, unknown>;

function bad(path: string, why: string): never {
  throw new UsageError(`--inference-perf: ${path}: ${why}`);
}

function obj(v: unknown, path: string): Json {
  if (!v || typeof v !== "object" || Array.isArray(v)) bad(path, "must be a mapping");
  return v as Json;
}

function num(v: unknown, path: string, min = 0, integer = false): number {
  if (
    typeof v !== "number" || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))
  ) {
    bad(path, `must be ${integer ? "an integer" : "a number"} ≥ ${min}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function distribution(v: unknown, path: string): LengthDistribution {
  const o = obj(v, path);
  const type = (o.type ?? "normal") as string;
  if (!["normal", "lognormal", "uniform", "fixed"].includes(type)) {
    bad(`${path}.type`, `must be normal, lognormal, uniform or fixed, got "${type}"`);
  }
  const min = o.min === undefined ? 10 : num(o.min, `${path}.min`, 0, true);
  const max = o.max === undefined ? 1024 : num(o.max, `${path}.max`, 0, true);
  if (min > max) bad(path, `min (${min}) is above max (${max})`);
  const variance = o.variance === undefined ? undefined : num(o.variance, `${path}.variance`);
  const d: LengthDistribution = {
    min,
    max,
    mean: o.mean === undefined ? 512 : num(o.mean, `${path}.mean`),
    stdDev: variance !== undefined
      ? Math.sqrt(variance)
      : o.std_dev === undefined
      ? 200
      : num(o.std_dev, `${path}.std_dev`),
    type: type as LengthDistribution["type"],
  };
  if (o.total_count !== undefined) {
    d.totalCount = num(o.total_count, `${path}.total_count`, 1, true);
  }
  if (d.type === "normal" && (d.mean < d.min || d.mean > d.max)) {
    bad(path, `mean ${d.mean} is outside [${d.min}, ${d.max}]`);
  }
  return d;
}

function length(v: unknown, path: string, dflt: number): Length {
  if (v === undefined) return dflt;
  if (typeof v === "number") return num(v, path, 0, true);
  return distribution(v, path);
}

/**
 * Read an inference-perf config (YAML or JSON text): its api, data (`shared_prefix`, `random`,
 * `shareGPT`), load (`constant`, `poisson`, stages, interval) and server (`model_name`,
 * `ignore_eos`). Throws {@linkcode UsageError} naming the key at fault; other load types and
 * data generators are refused by name.
 */
export function parseInferencePerfConfig(text: string): InferencePerfConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    bad("file", `not YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const root = obj(doc, "file");
  const api = obj(root.api ?? {}, "api");
  const apiType = String(api.type ?? "completion");
  if (apiType !== "completion" && apiType !== "chat") {
    bad("api.type", `must be completion or chat, got "${apiType}"`);
  }
  const server = obj(root.server ?? {}, "server");
  const data = obj(root.data ?? {}, "data");
  const dataType = String(data.type ?? "mock");
  let parsedData: InferencePerfConfig["data"];
  if (dataType === "shared_prefix") {
    const sp = obj(data.shared_prefix ?? {}, "data.shared_prefix");
    const groups = sp.num_groups ?? sp.num_unique_system_prompts ?? 10;
    const perGroup = sp.num_prompts_per_group ?? sp.num_users_per_system_prompt ?? 10;
    parsedData = {
      type: "shared_prefix",
      sharedPrefix: {
        numGroups: num(groups, "data.shared_prefix.num_groups", 1, true),
        numPromptsPerGroup: num(perGroup, "data.shared_prefix.num_prompts_per_group", 1, true),
        systemPromptLen: num(
          sp.system_prompt_len ?? 100,
          "data.shared_prefix.system_prompt_len",
          0,
          true,
        ),
        questionLen: sp.question_distribution !== undefined
          ? distribution(sp.question_distribution, "data.shared_prefix.question_distribution")
          : length(sp.question_len, "data.shared_prefix.question_len", 50),
        outputLen: sp.output_distribution !== undefined
          ? distribution(sp.output_distribution, "data.shared_prefix.output_distribution")
          : length(sp.output_len, "data.shared_prefix.output_len", 50),
      },
    };
  } else if (dataType === "random") {
    const input = distribution(data.input_distribution, "data.input_distribution");
    const output = distribution(data.output_distribution, "data.output_distribution");
    if (input.totalCount === undefined) bad("data.input_distribution.total_count", "is required");
    parsedData = { type: "random", input, output };
  } else if (dataType === "shareGPT") {
    parsedData = { type: "shareGPT", path: typeof data.path === "string" ? data.path : undefined };
  } else {
    bad("data.type", `"${dataType}" is not supported (shared_prefix, random or shareGPT)`);
  }
  const load = obj(root.load ?? {}, "load");
  const loadType = String(load.type ?? "constant");
  if (loadType !== "constant" && loadType !== "poisson") {
    bad("load.type", `"${loadType}" is not supported (constant or poisson)`);
  }
  if (load.sweep !== undefined) bad("load.sweep", "is not supported; give the stages");
  const stages = load.stages;
  if (!Array.isArray(stages) || stages.length === 0) {
    bad("load.stages", "must list at least one stage");
  }
  return {
    api: apiType,
    streaming: api.streaming === true,
    ignoreEos: server.ignore_eos === true,
    model: typeof server.model_name === "string" ? server.model_name : undefined,
    data: parsedData,
    load: {
      type: loadType,
      interval: load.interval === undefined ? 1 : num(load.interval, "load.interval"),
      stages: stages.map((s, i) => {
        const o = obj(s, `load.stages[${i}]`);
        const rate = num(o.rate, `load.stages[${i}].rate`);
        if (rate <= 0) bad(`load.stages[${i}].rate`, "must be above 0");
        return { rate, duration: num(o.duration, `load.stages[${i}].duration`, 1, true) };
      }),
    },
  };
}
