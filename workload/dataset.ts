/**
 * Datasets read from local files: ShareGPT JSON (`conversations` of `from`/`value` turns),
 * JSONL with `prompt` or `messages` (optional `output_len`), a folder of text files, or the
 * built-in generated corpus. A file is checked completely before any request; a problem is a
 * {@linkcode ConfigError} naming the file, the line and the reason (exit 2).
 *
 * @module
 */

import { join } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { ConfigError } from "../util/errors.ts";
import { combine32, Prng } from "../util/prng.ts";
import { corpusText } from "./corpus.ts";
import type { Tokenizer } from "./tokenizer.ts";
import { MAX_IMAGES_PER_RECORD } from "./dataset_images.ts";

/** One conversation of a dataset: its user turns and, when known, the reply lengths. */
export interface DatasetEntry {
  /** The user turns in order (most entries have one). */
  turns: string[];
  /** A system message sent before the turns, if the entry has one. */
  system: string | null;
  /** Output length of the first reply: `output_len`, or the tokens of the dataset's reply. */
  outputLen: number | null;
  /** Where it came from (`FILE:LINE`), for messages. */
  source: string;
  /** Images the entry names (paths, data URLs or http URLs), sent with its first turn. */
  images?: string[];
}

/** A dataset as read: entries in file order. */
export interface Dataset {
  /** The path given, or `builtin`. */
  name: string;
  /** Format detected. */
  format: "sharegpt" | "jsonl" | "text-folder" | "builtin";
  /** Entries in file order. */
  entries: DatasetEntry[];
  /** Entries of the file left out while reading (no user turn…), by reason. */
  unusable: Record<string, number>;
}

/** Most problems one error lists. */
const MAX_PROBLEMS = 8;

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Offsets of the elements of a top-level JSON array (so an entry's problem can name its
 * line); empty when the text is not an array.
 */
export function topLevelOffsets(text: string): number[] {
  const out: number[] = [];
  let depth = 0, inString = false, expecting = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === " " || c === "\n" || c === "\r" || c === "\t") continue;
    if (depth === 1 && expecting && c !== "]") {
      out.push(i);
      expecting = false;
    }
    if (c === '"') inString = true;
    else if (c === "[" || c === "{") {
      depth++;
      if (depth === 1) {
        if (c !== "[") return [];
        expecting = true;
      }
    } else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 1) expecting = true;
  }
  return out;
}

/**
 * A JSON syntax error with its line: V8's messages carry no position, so the text is parsed
 * again by the YAML parser (JSON is YAML), whose errors do.
 */
function parseError(file: string, text: string, err: unknown): ConfigError {
  const msg = (err instanceof Error ? err.message : String(err)).split("\n")[0].slice(0, 200);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const pos = doc.errors[0]?.linePos?.[0];
  return new ConfigError(`${file}${pos ? `:${pos.line}` : ""}: not valid JSON: ${msg}`);
}

function fail(file: string, problems: string[]): never {
  const shown = problems.slice(0, MAX_PROBLEMS);
  const more = problems.length > shown.length
    ? `\n  … and ${problems.length - shown.length} more`
    : "";
  throw new ConfigError(`${file}: not a usable dataset:\n  ${shown.join("\n  ")}${more}`);
}

/**
 * Read a dataset: `builtin`, a folder of `.txt` files, a `.jsonl` file, or a ShareGPT JSON
 * file.
 *
 * @throws {ConfigError} when the file cannot be read or has malformed entries.
 */
export async function readDataset(path: string, tok: Tokenizer, seed: number): Promise<Dataset> {
  if (path === "builtin") return builtinDataset(seed);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    throw new ConfigError(`--dataset ${path}: ${err instanceof Error ? err.message : err}`);
  }
  if (info.isDirectory) return await readTextFolder(path);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new ConfigError(`--dataset ${path}: ${err instanceof Error ? err.message : err}`);
  }
  const first = text.trimStart()[0];
  if (path.endsWith(".jsonl") || (first === "{" && !path.endsWith(".json"))) {
    return parseJsonl(path, text);
  }
  return parseShareGpt(path, text, tok);
}

/**
 * The images a record names in `images` (a list) or `image` (one): paths, data URLs or http
 * URLs; a string says what is wrong.
 */
function imageRefs(obj: Record<string, unknown>): string[] | string {
  const raw = obj.images ?? (obj.image === undefined ? [] : [obj.image]);
  if (!Array.isArray(raw) || raw.some((r) => typeof r !== "string" || r === "")) {
    return `"images" must be a list of image paths or URLs ("image": one)`;
  }
  if (raw.length > MAX_IMAGES_PER_RECORD) {
    return `${raw.length} images, more than ${MAX_IMAGES_PER_RECORD}`;
  }
  return raw as string[];
}

/**
 * A message's text: a string, or OpenAI content parts (`text` parts joined with spaces,
 * `image_url` parts added to `images`); null when a part is neither.
 */
function contentOf(content: unknown, images: string[]): string | null {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return null;
  const texts: string[] = [];
  for (const part of content) {
    const p = part as { type?: unknown; text?: unknown; image_url?: unknown } | null;
    if (p?.type === "text" && typeof p.text === "string") texts.push(p.text);
    else if (p?.type === "image_url") {
      const iu = p.image_url as { url?: unknown } | string | undefined;
      const url = typeof iu === "string" ? iu : iu?.url;
      if (typeof url !== "string" || url === "") return null;
      images.push(url);
    } else return null;
  }
  return texts.join(" ");
}

/** A ShareGPT file: a JSON array of `{ conversations: [{ from, value }…] }`. */
export function parseShareGpt(file: string, text: string, tok: Tokenizer): Dataset {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw parseError(file, text, err);
  }
  if (!Array.isArray(data)) {
    fail(file, ["line 1: a ShareGPT file is a JSON array of conversations"]);
  }
  const offsets = topLevelOffsets(text);
  const problems: string[] = [];
  const entries: DatasetEntry[] = [];
  const unusable: Record<string, number> = {};
  data.forEach((item, i) => {
    const where = `line ${lineAt(text, offsets[i] ?? 0)} (entry ${i})`;
    const conv = (item as { conversations?: unknown } | null)?.conversations;
    if (!item || typeof item !== "object" || !Array.isArray(conv)) {
      problems.push(`${where}: needs a "conversations" list`);
      return;
    }
    let system: string | null = null;
    const turns: string[] = [];
    let reply: string | null = null;
    for (let k = 0; k < conv.length; k++) {
      const t = conv[k] as { from?: unknown; value?: unknown } | null;
      if (!t || typeof t.from !== "string" || typeof t.value !== "string") {
        problems.push(`${where}: conversations[${k}] needs string "from" and "value"`);
        return;
      }
      if (t.from === "system") system = t.value;
      else if (t.from === "human" || t.from === "user") {
        // LLaVA-style records mark where the image goes with `<image>`; the image is a part.
        turns.push(t.value.replaceAll("<image>", "").trim());
      } else if ((t.from === "gpt" || t.from === "assistant" || t.from === "chatgpt") && !reply) {
        reply = t.value;
      }
    }
    if (turns.length === 0) {
      unusable["no user turn"] = (unusable["no user turn"] ?? 0) + 1;
      return;
    }
    const images = imageRefs(item as Record<string, unknown>);
    if (typeof images === "string") {
      problems.push(`${where}: ${images}`);
      return;
    }
    entries.push({
      turns,
      system,
      outputLen: reply === null ? null : tok.count(reply),
      source: `${file}:${lineAt(text, offsets[i] ?? 0)} (entry ${i})`,
      ...(images.length > 0 ? { images } : {}),
    });
  });
  if (problems.length > 0) fail(file, problems);
  return { name: file, format: "sharegpt", entries, unusable };
}

/** A JSONL file: one `{ prompt }` or `{ messages }` object per line, `output_len` optional. */
export function parseJsonl(file: string, text: string): Dataset {
  const problems: string[] = [];
  const entries: DatasetEntry[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const where = `line ${i + 1}`;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      problems.push(`${where}: not valid JSON (${err instanceof Error ? err.message : err})`);
      continue;
    }
    if (!obj || typeof obj !== "object" || Array.isArray(obj)) {
      problems.push(`${where}: must be a JSON object`);
      continue;
    }
    const out = obj.output_len;
    if (out !== undefined && (!Number.isInteger(out) || (out as number) < 1)) {
      problems.push(`${where}: output_len must be a whole number of at least 1`);
      continue;
    }
    let turns: string[] = [];
    let system: string | null = null;
    const images = imageRefs(obj);
    if (typeof images === "string") {
      problems.push(`${where}: ${images}`);
      continue;
    }
    if (typeof obj.prompt === "string") {
      turns = [obj.prompt];
    } else if (Array.isArray(obj.messages)) {
      let ok = true;
      for (const [k, m] of obj.messages.entries()) {
        const msg = m as { role?: unknown; content?: unknown } | null;
        const content = msg && typeof msg.role === "string" ? contentOf(msg.content, images) : null;
        if (!msg || typeof msg.role !== "string" || typeof content !== "string") {
          problems.push(
            `${where}: messages[${k}] needs string "role" and "content" (a string or ` +
              `text and image_url parts)`,
          );
          ok = false;
          break;
        }
        if (msg.role === "system" || msg.role === "developer") system = content;
        else if (msg.role === "user") turns.push(content);
      }
      if (!ok) continue;
      if (turns.length === 0) {
        problems.push(`${where}: messages has no user message`);
        continue;
      }
    } else {
      problems.push(`${where}: needs a "prompt" string or a "messages" list`);
      continue;
    }
    if (images.length > MAX_IMAGES_PER_RECORD) {
      problems.push(`${where}: ${images.length} images, more than ${MAX_IMAGES_PER_RECORD}`);
      continue;
    }
    entries.push({
      turns,
      system,
      outputLen: (out as number | undefined) ?? null,
      source: `${file}:${i + 1}`,
      ...(images.length > 0 ? { images } : {}),
    });
  }
  if (problems.length > 0) fail(file, problems);
  if (entries.length === 0) fail(file, ["the file has no entries"]);
  return { name: file, format: "jsonl", entries, unusable: {} };
}

async function readTextFolder(dir: string): Promise<Dataset> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /\.(txt|md)$/i.test(e.name)) names.push(e.name);
  }
  names.sort();
  if (names.length === 0) fail(dir, ["the folder holds no .txt or .md file"]);
  const entries: DatasetEntry[] = [];
  const unusable: Record<string, number> = {};
  for (const name of names) {
    const text = (await Deno.readTextFile(join(dir, name))).trim();
    if (text === "") {
      unusable["empty file"] = (unusable["empty file"] ?? 0) + 1;
      continue;
    }
    entries.push({ turns: [text], system: null, outputLen: null, source: join(dir, name) });
  }
  return { name: dir, format: "text-folder", entries, unusable };
}

/** Entries of the built-in corpus. */
export const BUILTIN_ENTRIES = 1000;

/**
 * The built-in dataset: 1000 generated conversations of one to four user turns, with
 * prompt and reply lengths spread as in chat datasets (many short, a long tail), fixed for
 * every run (the seed picks which are used, not what they are).
 */
export function builtinDataset(_seed: number): Dataset {
  const entries: DatasetEntry[] = [];
  for (let i = 0; i < BUILTIN_ENTRIES; i++) {
    const rng = new Prng(combine32(0xb1117, i));
    const turns: string[] = [];
    const count = 1 + (rng.int(10) < 7 ? 0 : rng.int(4));
    for (let t = 0; t < count; t++) {
      // Lognormal-ish lengths: mostly 20–300 words, a few up to about 1200.
      const words = Math.min(1200, Math.max(4, Math.round(Math.exp(3.5 + 1.1 * rng.gaussian()))));
      turns.push(corpusText(rng, words));
    }
    const out = Math.min(1024, Math.max(8, Math.round(Math.exp(4.8 + 0.8 * rng.gaussian()))));
    entries.push({ turns, system: null, outputLen: out, source: `builtin:${i}` });
  }
  return { name: "builtin", format: "builtin", entries, unusable: {} };
}

/** Filters a sample applies to entries. */
export interface SampleFilter {
  /** Skip entries whose first prompt has fewer tokens. */
  minInput: number;
  /** Skip entries whose first prompt has more tokens. */
  maxInput: number;
}

/** What sampling took from a dataset. */
export interface DatasetSample {
  /** The chosen entries, in the order requests use them. */
  entries: (DatasetEntry & { inputTokens: number })[];
  /** Entries looked at and skipped, by reason. */
  skipped: Record<string, number>;
  /** Entries of the dataset in all. */
  available: number;
  /** True when the dataset had fewer usable entries than wanted, so some are used again. */
  reused: boolean;
}

/**
 * Choose `count` entries, deterministic for the seed: a seeded shuffle, walked until enough
 * entries pass the filter (only the walked entries are tokenized). With fewer usable entries
 * than wanted, the usable ones repeat in order.
 *
 * @throws {ConfigError} when no entry passes the filter.
 */
export function sampleDataset(
  ds: Dataset,
  count: number,
  seed: number,
  tok: Tokenizer,
  filter: SampleFilter,
): DatasetSample {
  const order = ds.entries.map((_, i) => i);
  const rng = new Prng(combine32(seed, 0xda7a));
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const skipped: Record<string, number> = { ...ds.unusable };
  const chosen: DatasetSample["entries"] = [];
  for (const i of order) {
    if (chosen.length >= count) break;
    const e = ds.entries[i];
    const n = tok.count(e.system ? `${e.system} ${e.turns[0]}` : e.turns[0]);
    const why = n < filter.minInput
      ? `prompt under ${filter.minInput} tokens`
      : n > filter.maxInput
      ? `prompt over ${filter.maxInput} tokens`
      : null;
    if (why) {
      skipped[why] = (skipped[why] ?? 0) + 1;
      continue;
    }
    chosen.push({ ...e, inputTokens: n });
  }
  if (chosen.length === 0) {
    throw new ConfigError(
      `${ds.name}: no entry passes the length filter (${filter.minInput}…${filter.maxInput} ` +
        `tokens); skipped: ${
          Object.entries(skipped).map(([k, v]) => `${v} ${k}`).join(", ") || "none"
        }`,
    );
  }
  const reused = chosen.length < count;
  const base = chosen.length;
  for (let k = 0; chosen.length < count; k++) chosen.push(chosen[k % base]);
  return { entries: chosen, skipped, available: ds.entries.length, reused };
}
