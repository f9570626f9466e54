/**
 * The built-in corpus: generated English-like text, no download. Synthetic prompts are cut
 * from it to exact token counts, trace blocks are made of it, and `--dataset builtin` draws
 * conversations from it with ShareGPT-like lengths.
 *
 * @module
 */

import { combine32, Prng } from "../util/prng.ts";
import type { Tokenizer } from "./tokenizer.ts";

/** The corpus vocabulary: common words, so every tokenizer sees ordinary text. */
const VOCAB = (
  "time year people way day man thing woman life child world school state family student " +
  "group country problem hand part place case week company system program question work " +
  "government number night point home water room mother area money story fact month lot " +
  "right study book eye job word business issue side kind head house service friend father " +
  "power hour game line end member law car city community name president team minute idea " +
  "kid body information back parent face others level office door health person art war " +
  "history party result change morning reason research girl guy moment air teacher force " +
  "education foot boy age policy process music market sense nation plan college interest " +
  "death experience effect use class control care field development role effort rate heart " +
  "drug show leader light voice wife police mind price report decision son view relationship " +
  "town road arm difference value building action model season society tax director position " +
  "player record paper space ground form event official matter center couple site project " +
  "activity star table need court oil situation cost industry figure street image phone data " +
  "picture practice piece land product doctor wall patient worker news test movie north love " +
  "support technology step baby computer type attention film tree source organization hair " +
  "window evidence population truth sound bank river garden ocean harbor valley meadow island " +
  "canyon desert glacier forest mountain bridge engine signal network memory server request " +
  "stream answer window budget kernel vector matrix layer tensor batch queue token cache " +
  "be have do say go get make know think take see come want look use find give tell ask " +
  "seem feel try leave call keep let begin help talk turn start show hear play run move like " +
  "live believe hold bring happen write provide sit stand lose pay meet include continue set " +
  "learn lead understand watch follow stop create speak read allow add spend grow open walk " +
  "win offer remember consider appear buy wait serve die send expect build stay fall cut " +
  "reach kill remain suggest raise pass sell require decide return explain hope develop carry " +
  "break receive agree support hit produce eat cover catch draw choose measure compare " +
  "good new first last long great little own other old right big high different small large " +
  "next early young important few public bad same able late hard major better economic strong " +
  "possible whole free military true federal international full special easy clear recent " +
  "certain personal open red difficult available likely short single medical current wrong " +
  "private past foreign fine common poor natural significant similar hot dead central happy " +
  "serious ready simple left physical general environmental financial blue democratic dark " +
  "quick steady bright quiet careful gentle clever patient honest curious nimble calm " +
  "very often still also just well now then here there always never sometimes together " +
  "quickly slowly carefully almost already perhaps instead however indeed rather quite"
).split(" ");

/** Sentence joints between words. */
const JOINTS = [" the ", " a ", " and ", " of ", " to ", " in ", " with ", " for ", " on "];

/** Number of words in the corpus vocabulary. */
export const VOCAB_SIZE = VOCAB.length;

/**
 * Generated text of about `words` words, deterministic for the generator's state: sentences of
 * 6 to 20 words, capitalised, ending in a full stop, separated by single spaces.
 */
export function corpusText(rng: Prng, words: number): string {
  const parts: string[] = [];
  let left = words;
  while (left > 0) {
    const len = Math.min(left, 6 + rng.int(15));
    let s = "";
    for (let k = 0; k < len; k++) {
      const w = VOCAB[rng.int(VOCAB.length)];
      if (k === 0) s = w[0].toUpperCase() + w.slice(1);
      else s += (rng.int(4) === 0 ? JOINTS[rng.int(JOINTS.length)] : " ") + w;
    }
    parts.push(s + ".");
    left -= len;
  }
  return parts.join(" ");
}

/** A prompt built to a token count, and the count it really has. */
export interface BuiltText {
  /** The text. */
  text: string;
  /** Its token count in the tokenizer it was built for. */
  tokens: number;
}

/**
 * Text of exactly `n` tokens in a tokenizer, deterministic for a seed and key: generated
 * corpus text cut to `n` tokens. Different keys start with different words, so two prompts
 * share no prefix by accident. When the cut re-tokenizes short (rare with BPE), words are
 * added and the cut retried; the returned count says what was reached.
 *
 * @param tok the tokenizer to count with.
 * @param n tokens wanted (at least 1).
 * @param seed the run's seed.
 * @param key what makes this text differ from others (request index, block hash…).
 */
export function textOfTokens(tok: Tokenizer, n: number, seed: number, key: number): BuiltText {
  const rng = new Prng(combine32(seed, key));
  // Every word is at least one token, so n words always hold n tokens.
  let text = corpusText(rng, n + 4);
  let best: BuiltText = { text: "", tokens: 0 };
  for (let attempt = 0; attempt < 4; attempt++) {
    const cut = tok.truncate(text, n);
    const c = tok.count(cut);
    if (c === n) return { text: cut, tokens: c };
    if (c > best.tokens && c <= n) best = { text: cut, tokens: c };
    text += " " + corpusText(rng, n - c + 4);
  }
  return best;
}
