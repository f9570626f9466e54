/**
 * The word tokenizer FakeAI counts with: a token is a run of word characters (`[A-Za-z0-9_]`)
 * or one other non-space character, as FakeAI's `tokenize_text`. A token's id is the FNV-1a
 * hash of its text modulo {@linkcode VOCAB_SIZE}. The embedded server counts prompt and output
 * tokens with it; the client uses it to build prompts of exact length for that server, and as
 * the flagged approximate count for models no tokenizer fits.
 *
 * @module
 */

/** Size of the token id space. */
export const VOCAB_SIZE = 50000;

/** True for a word character (`[A-Za-z0-9_]`) code unit. */
export function isWord(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** True for a white-space code unit (as Python's `\s`). */
export function isSpace(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 ||
    c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * Split text into tokens.
 *
 * @param text any text.
 * @returns the tokens in order.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if (isWord(c)) {
      let j = i + 1;
      while (j < n && isWord(text.charCodeAt(j))) j++;
      out.push(text.slice(i, j));
      i = j;
    } else {
      out.push(text[i]);
      i++;
    }
  }
  return out;
}

/**
 * Token ids of a text, without building the token strings.
 *
 * @param text any text.
 * @param sink ids are appended here.
 * @returns `sink`.
 */
export function tokenIds(text: string, sink: number[] = []): number[] {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    let h = Math.imul(0x811c9dc5 ^ c, 0x01000193);
    i++;
    if (isWord(c)) {
      while (i < n) {
        const d = text.charCodeAt(i);
        if (!isWord(d)) break;
        h = Math.imul(h ^ d, 0x01000193);
        i++;
      }
    }
    sink.push((h >>> 0) % VOCAB_SIZE);
  }
  return sink;
}

/**
 * Number of tokens in a text.
 *
 * @param text any text.
 * @returns the token count.
 */
export function countTokens(text: string): number {
  const n = text.length;
  let count = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if (isWord(c)) {
      i++;
      while (i < n && isWord(text.charCodeAt(i))) i++;
      count++;
    } else {
      i++;
      count++;
    }
  }
  return count;
}
