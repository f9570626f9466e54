/**
 * Plain number formatting every layer may use in the text it produces.
 *
 * @module
 */

/** A number with `digits` decimals, or `n/a` when it is not finite. */
export function fixed(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "n/a";
}
