import assert from "node:assert/strict";
import { fnv1a, Prng } from "../../util/prng.ts";
import {
  countTokens,
  generatePieces,
  piecesToText,
  pieceText,
  tokenIds,
  tokenize,
  VOCAB_SIZE,
} from "../../server/tokenizer.ts";

Deno.test("tokenize: words and single punctuation characters", () => {
  assert.deepEqual(tokenize("Hello, world!  I'm here_now\t42."), [
    "Hello",
    ",",
    "world",
    "!",
    "I",
    "'",
    "m",
    "here_now",
    "42",
    ".",
  ]);
  assert.deepEqual(tokenize(""), []);
  assert.deepEqual(tokenize(" \n\t "), []);
  assert.deepEqual(tokenize("a\u00a0b"), ["a", "b"]);
});

Deno.test("tokenIds: FNV-1a of each token modulo the vocabulary, same count as tokenize", () => {
  const text = "The quick, brown fox... jumps; over 13 lazy_dogs?";
  const tokens = tokenize(text);
  const ids = tokenIds(text);
  assert.equal(ids.length, tokens.length);
  assert.equal(countTokens(text), tokens.length);
  assert.deepEqual(ids, tokens.map((t) => fnv1a(t) % VOCAB_SIZE));
  for (const id of ids) assert.ok(id >= 0 && id < VOCAB_SIZE);
  assert.deepEqual(tokenIds(text), ids, "stable across calls");
});

Deno.test("Prng: same seed same sequence, different seed different sequence, values in range", () => {
  const a = new Prng(42);
  const b = new Prng(42);
  const c = new Prng(43);
  const xa = Array.from({ length: 100 }, () => a.next());
  const xb = Array.from({ length: 100 }, () => b.next());
  const xc = Array.from({ length: 100 }, () => c.next());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, xc);
  for (const x of xa) assert.ok(x >= 0 && x < 1);
  const mean = xa.reduce((s, x) => s + x, 0) / xa.length;
  assert.ok(mean > 0.35 && mean < 0.65, `mean ${mean}`);
  assert.match(new Prng(1).hex(32), /^[0-9a-f]{32}$/);
});

Deno.test("generated text re-tokenizes to exactly the requested count", () => {
  for (const n of [1, 2, 3, 17, 100, 1000]) {
    const pieces = generatePieces(new Prng(n), n);
    assert.equal(pieces.length, n);
    const text = piecesToText(pieces);
    assert.equal(countTokens(text), n, `n=${n}: ${text.slice(0, 80)}`);
    assert.ok(!pieceText(pieces[0]).startsWith(" "), "first piece has no leading space");
    for (let k = 1; k < n; k++) {
      const p = pieceText(pieces[k]);
      assert.ok(p.startsWith(" ") || /^[^\w\s]$/.test(p), `piece ${k} ${JSON.stringify(p)}`);
    }
  }
  assert.equal(
    piecesToText(generatePieces(new Prng(9), 50)),
    piecesToText(generatePieces(new Prng(9), 50)),
  );
  assert.notEqual(
    piecesToText(generatePieces(new Prng(9), 50)),
    piecesToText(generatePieces(new Prng(10), 50)),
  );
});
