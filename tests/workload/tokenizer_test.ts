import assert from "node:assert/strict";
import {
  chooseTokenizer,
  loadTokenizer,
  tokenizerForModel,
  wordTokenizer,
} from "../../workload/tokenizer.ts";
import { textOfTokens } from "../../workload/corpus.ts";
import { ConfigError, UsageError } from "../../util/errors.ts";

for (const name of ["words", "o200k_base", "cl100k_base", "llama3"]) {
  Deno.test(`${name}: built prompts have exactly the requested token count`, async () => {
    const tok = await loadTokenizer(name);
    for (const n of [1, 2, 7, 64, 333, 1024]) {
      for (const key of [1, 2, 3]) {
        const b = textOfTokens(tok, n, 42, key);
        assert.equal(b.tokens, n, `${name} n=${n} key=${key}`);
        assert.equal(tok.count(b.text), n, `${name} recount n=${n}`);
      }
    }
  });
}

Deno.test("prompts differ from their first words on, and repeat for the same seed and key", () => {
  const tok = wordTokenizer(true);
  const a = textOfTokens(tok, 50, 42, 1).text;
  assert.equal(a, textOfTokens(tok, 50, 42, 1).text);
  const starts = new Set(
    Array.from(
      { length: 50 },
      (_, k) => textOfTokens(tok, 50, 42, k).text.split(" ").slice(0, 3).join(" "),
    ),
  );
  assert.equal(starts.size, 50, "no two of 50 prompts share their first three words");
});

Deno.test("the word tokenizer cuts at a token boundary", () => {
  const tok = wordTokenizer(true);
  assert.equal(tok.truncate("Hello, big world.", 2), "Hello,");
  assert.equal(tok.truncate("Hello, big world.", 3), "Hello, big");
  assert.equal(tok.truncate("a b", 10), "a b");
});

Deno.test("model ids map to the tokenizer their family uses", () => {
  assert.equal(tokenizerForModel("gpt-4o-mini"), "o200k_base");
  assert.equal(tokenizerForModel("openai/gpt-oss-120b"), "o200k_base");
  assert.equal(tokenizerForModel("gpt-3.5-turbo"), "cl100k_base");
  assert.equal(tokenizerForModel("meta-llama/Llama-3.1-8B-Instruct"), "llama3");
  assert.equal(tokenizerForModel("mistralai/Mistral-7B-Instruct-v0.3"), null);
});

Deno.test("auto: the embedded server counts words; an unknown model falls back, flagged", async () => {
  const embedded = await chooseTokenizer({ spec: "auto", model: "gpt-4o", embedded: true });
  assert.equal(embedded.tokenizer.name, "words");
  assert.equal(embedded.tokenizer.exact, true);
  const unknown = await chooseTokenizer({ spec: "auto", model: "acme/x-7b", embedded: false });
  assert.equal(unknown.tokenizer.exact, false);
  assert.match(unknown.reason, /approximate/);
  const named = await chooseTokenizer({ spec: "auto", model: "gpt-4o", embedded: false });
  assert.equal(named.tokenizer.name, "o200k_base");
});

Deno.test("a local tokenizer.json (file or model folder) is loaded with @huggingface/tokenizers", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A small word-level tokenizer: every word of the vocabulary is one token.
    const words = "the a cat dog sat on mat . , hello world".split(" ");
    const vocab: Record<string, number> = { "[UNK]": 0 };
    words.forEach((w, i) => (vocab[w] = i + 1));
    const json = {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: [],
      normalizer: null,
      pre_tokenizer: { type: "Whitespace" },
      post_processor: null,
      decoder: null,
      model: { type: "WordLevel", vocab, unk_token: "[UNK]" },
    };
    await Deno.writeTextFile(`${dir}/tokenizer.json`, JSON.stringify(json));
    for (const path of [dir, `${dir}/tokenizer.json`]) {
      const tok = await loadTokenizer(path);
      assert.equal(tok.name, `hf:${path}`);
      assert.equal(tok.count("the cat sat on the mat."), 7);
      assert.equal(tok.count(tok.truncate("the cat sat on the mat.", 3)), 3);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a bad --tokenizer is a usage error saying what is accepted", async () => {
  await assert.rejects(
    () => loadTokenizer("gpt2"),
    (e: unknown) => e instanceof UsageError && /o200k_base/.test(e.message),
  );
  await assert.rejects(() => loadTokenizer("/nonexistent/tokenizer.json"), UsageError);
});

Deno.test("a tokenizer that encodes every text to no tokens is refused (exit 2)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const json = {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: [],
      // Every character is normalised away: nothing is left to encode.
      normalizer: { type: "Replace", pattern: { Regex: "[\\s\\S]" }, content: "" },
      pre_tokenizer: { type: "Whitespace" },
      post_processor: null,
      decoder: null,
      model: { type: "WordLevel", vocab: { "[UNK]": 0, the: 1 }, unk_token: "[UNK]" },
    };
    await Deno.writeTextFile(`${dir}/tokenizer.json`, JSON.stringify(json));
    await assert.rejects(
      () => loadTokenizer(dir),
      (e: unknown) => e instanceof ConfigError && e.exitCode === 2 && /to 0 tokens/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
