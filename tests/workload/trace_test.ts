import assert from "node:assert/strict";
import { parseTrace, TRACE_BLOCK_TOKENS, TracePrompts } from "../../workload/trace.ts";
import { loadTokenizer, wordTokenizer } from "../../workload/tokenizer.ts";
import { ConfigError } from "../../util/errors.ts";

const TRACE = [
  { timestamp: 1000, input_length: 700, output_length: 10, hash_ids: [1, 2] },
  { timestamp: 1500, input_length: 1024, output_length: 20, hash_ids: [1, 2] },
  { timestamp: 1200, input_length: 300, output_length: 5, hash_ids: [3] },
  { timestamp: 2000, input_length: 40, output_length: 5 },
].map((o) => JSON.stringify(o)).join("\n");

Deno.test("a Mooncake trace parses into arrival offsets from its first request, in time order", () => {
  const reqs = parseTrace("t.jsonl", TRACE);
  assert.deepEqual(reqs.map((r) => r.atMs), [0, 200, 500, 1000]);
  assert.deepEqual(reqs[1].hashIds, [3]);
  assert.deepEqual(reqs[3].hashIds, []);
});

Deno.test("a malformed trace names the file, line and reason", () => {
  const bad = [
    `{"timestamp": 0, "input_length": 10, "output_length": 1}`,
    `{"timestamp": "x", "input_length": 10, "output_length": 1}`,
    `{"timestamp": 5, "input_length": 2000, "output_length": 1, "hash_ids": [1]}`,
    `{oops`,
  ].join("\n");
  assert.throws(
    () => parseTrace("bad.jsonl", bad),
    (e: unknown) =>
      e instanceof ConfigError && /bad\.jsonl/.test(e.message) &&
      /line 2: timestamp/.test(e.message) &&
      /line 3: input_length 2000 is more than 1 blocks/.test(e.message) &&
      /line 4: not valid JSON/.test(e.message),
  );
  assert.throws(() => parseTrace("empty.jsonl", "\n\n"), ConfigError);
});

for (const name of ["words", "o200k_base"]) {
  Deno.test(`${name}: requests with the same hash ids share a prompt prefix of whole blocks`, async () => {
    const tok = name === "words" ? wordTokenizer(true) : await loadTokenizer(name);
    const p = new TracePrompts(tok, 42);
    const reqs = parseTrace("t.jsonl", TRACE);
    const a = p.prompt(reqs[0], 0); // blocks 1, 2 (700 tokens)
    const b = p.prompt(reqs[2], 2); // blocks 1, 2 (1024 tokens)
    const c = p.prompt(reqs[1], 1); // block 3
    assert.equal(a.tokens, 700);
    assert.equal(b.tokens, 1024);
    assert.equal(c.tokens, 300);
    const block1 = tok.truncate(b.text, TRACE_BLOCK_TOKENS);
    assert.ok(a.text.startsWith(block1), "the first block is the same text");
    assert.ok(!c.text.startsWith(block1.slice(0, 40)), "another hash is other text");
    assert.equal(p.blocks, 3);
    const own = p.prompt(reqs[3], 3);
    assert.equal(own.tokens, 40);
  });
}

Deno.test("a trace spanning more than its limit is refused, not replayed for ages", () => {
  const line = (ts: number) =>
    JSON.stringify({ timestamp: ts, input_length: 8, output_length: 4, hash_ids: [1] });
  assert.throws(
    () => parseTrace("gap.jsonl", `${line(0)}\n${line(1e15)}\n`),
    /spans .* days/,
  );
  assert.equal(parseTrace("ok.jsonl", `${line(0)}\n${line(86_400_000)}\n`).length, 2);
});
