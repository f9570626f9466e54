/**
 * Token-length distributions of a workload's input (ISL) and output (OSL): a constant, a
 * uniform range, or a normal or lognormal distribution given by its own mean and standard
 * deviation, clipped to bounds. Draws are integers, deterministic for a seed.
 *
 * Text form (command line and scenario files):
 *
 * | form | meaning |
 * |---|---|
 * | `512` | always 512 |
 * | `uniform:256,1024` | integers 256…1024, equally likely |
 * | `normal:1024,128` | mean 1024, standard deviation 128, clipped to 1… |
 * | `lognormal:1024,512,64,4096` | mean 1024, sd 512, clipped to 64…4096 |
 *
 * @module
 */

import { UsageError } from "../util/errors.ts";
import type { Prng } from "../util/prng.ts";

/** A distribution of token lengths. */
export type LengthDist =
  | {
    /** Always `value`. */
    kind: "constant";
    /** The length. */
    value: number;
  }
  | {
    /** Integers `min`…`max`, equally likely. */
    kind: "uniform";
    /** Smallest length. */
    min: number;
    /** Largest length. */
    max: number;
  }
  | {
    /** Normal or lognormal with this mean and standard deviation, clipped to `min`…`max`. */
    kind: "normal" | "lognormal";
    /** Mean of the distribution (of the lengths, not of their logarithm). */
    mean: number;
    /** Standard deviation of the lengths. */
    stddev: number;
    /** Lower clip (at least 1). */
    min: number;
    /** Upper clip. */
    max: number;
  };

/** The largest length a distribution may produce, a guard against typos like `1e9`. */
export const MAX_LENGTH = 1_000_000;

const KINDS = ["constant", "uniform", "normal", "lognormal"] as const;

function positiveInt(v: number, what: string, where: string): number {
  if (!Number.isInteger(v) || v < 1 || v > MAX_LENGTH) {
    throw new UsageError(`${where}: ${what} must be a whole number 1…${MAX_LENGTH}, got ${v}`);
  }
  return v;
}

/**
 * Read a length distribution from its text form.
 *
 * @param text `512`, `uniform:MIN,MAX`, `normal:MEAN,SD[,MIN,MAX]` or `lognormal:…`.
 * @param where what to name in errors (`--isl`, `tests[0].workload.isl`).
 * @throws {UsageError} when the text is not a valid distribution.
 */
export function parseLength(text: string, where: string): LengthDist {
  const t = text.trim();
  const colon = t.indexOf(":");
  if (colon < 0) {
    const v = Number(t);
    if (t === "" || !Number.isFinite(v)) {
      throw new UsageError(
        `${where}: ${
          JSON.stringify(text)
        } is not a length (try 512, uniform:256,1024 or normal:1024,128)`,
      );
    }
    return { kind: "constant", value: positiveInt(v, "the length", where) };
  }
  const kind = t.slice(0, colon).toLowerCase();
  const nums = t.slice(colon + 1).split(",").map((s) => s.trim());
  const values = nums.map(Number);
  if (nums.some((s) => s === "") || values.some((v) => !Number.isFinite(v))) {
    throw new UsageError(`${where}: ${JSON.stringify(text)} has a value that is not a number`);
  }
  return lengthOf(kind, values, where, text);
}

function lengthOf(kind: string, v: number[], where: string, text: string): LengthDist {
  switch (kind) {
    case "constant":
      if (v.length !== 1) throw new UsageError(`${where}: constant takes one value`);
      return { kind: "constant", value: positiveInt(v[0], "the length", where) };
    case "uniform": {
      if (v.length !== 2) throw new UsageError(`${where}: uniform takes MIN,MAX`);
      const min = positiveInt(v[0], "MIN", where), max = positiveInt(v[1], "MAX", where);
      if (min > max) throw new UsageError(`${where}: MIN ${min} is above MAX ${max}`);
      return { kind: "uniform", min, max };
    }
    case "normal":
    case "lognormal": {
      if (v.length !== 2 && v.length !== 4) {
        throw new UsageError(`${where}: ${kind} takes MEAN,SD or MEAN,SD,MIN,MAX`);
      }
      const [mean, stddev] = v;
      if (!(mean >= 1 && mean <= MAX_LENGTH)) {
        throw new UsageError(`${where}: MEAN must be 1…${MAX_LENGTH}, got ${mean}`);
      }
      if (!(stddev >= 0)) throw new UsageError(`${where}: SD must be 0 or more, got ${stddev}`);
      const min = v.length === 4 ? positiveInt(v[2], "MIN", where) : 1;
      const max = v.length === 4 ? positiveInt(v[3], "MAX", where) : MAX_LENGTH;
      if (min > max) throw new UsageError(`${where}: MIN ${min} is above MAX ${max}`);
      return { kind, mean, stddev, min, max };
    }
    default:
      throw new UsageError(
        `${where}: unknown distribution ${JSON.stringify(text.split(":")[0])} ` +
          `(use one of ${KINDS.join(", ")})`,
      );
  }
}

/**
 * Draw one length.
 *
 * @param d the distribution.
 * @param rng the generator to draw from.
 * @returns a whole number within the distribution's bounds.
 */
export function sampleLength(d: LengthDist, rng: Prng): number {
  switch (d.kind) {
    case "constant":
      return d.value;
    case "uniform":
      return d.min + rng.int(d.max - d.min + 1);
    case "normal":
      return clip(Math.round(d.mean + d.stddev * rng.gaussian()), d.min, d.max);
    case "lognormal": {
      // The parameters of the underlying normal for a lognormal of this mean and sd.
      const s2 = Math.log(1 + (d.stddev * d.stddev) / (d.mean * d.mean));
      const mu = Math.log(d.mean) - s2 / 2;
      return clip(Math.round(Math.exp(mu + Math.sqrt(s2) * rng.gaussian())), d.min, d.max);
    }
  }
}

function clip(v: number, min: number, max: number): number {
  return v < min ? min : v > max ? max : v;
}

/** The largest length a distribution can produce. */
export function maxLength(d: LengthDist): number {
  return d.kind === "constant" ? d.value : d.max;
}

/** The distribution in its text form (`normal:1024,128`), as reports show it. */
export function describeLength(d: LengthDist): string {
  switch (d.kind) {
    case "constant":
      return String(d.value);
    case "uniform":
      return `uniform:${d.min},${d.max}`;
    default:
      return `${d.kind}:${d.mean},${d.stddev}` +
        (d.min === 1 && d.max === MAX_LENGTH ? "" : `,${d.min},${d.max}`);
  }
}
