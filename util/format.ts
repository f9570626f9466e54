/**
 * Plain number formatting every layer may use in the text it produces.
 *
 * @module
 */

/** A number with `digits` decimals, or `n/a` when it is not finite. */
export function fixed(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "n/a";
}

/**
 * Text a server or a file supplied, safe to print and to write: every control character
 * (C0, DEL, C1: escape sequences, line breaks, NUL) becomes U+FFFD, so such text can never
 * move the terminal's cursor, recolour it, or start a new line in a report.
 */
export function visible(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "\uFFFD");
}

/**
 * Text for the terminal: like {@linkcode visible}, but line breaks, tabs and colour codes
 * (SGR sequences `ESC [ … m`) are kept; every other control character, escape sequences that
 * move the cursor or clear the screen among them, becomes U+FFFD.
 */
export function terminalSafe(text: string): string {
  return text.replace(
    // deno-lint-ignore no-control-regex
    /\u001b\[[0-9;]*m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (m) => m.length > 1 ? m : "\uFFFD",
  );
}
