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
import { ConfigError, UsageError } from "../util/errors.ts";
import { dirname } from "node:path";
import type { WorkloadInfo } from "../measure/workload_stats.ts";
import { describeLength, type LengthDist, maxLength, sampleLength } from "./lengths.ts";
import {
  chooseTokenizer,
  loadTokenizer,
  reloadTokenizer,
  type Tokenizer,
  type TokenizerInfo,
  wordTokenizer,
} from "./tokenizer.ts";
import { textOfTokens } from "./corpus.ts";
import { type Dataset, readDataset, sampleDataset } from "./dataset.ts";
import { checkImageRef, loadDatasetImages } from "./dataset_images.ts";
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
  /** How images travel: inline `data:` URLs, or URLs of a loopback file server. */
  imageTransport: ImageTransport;
}

/** `--image-transport` values. */
export const IMAGE_TRANSPORTS = ["data", "url"] as const;

/** How a request carries its images. */
export type ImageTransport = typeof IMAGE_TRANSPORTS[number];

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
    imageTransport: "data",
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
 * fails before any request is sent. `checkTokenizer` loads a `--tokenizer` other than `auto`
 * (default: in this thread; `workload/apart.ts` has one that loads it in a worker).
 *
 * @throws {UsageError} or a `ConfigError` naming the file, line and reason.
 */
export async function preflightWorkload(
  w: WorkloadSpec,
  checkTokenizer: (spec: string) => Promise<unknown> = loadTokenizer,
): Promise<void> {
  checkWorkload(w);
  if (w.tokenizer !== "auto") await checkTokenizer(w.tokenizer);
  if (w.dataset) {
    const ds = await readDataset(w.dataset, wordTokenizer(false), 0);
    // Only chat sends images: other endpoints use the records' text alone.
    if (w.endpoint === "chat") await checkDatasetImages(ds);
  }
  if (w.trace) await readTrace(w.trace);
}

/**
 * Check every image a dataset names (files exist and are not too large, data URLs hold
 * images), so a bad one fails before any request.
 *
 * @throws {ConfigError} listing the entries at fault.
 */
async function checkDatasetImages(ds: Dataset): Promise<void> {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const e of ds.entries) {
    for (const ref of e.images ?? []) {
      if (seen.has(ref)) continue;
      seen.add(ref);
      const why = await checkImageRef(ref, dirname(ds.name));
      if (why !== null) problems.push(`${e.source}: ${why}`);
      if (problems.length >= 8) break;
    }
    if (problems.length >= 8) break;
  }
  if (problems.length > 0) {
    throw new ConfigError(`${ds.name}: images that cannot be sent:\n  ${problems.join("\n  ")}`);
  }
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
  /** Indices into the workload's images of those every request of this item carries. */
  images?: number[];
  /** Indices of the images only its first turn carries (a dataset record's own). */
  firstTurnImages?: number[];
}

/** A workload ready to send. */
export interface BuiltWorkload {
  /** The spec. */
  spec: WorkloadSpec;
  /** What reports say about it. */
  info: WorkloadInfo;
  /** One item per request (per session with turns), in order. */
  items: WorkItem[];
  /**
   * The tokenizer prompts were built with, by name ({@linkcode workloadTokenizer} loads it):
   * a workload is plain data, so it can be built in another thread.
   */
  tokenizer: TokenizerInfo;
  /** Images the items point into: a dataset's, then generated ones (`--images`). */
  images?: BuiltImage[];
  /**
   * URLs to send instead of the images' own (`--image-transport url`: a loopback file
   * server's), by index; set by the runner while the server is up.
   */
  imageUrls?: string[];
  /** Images the chosen dataset records name that this endpoint cannot send (not chat). */
  imagesNotSent?: number;
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
  // A dataset's images first, then generated ones.
  let images: BuiltImage[] = [];
  let imagesNotSent = 0;
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
    const refs = sample.entries.flatMap((e) => e.images ?? []);
    // Only chat sends images: for other endpoints the records' text alone is used.
    if (spec.endpoint !== "chat") imagesNotSent = refs.length;
    const pool = await loadDatasetImages(spec.endpoint === "chat" ? refs : [], dirname(ds.name));
    images = pool.images;
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
        ...(e.images && spec.endpoint === "chat"
          ? { firstTurnImages: e.images.map((r) => pool.index.get(r)!) }
          : {}),
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
  if (spec.images > 0) {
    const base = images.length;
    images.push(
      ...await buildImages(items.length * spec.images, spec.imageSizes, spec.imageFormat, ctx.seed),
    );
    const made = images.length - base;
    items.forEach((it, i) => {
      it.images = Array.from(
        { length: spec.images },
        (_, j) => base + (i * spec.images + j) % made,
      );
    });
  }
  const described = describeImages(items, images, spec.imageTransport);
  if (described) info.images = described;
  if (spec.tools > 0) info.tools = { count: spec.tools, choice: spec.toolChoice };
  const built: BuiltWorkload = {
    spec,
    info,
    items,
    tokenizer: { name: tok.name, exact: tok.exact },
    images,
    ...(imagesNotSent > 0 ? { imagesNotSent } : {}),
  };
  loaded.set(built, tok);
  return built;
}

/** Tokenizers of the workloads built in this thread, by workload. */
const loaded = new WeakMap<BuiltWorkload, Tokenizer>();

/**
 * The tokenizer a workload was built with when it is loaded in this thread (the workload was
 * built here, or {@linkcode workloadTokenizer} loaded it); null when it would have to load.
 */
export function loadedTokenizer(w: BuiltWorkload): Tokenizer | null {
  return loaded.get(w) ?? null;
}

/**
 * The tokenizer a workload was built with, loaded in this thread if it is not yet (a
 * workload built in a worker arrives without it).
 *
 * @throws {UsageError} when it no longer loads.
 */
export async function workloadTokenizer(w: BuiltWorkload): Promise<Tokenizer> {
  const have = loaded.get(w);
  if (have) return have;
  const tok = await reloadTokenizer(w.tokenizer);
  loaded.set(w, tok);
  return tok;
}

/** What the report says of a workload's images (first requests' images); null without any. */
function describeImages(
  items: readonly WorkItem[],
  images: readonly BuiltImage[],
  transport: ImageTransport,
): WorkloadInfo["images"] | null {
  if (images.length === 0 || items.length === 0) return null;
  let count = 0, bytes = 0, byReference = 0;
  const sizes = new Map<string, number>();
  const formats = new Set<string>();
  for (const it of items) {
    for (const k of [...(it.firstTurnImages ?? []), ...(it.images ?? [])]) {
      const img = images[k];
      count++;
      bytes += img.bytes;
      if (img.data === null) {
        byReference++;
        continue;
      }
      const size = `${img.width}x${img.height}`;
      sizes.set(size, (sizes.get(size) ?? 0) + 1);
      formats.add(img.format);
    }
  }
  if (count === 0) return null;
  // The most common sizes, at most 8 named.
  const common = [...sizes.entries()].sort((a, b) => b[1] - a[1]).map(([z]) => z);
  const generated = items.some((it) => (it.images?.length ?? 0) > 0);
  const fromDataset = items.some((it) => (it.firstTurnImages?.length ?? 0) > 0);
  return {
    per_request: count / items.length,
    sizes: common.length > 8 ? [...common.slice(0, 8), `… ${common.length - 8} more`] : common,
    format: formats.size === 1 ? [...formats][0] : formats.size === 0 ? "url" : "mixed",
    bytes_per_request_mean: bytes / items.length,
    distinct: images.length,
    source: generated && fromDataset ? "dataset+generated" : generated ? "generated" : "dataset",
    transport,
    ...(byReference > 0 ? { by_reference: byReference } : {}),
  };
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
      const pics = [...(turn === 0 ? item.firstTurnImages ?? [] : []), ...(item.images ?? [])];
      if (pics.length > 0 && w.images) {
        // The images go with the user's turn, as content parts after its text.
        messages[messages.length - 1] = {
          role: "user",
          content: [
            { type: "text", text: user },
            ...pics.map((k) => ({
              type: "image_url",
              image_url: { url: w.imageUrls?.[k] ?? w.images![k].url },
            })),
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
