/**
 * The deterministic tokenizer and text generator of the embedded server.
 *
 * A token is a run of word characters (`[A-Za-z0-9_]`) or one other non-space
 * character, as FakeAI's `tokenize_text`. A token's id is the FNV-1a hash of
 * its text modulo 50000. Generated text re-tokenizes to exactly the number of
 * tokens asked for.
 *
 * @module
 */

import type { Prng } from "../util/prng.ts";

export { countTokens, tokenIds, tokenize, VOCAB_SIZE } from "../util/words.ts";

const WORDS = (
  "the of and to in is that it for on with as was be by this are from at or an have not " +
  "they which one you had but all were we there can been has more if will would their what " +
  "about when so who time into only some could them other then its than now over also after " +
  "first two any way these may like use such most where through new just well very because " +
  "system model token cache server request stream latency memory worker prefix block " +
  "throughput router batch queue answer result value data signal process thread kernel " +
  "vector matrix layer tensor engine report metric sample window budget network packet " +
  "river mountain forest garden ocean harbor valley meadow island canyon desert glacier " +
  "quick steady bright quiet simple careful gentle clever patient honest curious nimble " +
  "build measure compare explain improve balance predict observe describe consider " +
  "record prepare arrange deliver collect connect protect provide support require"
).split(" ");

const PUNCT = [",", ".", ",", ";", ":", "."];

/** Text of every generated piece: each word bare, each word with a leading space, then punctuation. */
const PIECES: string[] = [];
for (const w of WORDS) PIECES.push(w, " " + w);
const PUNCT_BASE = PIECES.length;
for (const p of PUNCT) PIECES.push(p);

/** JSON string literals of every piece, computed once. */
const PIECES_JSON: string[] = PIECES.map((p) => JSON.stringify(p));

/**
 * Choose `count` pieces of generated text; each piece is exactly one token.
 *
 * @param rng the generator to draw from.
 * @param count number of tokens to produce.
 * @returns piece indices into {@linkcode pieceText} / {@linkcode pieceJson}.
 */
export function generatePieces(rng: Prng, count: number): Uint16Array {
  const out = new Uint16Array(count);
  let prevPunct = true;
  for (let k = 0; k < count; k++) {
    const r = rng.nextU32();
    if (!prevPunct && (r & 7) === 0) {
      out[k] = PUNCT_BASE + ((r >>> 3) % PUNCT.length);
      prevPunct = true;
    } else {
      const w = (r >>> 3) % WORDS.length;
      out[k] = k === 0 ? 2 * w : 2 * w + 1;
      prevPunct = false;
    }
  }
  return out;
}

/** The text of a generated piece. */
export function pieceText(index: number): string {
  return PIECES[index];
}

/** The JSON string literal of a generated piece. */
export function pieceJson(index: number): string {
  return PIECES_JSON[index];
}

/**
 * Join generated pieces into text.
 *
 * @param pieces indices from {@linkcode generatePieces}.
 * @returns the text.
 */
export function piecesToText(pieces: Uint16Array): string {
  let s = "";
  for (let k = 0; k < pieces.length; k++) s += PIECES[pieces[k]];
  return s;
}
