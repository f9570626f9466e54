/**
 * Tokenizers the client builds prompts with, all offline: OpenAI's encodings
 * (`gpt-tokenizer`), Llama 3 (`llama3-tokenizer-js`), any Hugging Face `tokenizer.json`
 * (`@huggingface/tokenizers`), and the word tokenizer FakeAI counts with. `auto` picks one
 * from the model id; when none fits it falls back to the word count, flagged as approximate.
 *
 * Each tokenizer's library is loaded only when it is used.
 *
 * @module
 */

import { join } from "node:path";
import { ConfigError, UsageError } from "../util/errors.ts";
import { countTokens, isSpace, isWord } from "../util/words.ts";

/**
 * What a tokenizer is, without its tables: enough to name it and to load it again
 * ({@linkcode reloadTokenizer}). Plain data, so it crosses to and from workers.
 */
export interface TokenizerInfo {
  /** Its name as `run.json` records it (`o200k_base`, `llama3`, `hf:PATH`, `words`). */
  readonly name: string;
  /** False when counts only approximate the target model's tokenizer. */
  readonly exact: boolean;
}

/** A tokenizer as a workload uses it: count a text, cut a text to a token count. */
export interface Tokenizer extends TokenizerInfo {
  /** Tokens in a text (no special tokens added). */
  count(text: string): number;
  /**
   * The longest prefix of `text` that has `n` tokens or fewer when tokenized again (for BPE,
   * cutting between tokens can merge differently; the result is re-counted).
   */
  truncate(text: string, n: number): string;
}

/** The `--tokenizer` names besides a path. */
export const TOKENIZER_NAMES = ["auto", "words", "o200k_base", "cl100k_base", "llama3"] as const;

/** What the tokenizer choice is based on. */
export interface TokenizerChoice {
  /** `--tokenizer`: a name of {@linkcode TOKENIZER_NAMES} or a path. */
  spec: string;
  /** The model requests go to. */
  model: string;
  /** True when the target is the embedded server (it counts with the word tokenizer). */
  embedded: boolean;
}

/** A tokenizer and why it was chosen. */
export interface ChosenTokenizer {
  /** The tokenizer. */
  tokenizer: Tokenizer;
  /** Why: `--tokenizer`, `model id`, `embedded server`, or the fallback's flag. */
  reason: string;
}

/** Which named tokenizer fits a model id, or null when none is known to. */
export function tokenizerForModel(model: string): "o200k_base" | "cl100k_base" | "llama3" | null {
  const m = model.toLowerCase();
  if (/gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|chatgpt|(^|\/)o[134](-|$)/.test(m)) {
    return "o200k_base";
  }
  if (/gpt-4|gpt-3\.5|text-embedding-3|text-embedding-ada/.test(m)) return "cl100k_base";
  if (/llama-?3/.test(m)) return "llama3";
  return null;
}

/**
 * True when {@linkcode chooseTokenizer} would load a tokenizer library (tables of tens of MB)
 * for this choice, false when it picks the word count.
 */
export function choiceLoadsLibrary(choice: TokenizerChoice): boolean {
  const spec = choice.spec.trim();
  if (spec === "words") return false;
  if (spec !== "auto") return true;
  return !choice.embedded && tokenizerForModel(choice.model) !== null;
}

/**
 * Load again the tokenizer an info names (one chosen by {@linkcode chooseTokenizer}, perhaps
 * in another thread).
 *
 * @throws {UsageError} when it no longer loads (a tokenizer file removed since).
 */
export async function reloadTokenizer(info: TokenizerInfo): Promise<Tokenizer> {
  if (info.name === "words") return wordTokenizer(info.exact);
  return await loadTokenizer(info.name.startsWith("hf:") ? info.name.slice(3) : info.name);
}

/**
 * Choose and load the tokenizer of a run.
 *
 * @throws {UsageError} for an unknown name or a path that holds no readable `tokenizer.json`.
 */
export async function chooseTokenizer(choice: TokenizerChoice): Promise<ChosenTokenizer> {
  const spec = choice.spec.trim();
  if (spec === "words" && !choice.embedded) {
    // Words are the embedded server's tokens, nobody else's: prompts are exact in words only.
    return {
      tokenizer: wordTokenizer(false),
      reason: "--tokenizer words: lengths exact in words, not in the model's tokens",
    };
  }
  if (spec !== "auto") {
    return { tokenizer: await loadTokenizer(spec), reason: "--tokenizer" };
  }
  if (choice.embedded) {
    return { tokenizer: wordTokenizer(true), reason: "the embedded server counts words" };
  }
  const named = tokenizerForModel(choice.model);
  if (named) return { tokenizer: await loadTokenizer(named), reason: `model id ${choice.model}` };
  return {
    tokenizer: wordTokenizer(false),
    reason: `no tokenizer known for model ${choice.model}: lengths are approximate ` +
      "(pass --tokenizer PATH to a tokenizer.json)",
  };
}

/**
 * Load a tokenizer by name or from a path. Throws {@linkcode UsageError} for an unknown name,
 * and {@linkcode ConfigError} for one that encodes ordinary text to no tokens (it could build
 * no prompt of any length).
 */
export async function loadTokenizer(spec: string): Promise<Tokenizer> {
  const tok = await loadAny(spec);
  const probe = "The quick brown fox jumps over the lazy dog.";
  if (tok.count(probe) < 1) {
    throw new ConfigError(
      `--tokenizer ${spec} encodes ${JSON.stringify(probe)} to 0 tokens: it cannot build ` +
        "prompts of a given length (is it the right tokenizer.json?)",
    );
  }
  return tok;
}

async function loadAny(spec: string): Promise<Tokenizer> {
  switch (spec) {
    case "words":
      return wordTokenizer(true);
    case "o200k_base": {
      const m = await import("gpt-tokenizer/encoding/o200k_base");
      return bpeTokenizer("o200k_base", (t) => m.encode(t), (ids) => m.decode(ids));
    }
    case "cl100k_base": {
      const m = await import("gpt-tokenizer/encoding/cl100k_base");
      return bpeTokenizer("cl100k_base", (t) => m.encode(t), (ids) => m.decode(ids));
    }
    case "llama3": {
      const { default: llama3 } = await import("llama3-tokenizer-js");
      return bpeTokenizer(
        "llama3",
        (t) => llama3.encode(t, { bos: false, eos: false }),
        (ids) => llama3.decode(ids),
      );
    }
  }
  if (!spec.includes("/") && !spec.includes(".") && !spec.includes("\\")) {
    throw new UsageError(
      `--tokenizer ${JSON.stringify(spec)} is not a tokenizer name or a path ` +
        `(names: ${TOKENIZER_NAMES.join(", ")}; or a tokenizer.json / model folder)`,
    );
  }
  return await huggingFaceTokenizer(spec);
}

/**
 * The word tokenizer: exact for the embedded server (and FakeAI), an approximation for
 * anything else.
 */
export function wordTokenizer(exact: boolean): Tokenizer {
  return {
    name: "words",
    exact,
    count: countTokens,
    truncate(text, n) {
      let count = 0, i = 0;
      const len = text.length;
      while (i < len) {
        const c = text.charCodeAt(i);
        if (isSpace(c)) {
          i++;
          continue;
        }
        if (count === n) return text.slice(0, i).trimEnd();
        count++;
        i++;
        if (isWord(c)) { while (i < len && isWord(text.charCodeAt(i))) i++; }
      }
      return text;
    },
  };
}

/** A BPE tokenizer from its encode and decode functions. */
export function bpeTokenizer(
  name: string,
  encode: (text: string) => number[],
  decode: (ids: number[]) => string,
): Tokenizer {
  return {
    name,
    exact: true,
    count: (text) => encode(text).length,
    truncate(text, n) {
      const ids = encode(text);
      if (ids.length <= n) return text;
      // Decoding a prefix of the ids and encoding it again can merge differently at the cut;
      // step the cut until the text re-counts to n or fewer.
      let k = n, best = "";
      for (let tries = 0; tries < 8 && k > 0; tries++) {
        const s = decode(ids.slice(0, k));
        const c = encode(s).length;
        if (c === n) return s;
        if (c < n && s.length > best.length) best = s;
        k += n - c;
        if (k > ids.length) k = ids.length;
      }
      return best;
    },
  };
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new UsageError(
      `--tokenizer: cannot read ${what} ${path}: ${err instanceof Error ? err.message : err}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `--tokenizer: ${path} is not JSON: ${err instanceof Error ? err.message : err}`,
    );
  }
}

/** A Hugging Face tokenizer from a `tokenizer.json`, or a model folder holding one. */
async function huggingFaceTokenizer(path: string): Promise<Tokenizer> {
  let file = path;
  let configFile: string | null = null;
  try {
    if ((await Deno.stat(path)).isDirectory) {
      file = join(path, "tokenizer.json");
      configFile = join(path, "tokenizer_config.json");
    }
  } catch {
    throw new UsageError(`--tokenizer: ${path} does not exist`);
  }
  const json = await readJson(file, "tokenizer file");
  let config: unknown = {};
  if (configFile) {
    try {
      await Deno.stat(configFile);
      config = await readJson(configFile, "tokenizer config");
    } catch (err) {
      if (err instanceof UsageError) throw err;
    }
  }
  const { Tokenizer: HfTokenizer } = await import("@huggingface/tokenizers");
  let tok: InstanceType<typeof HfTokenizer>;
  try {
    tok = new HfTokenizer(json as never, config as never);
  } catch (err) {
    throw new UsageError(
      `--tokenizer: ${file} is not a tokenizer this tool can load: ${
        err instanceof Error ? err.message : err
      }`,
    );
  }
  return bpeTokenizer(
    `hf:${path}`,
    (t) => tok.encode(t, { add_special_tokens: false }).ids,
    (ids) => tok.decode(ids, { skip_special_tokens: true }),
  );
}
