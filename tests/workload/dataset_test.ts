import assert from "node:assert/strict";
import {
  builtinDataset,
  parseJsonl,
  parseShareGpt,
  readDataset,
  sampleDataset,
  topLevelOffsets,
} from "../../workload/dataset.ts";
import { wordTokenizer } from "../../workload/tokenizer.ts";
import { ConfigError } from "../../util/errors.ts";

const tok = wordTokenizer(true);

const SHAREGPT = `[
  {"id": "a", "conversations": [
    {"from": "human", "value": "What is a connection pool?"},
    {"from": "gpt", "value": "A set of open connections kept for reuse by later requests."}
  ]},
  {"id": "b", "conversations": [
    {"from": "system", "value": "Be brief."},
    {"from": "human", "value": "Name three rivers of Europe please."},
    {"from": "gpt", "value": "Danube, Rhine, Loire."},
    {"from": "human", "value": "And one more?"}
  ]},
  {"id": "c", "conversations": [{"from": "gpt", "value": "no question here"}]}
]`;

Deno.test("ShareGPT: user turns, system message and the reply's length; entries without a user turn counted", () => {
  const ds = parseShareGpt("s.json", SHAREGPT, tok);
  assert.equal(ds.entries.length, 2);
  assert.deepEqual(ds.entries[0].turns, ["What is a connection pool?"]);
  assert.equal(
    ds.entries[0].outputLen,
    tok.count(
      "A set of open connections kept for reuse by later requests.",
    ),
  );
  assert.equal(ds.entries[1].system, "Be brief.");
  assert.equal(ds.entries[1].turns.length, 2);
  assert.equal(ds.entries[1].source, "s.json:6 (entry 1)");
  assert.deepEqual(ds.unusable, { "no user turn": 1 });
});

Deno.test("a malformed ShareGPT file names the file, line and reason", () => {
  const bad =
    `[\n  {"conversations": [{"from": "human", "value": "ok"}]},\n  {"conversations": [{"from": "human"}]}\n]`;
  assert.throws(
    () => parseShareGpt("bad.json", bad, tok),
    (e: unknown) =>
      e instanceof ConfigError && /bad\.json/.test(e.message) &&
      /line 3 \(entry 1\)/.test(e.message) &&
      /"from" and "value"/.test(e.message),
  );
  assert.throws(
    () => parseShareGpt("x.json", `[\n{"conversations": [}\n]`, tok),
    (e: unknown) => e instanceof ConfigError && /x\.json:2: not valid JSON/.test(e.message),
  );
  assert.throws(() => parseShareGpt("o.json", `{"a": 1}`, tok), ConfigError);
});

Deno.test("JSONL: prompt or messages, optional output_len; problems name their line", () => {
  const ds = parseJsonl(
    "d.jsonl",
    `{"prompt": "one two three", "output_len": 12}\n\n{"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi there"}]}\n`,
  );
  assert.equal(ds.entries.length, 2);
  assert.equal(ds.entries[0].outputLen, 12);
  assert.equal(ds.entries[1].system, "sys");
  assert.equal(ds.entries[1].source, "d.jsonl:3");
  assert.throws(
    () =>
      parseJsonl(
        "e.jsonl",
        `{"prompt": "ok"}\n{"prompt": 5}\nnot json\n{"prompt": "x", "output_len": 0}`,
      ),
    (e: unknown) =>
      e instanceof ConfigError && /line 2: needs a "prompt"/.test(e.message) &&
      /line 3: not valid JSON/.test(e.message) && /line 4: output_len/.test(e.message),
  );
});

Deno.test("top-level offsets find each array element, strings and nesting skipped", () => {
  const text = `[ {"a": "[x, y]"}, [1, 2], "s,t" ]`;
  const offs = topLevelOffsets(text);
  assert.deepEqual(offs.map((o) => text[o]), ["{", "[", '"']);
});

Deno.test("sampling is deterministic for a seed, filters by length and reports what it skipped", () => {
  const ds = builtinDataset(0);
  const a = sampleDataset(ds, 50, 1, tok, { minInput: 20, maxInput: 200 });
  const b = sampleDataset(ds, 50, 1, tok, { minInput: 20, maxInput: 200 });
  const c = sampleDataset(ds, 50, 2, tok, { minInput: 20, maxInput: 200 });
  assert.deepEqual(a.entries.map((e) => e.source), b.entries.map((e) => e.source));
  assert.notDeepEqual(a.entries.map((e) => e.source), c.entries.map((e) => e.source));
  assert.ok(a.entries.every((e) => e.inputTokens >= 20 && e.inputTokens <= 200));
  const skipped = Object.values(a.skipped).reduce((x, y) => x + y, 0);
  assert.ok(skipped > 0, "the builtin corpus has prompts outside 20..200 tokens");
  assert.equal(a.reused, false);
  assert.equal(a.available, 1000);
});

Deno.test("too few usable entries are reused and said so; none at all is an error", () => {
  const ds = parseJsonl("d.jsonl", `{"prompt": "a b c d e"}\n{"prompt": "f g h i j k"}`);
  const s = sampleDataset(ds, 5, 1, tok, { minInput: 1, maxInput: 100 });
  assert.equal(s.entries.length, 5);
  assert.equal(s.reused, true);
  assert.throws(() => sampleDataset(ds, 5, 1, tok, { minInput: 50, maxInput: 100 }), ConfigError);
});

Deno.test("a folder of text files is a dataset, one prompt per file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/b.txt`, "second prompt text");
    await Deno.writeTextFile(`${dir}/a.txt`, "first prompt text");
    await Deno.writeTextFile(`${dir}/empty.txt`, "  ");
    await Deno.writeTextFile(`${dir}/skip.bin`, "x");
    const ds = await readDataset(dir, tok, 1);
    assert.equal(ds.format, "text-folder");
    assert.deepEqual(ds.entries.map((e) => e.turns[0]), [
      "first prompt text",
      "second prompt text",
    ]);
    assert.deepEqual(ds.unusable, { "empty file": 1 });
    await assert.rejects(() => readDataset(`${dir}/missing.json`, tok, 1), ConfigError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
