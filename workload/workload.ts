/**
 * A workload: what a test's requests carry, built before the load starts (every prompt is
 * tokenized and cut to length before its timed send). Synthetic prompts of exact input
 * lengths (ISL), output lengths (OSL) from distributions, a dataset, multi-turn sessions, or a
 * trace replayed on its own schedule; sent to any of the four OpenAI endpoints.
 *
 * @module
 */

import type { ChatMessage, Endpoint, RequestBody } from "../net/client.ts";
import { isRanking, isTokenless } from "../net/endpoints.ts";
import { combine32, Prng } from "../util/prng.ts";
import { UsageError } from "../util/errors.ts";
import type { WorkloadInfo } from "../measure/workload_stats.ts";
import { describeLength, type LengthDist, maxLength, sampleLength } from "./lengths.ts";
import { chooseTokenizer, loadTokenizer, type Tokenizer, wordTokenizer } from "./tokenizer.ts";
import { textOfTokens } from "./corpus.ts";
import { readDataset, sampleDataset } from "./dataset.ts";
import { buildImages, type BuiltImage, type ImageFormat, type ImageSize } from "./images.ts";
import { readTrace, TracePrompts, type TraceRequest } from "./trace.ts";

/** How output length is enforced. */
export const OSL_ENFORCEMENT = ["ignore_eos", "min_tokens", "none"] as const;

/** What a workload is, as the command line or a scenario file gives it. */
export interface WorkloadSpec {
  /** The endpoint. */
  endpoint: Endpoint;
  /** Input lengths of synthetic prompts (null: from the dataset or trace, else 128). */
  isl: LengthDist | null;
  /** Output lengths (null: from the dataset or trace, else 128). */
  osl: LengthDist | null;
  /** How the output length is enforced. */
  oslEnforce: typeof OSL_ENFORCEMENT[number];
  /** Dataset path or `builtin` (null: synthetic). */
  dataset: string | null;
  /** Dataset entries with fewer prompt tokens are skipped. */
  minInput: number;
  /** Dataset entries with more prompt tokens are skipped. */
  maxInput: number;
  /** Tokens every synthetic prompt shares at its start. */
  sharedPrefix: number;
  /** Turns per session (1 = single requests). */
  turns: number;
  /** Think time between turns (s). */
  thinkTimeS: number;
  /** Mooncake trace file (null: none). */
  trace: string | null;
  /** Trace speed factor (2 = twice as fast). */
  traceSpeed: number;
  /** Most trace requests replayed (null: all). */
  maxRequests: number | null;
  /** Embedding inputs per request. */
  batch: number;
  /** `--tokenizer`: `auto`, a name or a path. */
  tokenizer: string;
  /** Stream answers (chat, completions, responses). */
  stream: boolean;
  /** Chat: function tools attached to every request (0: none). */
  tools: number;
  /** Chat: `tool_choice` sent with the tools. */
  toolChoice: ToolChoice;
  /** Chat: images attached to every request's (last) user turn (0: none). */
  images: number;
  /** Image sizes, one drawn per image (width × height, pixels). */
  imageSizes: ImageSize[];
  /** Image encoding. */
  imageFormat: ImageFormat;
}

/** `--tool-choice` values. */
export const TOOL_CHOICES = ["auto", "required", "none"] as const;

/** A `tool_choice` the client sends. */
export type ToolChoice = typeof TOOL_CHOICES[number];

export { IMAGE_FORMATS, type ImageFormat, type ImageSize } from "./images.ts";

/** Largest image side accepted (pixels). */
export const MAX_IMAGE_SIDE = 4096;

/**
 * Parse `--image-size`: `WxH`, or several comma-separated (`512x512,1024x768`), one drawn per
 * image. Throws {@linkcode UsageError}.
 */
export function parseImageSizes(raw: string, what = "--image-size"): ImageSize[] {
  const out = raw.split(",").map((part) => {
    const m = /^\s*(\d+)\s*[xX×]\s*(\d+)\s*$/.exec(part);
    const width = m ? Number(m[1]) : NaN, height = m ? Number(m[2]) : NaN;
    if (!(width >= 1 && height >= 1 && width <= MAX_IMAGE_SIDE && height <= MAX_IMAGE_SIDE)) {
      throw new UsageError(
        `${what} expects WxH (1–${MAX_IMAGE_SIDE} pixels a side), or several separated by ` +
          `commas, got '${raw}'`,
      );
    }
    return { width, height };
  });
  return out;
}

/** Input and output length when nothing says otherwise. */
export const DEFAULT_LENGTH = 128;

/** A workload with the defaults of the command line. */
export function defaultWorkload(): WorkloadSpec {
  return {
    endpoint: "chat",
    isl: null,
    osl: null,
    oslEnforce: "ignore_eos",
    dataset: null,
    minInput: 4,
    maxInput: 1_000_000,
    sharedPrefix: 0,
    turns: 1,
    thinkTimeS: 0,
    trace: null,
    traceSpeed: 1,
    maxRequests: null,
    batch: 1,
    tokenizer: "auto",
    stream: true,
    tools: 0,
    toolChoice: "auto",
    images: 0,
    imageSizes: [{ width: 512, height: 512 }],
    imageFormat: "png",
  };
}

/**
 * The one output length every request of a workload asks for, or null when it varies (a
 * distribution, a dataset's or a trace's lengths) or does not apply (embeddings).
 */
export function fixedOsl(spec: WorkloadSpec): number | null {
  if (isTokenless(spec.endpoint)) return null;
  if (spec.osl) return spec.osl.kind === "constant" ? spec.osl.value : null;
  return spec.dataset || spec.trace ? null : DEFAULT_LENGTH;
}

/** Check a spec's combinations; throws {@linkcode UsageError}. */
export function checkWorkload(w: WorkloadSpec): void {
  if (w.trace && w.dataset) throw new UsageError("give --trace or --dataset, not both");
  if (w.trace && w.turns > 1) throw new UsageError("--turns does not apply to a --trace");
  if (w.trace && w.isl) throw new UsageError("--isl does not apply to a --trace (it has lengths)");
  if (w.dataset && w.isl) {
    throw new UsageError("--isl does not apply to a --dataset (use --min-isl/--max-isl)");
  }
  if (isTokenless(w.endpoint) && w.turns > 1) {
    throw new UsageError(`--turns does not apply to --endpoint ${w.endpoint}`);
  }
  if (w.batch > 1 && !isTokenless(w.endpoint)) {
    throw new UsageError("--batch applies only to --endpoint embeddings, rerank and score");
  }
  if (w.tools > 0 && w.endpoint !== "chat") {
    throw new UsageError("--tools applies only to --endpoint chat");
  }
  if (w.images > 0 && w.endpoint !== "chat") {
    throw new UsageError("--images applies only to --endpoint chat");
  }
  if (w.sharedPrefix > 0 && (w.dataset || w.trace)) {
    throw new UsageError("--shared-prefix applies only to synthetic prompts");
  }
  if (w.minInput > w.maxInput) {
    throw new UsageError(`--min-isl ${w.minInput} is above --max-isl ${w.maxInput}`);
  }
}

/**
 * Read and check everything a workload names (dataset, trace, tokenizer file) so a bad file
 * fails before any request is sent.
 *
 * @throws {UsageError} or a `ConfigError` naming the file, line and reason.
 */
export async function preflightWorkload(w: WorkloadSpec): Promise<void> {
  checkWorkload(w);
  if (w.tokenizer !== "auto") await loadTokenizer(w.tokenizer);
  if (w.dataset) await readDataset(w.dataset, wordTokenizer(false), 0);
  if (w.trace) await readTrace(w.trace);
}

/** One request (or session) of a built workload. */
export interface WorkItem {
  /** User messages, one per turn (a single request has one). */
  turns: string[];
  /** Tokens of each turn's new user message, as built. */
  turnTokens: number[];
  /** System message, if any. */
  system: string | null;
  /** Output tokens to ask for. */
  osl: number;
  /** Trace: arrival offset (ms, after the speed factor). */
  atMs: number | null;
  /** Indices into the workload's images of those this item's requests carry. */
  images?: number[];
}

/** A workload ready to send. */
export interface BuiltWorkload {
  /** The spec. */
  spec: WorkloadSpec;
  /** What reports say about it. */
  info: WorkloadInfo;
  /** One item per request (per session with turns), in order. */
  items: WorkItem[];
  /** The tokenizer prompts were built with. */
  tokenizer: Tokenizer;
  /** Generated images the items point into (empty without `--images`). */
  images?: BuiltImage[];
}

/** Function tools `tool_1…tool_N`, each taking `{"query": string}`. */
export function toolDefinitions(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, k) => ({
    type: "function",
    function: {
      name: `tool_${k + 1}`,
      description: `Look something up (tool ${k + 1} of ${n}).`,
      parameters: {
        type: "object",
        properties: { query: { type: "string", description: "what to look up" } },
        required: ["query"],
      },
    },
  }));
}

/** What a build needs besides the spec. */
export interface BuildContext {
  /** Items wanted: requests, or sessions with turns (a trace has its own count). */
  count: number;
  /** The run's seed. */
  seed: number;
  /** The model requests go to. */
  model: string;
  /** True for the embedded server. */
  embedded: boolean;
}

/**
 * Build a workload: choose the tokenizer, read the dataset or trace, and make every prompt.
 *
 * @throws {UsageError} or a `ConfigError` for bad options or files, before any request.
 */
export async function buildWorkload(spec: WorkloadSpec, ctx: BuildContext): Promise<BuiltWorkload> {
  checkWorkload(spec);
  const chosen = await chooseTokenizer({
    spec: spec.tokenizer,
    model: ctx.model,
    embedded: ctx.embedded,
  });
  const tok = chosen.tokenizer;
  const info: WorkloadInfo = {
    kind: spec.trace
      ? "trace"
      : spec.turns > 1
      ? "sessions"
      : spec.dataset
      ? "dataset"
      : "synthetic",
    endpoint: spec.endpoint,
    tokenizer: tok.name,
    tokenizer_exact: tok.exact,
    tokenizer_reason: chosen.reason,
    isl: spec.isl
      ? describeLength(spec.isl)
      : spec.dataset || spec.trace
      ? null
      : String(DEFAULT_LENGTH),
    osl: isTokenless(spec.endpoint)
      ? null
      : spec.osl
      ? describeLength(spec.osl)
      : spec.dataset || spec.trace
      ? null
      : String(DEFAULT_LENGTH),
    osl_enforced_by: isTokenless(spec.endpoint)
      ? "none"
      : spec.endpoint === "responses"
      ? "none (max_output_tokens only)"
      : spec.oslEnforce,
    shared_prefix: spec.sharedPrefix,
  };
  if (spec.turns > 1) {
    info.turns = spec.turns;
    info.think_time_s = spec.thinkTimeS;
  }
  if (isTokenless(spec.endpoint)) {
    info.batch = spec.batch;
    info.tokenless = true;
  }
  const osl = spec.osl ?? { kind: "constant" as const, value: DEFAULT_LENGTH };
  const rng = new Prng(combine32(ctx.seed, 0x0517));
  let items: WorkItem[];
  if (spec.trace) {
    const all = await readTrace(spec.trace);
    const reqs = spec.maxRequests ? all.slice(0, spec.maxRequests) : all;
    items = traceItems(reqs, spec, tok, ctx.seed);
    const last = reqs[reqs.length - 1].atMs / spec.traceSpeed;
    const prompts = new Set(reqs.flatMap((r) => r.hashIds));
    info.trace = {
      file: spec.trace,
      requests_in_file: all.length,
      requests: reqs.length,
      speed: spec.traceSpeed,
      blocks: prompts.size,
      duration_s: last / 1000,
    };
  } else if (spec.dataset) {
    const ds = await readDataset(spec.dataset, tok, ctx.seed);
    const sample = sampleDataset(ds, ctx.count, ctx.seed, tok, {
      minInput: spec.minInput,
      maxInput: spec.maxInput,
    });
    const distinct = new Set(sample.entries.map((e) => e.source)).size;
    info.dataset = {
      name: ds.name,
      format: ds.format,
      available: sample.available,
      used: distinct,
      skipped: sample.skipped,
      reused: sample.reused,
    };
    items = sample.entries.map((e) => {
      const turns: string[] = [];
      const turnTokens: number[] = [];
      for (let t = 0; t < spec.turns; t++) {
        // Sessions longer than the entry continue with generated user turns.
        const text = e.turns[t] ?? textOfTokens(tok, 64, ctx.seed, rng.nextU32()).text;
        turns.push(text);
        turnTokens.push(t === 0 ? e.inputTokens : tok.count(text));
      }
      return {
        turns,
        turnTokens,
        system: e.system,
        osl: spec.osl ? sampleLength(spec.osl, rng) : e.outputLen ?? DEFAULT_LENGTH,
        atMs: null,
      };
    });
  } else {
    const isl = spec.isl ?? { kind: "constant" as const, value: DEFAULT_LENGTH };
    if (spec.sharedPrefix >= maxLength(isl) && isl.kind === "constant") {
      throw new UsageError(
        `--shared-prefix ${spec.sharedPrefix} must be below the input length ${isl.value}`,
      );
    }
    const prefix = spec.sharedPrefix > 0
      ? textOfTokens(tok, spec.sharedPrefix, ctx.seed, 0x5a4ed).text
      : null;
    items = [];
    for (let i = 0; i < ctx.count; i++) {
      const turns: string[] = [];
      const turnTokens: number[] = [];
      for (let t = 0; t < spec.turns; t++) {
        const n = sampleLength(isl, rng);
        const key = combine32(i, t + 1);
        const built = prefix && t === 0 && n > spec.sharedPrefix
          ? withPrefix(tok, prefix, spec.sharedPrefix, n, ctx.seed, key)
          : textOfTokens(tok, n, ctx.seed, key);
        const batch: string[] = [built.text];
        let tokens = built.tokens;
        if (isRanking(spec.endpoint)) {
          // The query, then `batch` documents of the same length.
          const doc = textOfTokens(tok, n, ctx.seed, combine32(key, 0xd0c));
          batch.push(doc.text);
          tokens += doc.tokens;
        }
        for (let b = 1; b < spec.batch; b++) {
          const more = textOfTokens(tok, n, ctx.seed, combine32(key, b));
          batch.push(more.text);
          tokens += more.tokens;
        }
        turns.push(...batch);
        turnTokens.push(tokens);
      }
      items.push({ turns, turnTokens, system: null, osl: sampleLength(osl, rng), atMs: null });
    }
  }
  let images: BuiltImage[] = [];
  if (spec.images > 0) {
    images = buildImages(items.length * spec.images, spec.imageSizes, spec.imageFormat, ctx.seed);
    items.forEach((it, i) => {
      it.images = Array.from(
        { length: spec.images },
        (_, j) => (i * spec.images + j) % images.length,
      );
    });
    const bytes = items.reduce(
      (n, it) => n + (it.images ?? []).reduce((m, k) => m + images[k].bytes, 0),
      0,
    ) / Math.max(1, items.length);
    info.images = {
      per_request: spec.images,
      sizes: spec.imageSizes.map((z) => `${z.width}x${z.height}`),
      format: spec.imageFormat,
      bytes_per_request_mean: bytes,
      distinct: images.length,
    };
  }
  if (spec.tools > 0) info.tools = { count: spec.tools, choice: spec.toolChoice };
  return { spec, info, items, tokenizer: tok, images };
}

/** A prompt of `n` tokens that starts with the shared prefix. */
function withPrefix(
  tok: Tokenizer,
  prefix: string,
  prefixTokens: number,
  n: number,
  seed: number,
  key: number,
): { text: string; tokens: number } {
  const rest = textOfTokens(tok, n - prefixTokens, seed, key);
  const text = `${prefix} ${rest.text}`;
  return { text, tokens: tok.count(text) };
}

function traceItems(
  reqs: readonly TraceRequest[],
  spec: WorkloadSpec,
  tok: Tokenizer,
  seed: number,
): WorkItem[] {
  const prompts = new TracePrompts(tok, seed);
  return reqs.map((r, i) => {
    const p = prompts.prompt(r, i);
    return {
      turns: [p.text],
      turnTokens: [p.tokens],
      system: null,
      osl: spec.osl
        ? spec.osl.kind === "constant" ? spec.osl.value : r.outputLength
        : r.outputLength,
      atMs: r.atMs / spec.traceSpeed,
    };
  });
}

/** Fields that ask the server for exactly `osl` output tokens. */
function lengthFields(spec: WorkloadSpec, osl: number): Record<string, unknown> {
  switch (spec.endpoint) {
    case "responses":
      return { max_output_tokens: osl };
    case "embeddings":
    case "rerank":
    case "score":
      return {};
    default:
      return {
        max_tokens: osl,
        ...(spec.oslEnforce === "ignore_eos" ? { ignore_eos: true } : {}),
        ...(spec.oslEnforce === "min_tokens" ? { min_tokens: osl } : {}),
      };
  }
}

/**
 * The body of one request: turn `turn` of an item, after `history` (the earlier turns'
 * user messages and real answers).
 */
export function workloadBody(
  w: BuiltWorkload,
  item: WorkItem,
  model: string,
  turn = 0,
  history: readonly ChatMessage[] = [],
): RequestBody {
  const spec = w.spec;
  if (spec.endpoint === "embeddings") return { model, input: item.turns };
  // Ranking: the first text is the query, the others its documents.
  if (spec.endpoint === "rerank") {
    return { model, query: item.turns[0], documents: item.turns.slice(1) };
  }
  if (spec.endpoint === "score") {
    return { model, text_1: item.turns[0], text_2: item.turns.slice(1) };
  }
  const user = item.turns[turn];
  const messages: ChatMessage[] = [
    ...(item.system ? [{ role: "system", content: item.system }] : []),
    ...history,
    { role: "user", content: user },
  ];
  const base = { model, stream: spec.stream, ...lengthFields(spec, item.osl) };
  switch (spec.endpoint) {
    case "chat": {
      const pics = item.images && w.images ? item.images.map((k) => w.images![k]) : [];
      if (pics.length > 0) {
        // The images go with the user's turn, as content parts after its text.
        messages[messages.length - 1] = {
          role: "user",
          content: [
            { type: "text", text: user },
            ...pics.map((p) => ({ type: "image_url", image_url: { url: p.url } })),
          ],
        };
      }
      return {
        ...base,
        messages,
        ...(spec.tools > 0
          ? { tools: toolDefinitions(spec.tools), tool_choice: spec.toolChoice }
          : {}),
      };
    }
    case "responses":
      return { ...base, input: messages };
    case "completions":
      return { ...base, prompt: messages.map((m) => m.content).join("\n\n") };
    case "messages":
      // Anthropic's Messages API: the system prompt is a field of its own, not a turn.
      return {
        ...base,
        ...(item.system ? { system: item.system } : {}),
        messages: messages.filter((m) => m.role !== "system"),
      };
  }
}

/** A warm-up body for a workload: the endpoint's shape, a unique short prompt, 8 tokens. */
export function workloadWarmupBody(w: BuiltWorkload, model: string, i: number): RequestBody {
  const text = `warm-up ${i}-${crypto.randomUUID()}: ping`;
  const item: WorkItem = {
    turns: isRanking(w.spec.endpoint) ? [text, `${text} pong`] : [text],
    turnTokens: [0],
    system: null,
    osl: 8,
    atMs: null,
  };
  return workloadBody(w, item, model);
}
