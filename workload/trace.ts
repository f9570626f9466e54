/**
 * Trace replay in the Mooncake format: one JSON object per line with `timestamp` (ms),
 * `input_length`, `output_length` and `hash_ids`, each hash id one block of
 * {@linkcode TRACE_BLOCK_TOKENS} prompt tokens. Blocks with the same hash become the same
 * text, so requests that share blocks share a prompt prefix as they did in production.
 *
 * @module
 */

import { ConfigError } from "../util/errors.ts";
import { type BuiltText, textOfTokens } from "./corpus.ts";
import type { Tokenizer } from "./tokenizer.ts";

/** Tokens per hash block in Mooncake traces. */
export const TRACE_BLOCK_TOKENS = 512;

/** One request of a trace. */
export interface TraceRequest {
  /** Arrival time, ms after the trace's first request. */
  atMs: number;
  /** Prompt tokens. */
  inputLength: number;
  /** Output tokens. */
  outputLength: number;
  /** Hash ids of the prompt's blocks. */
  hashIds: number[];
}

/** Most problems one error lists. */
const MAX_PROBLEMS = 8;

/**
 * Parse a Mooncake JSONL trace; arrival times become offsets from its first request.
 *
 * @throws {ConfigError} naming the file, line and reason for every malformed line.
 */
export function parseTrace(file: string, text: string): TraceRequest[] {
  const out: TraceRequest[] = [];
  const problems: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const where = `line ${i + 1}`;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line);
    } catch (err) {
      problems.push(`${where}: not valid JSON (${err instanceof Error ? err.message : err})`);
      continue;
    }
    const ts = o?.timestamp, inp = o?.input_length, outp = o?.output_length, ids = o?.hash_ids;
    if (typeof ts !== "number" || !Number.isFinite(ts) || ts < 0) {
      problems.push(`${where}: timestamp must be a number of ms, 0 or more`);
    } else if (!Number.isInteger(inp) || (inp as number) < 1) {
      problems.push(`${where}: input_length must be a whole number of at least 1`);
    } else if (!Number.isInteger(outp) || (outp as number) < 1) {
      problems.push(`${where}: output_length must be a whole number of at least 1`);
    } else if (
      ids !== undefined && (!Array.isArray(ids) || ids.some((h) => !Number.isInteger(h)))
    ) {
      problems.push(`${where}: hash_ids must be a list of whole numbers`);
    } else if (
      Array.isArray(ids) && ids.length > 0 &&
      (inp as number) > ids.length * TRACE_BLOCK_TOKENS
    ) {
      problems.push(
        `${where}: input_length ${inp} is more than ${ids.length} blocks of ${TRACE_BLOCK_TOKENS} tokens`,
      );
    } else {
      out.push({
        atMs: ts,
        inputLength: inp as number,
        outputLength: outp as number,
        hashIds: (ids as number[] | undefined) ?? [],
      });
    }
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS);
    throw new ConfigError(
      `${file}: not a usable trace:\n  ${shown.join("\n  ")}` +
        (problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : ""),
    );
  }
  if (out.length === 0) throw new ConfigError(`${file}: the trace has no requests`);
  out.sort((a, b) => a.atMs - b.atMs);
  const t0 = out[0].atMs;
  for (const r of out) r.atMs -= t0;
  const span = out[out.length - 1].atMs;
  if (span > MAX_TRACE_SPAN_MS) {
    throw new ConfigError(
      `${file}: the trace spans ${(span / 86_400_000).toPrecision(3)} days from its first ` +
        `request to its last; a replay longer than ${MAX_TRACE_SPAN_MS / 86_400_000} days is ` +
        "refused (are the timestamps in ms, relative or epoch?)",
    );
  }
  return out;
}

/** Longest trace replayed, first request to last (7 days). */
export const MAX_TRACE_SPAN_MS = 7 * 86_400_000;

/** Read and parse a trace file. */
export async function readTrace(file: string): Promise<TraceRequest[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    throw new ConfigError(`--trace ${file}: ${err instanceof Error ? err.message : err}`);
  }
  return parseTrace(file, text);
}

/**
 * Builds trace prompts: each hash id is one block of text, the same for the same id; the
 * last block is cut to what the request's `input_length` leaves. Requests without hash ids
 * get text of their own.
 */
export class TracePrompts {
  readonly #tok: Tokenizer;
  readonly #seed: number;
  readonly #blocks = new Map<number, BuiltText>();

  /** A builder for one run (one tokenizer, one seed). */
  constructor(tok: Tokenizer, seed: number) {
    this.#tok = tok;
    this.#seed = seed;
  }

  /** Blocks built so far (distinct hash ids). */
  get blocks(): number {
    return this.#blocks.size;
  }

  /** The prompt of request `index` of the trace, and its token count. */
  prompt(r: TraceRequest, index: number): BuiltText {
    if (r.hashIds.length === 0) {
      return textOfTokens(this.#tok, r.inputLength, this.#seed, 0x7ace0000 + index);
    }
    const parts: string[] = [];
    let left = r.inputLength;
    for (const h of r.hashIds) {
      if (left <= 0) break;
      let block = this.#blocks.get(h);
      if (!block) {
        block = textOfTokens(this.#tok, TRACE_BLOCK_TOKENS, this.#seed, 0xb10c0000 ^ h);
        this.#blocks.set(h, block);
      }
      const take = Math.min(left, TRACE_BLOCK_TOKENS);
      parts.push(take === TRACE_BLOCK_TOKENS ? block.text : this.#tok.truncate(block.text, take));
      left -= take;
    }
    const text = parts.join(" ");
    return { text, tokens: this.#tok.count(text) };
  }
}
