/**
 * The suite registry: every suite of this build, in run order. Adding a suite is one folder
 * (`suites/<name>/`) and one line here; `tests/suites/registry_test.ts` fails when a registered
 * suite lacks a piece.
 *
 * @module
 */

import { UsageError } from "../util/errors.ts";
import { Catalogue } from "../analysis/catalogue.ts";
import type { SuiteDefinition } from "./definition.ts";
import { THROUGHPUT } from "./throughput/mod.ts";
import { KV_CACHE } from "./kv_cache/mod.ts";
import { CONCURRENT } from "./concurrent/mod.ts";
import { MEMORY } from "./memory/mod.ts";

export type { SuiteDefinition };

/** Every suite, in the order a run runs them. */
export const SUITES: readonly SuiteDefinition[] = [THROUGHPUT, KV_CACHE, CONCURRENT, MEMORY];

/** Every suite's name, in run order. */
export const SUITE_NAMES: readonly string[] = SUITES.map((s) => s.name);

/** The metric catalogue of every suite. */
export const CATALOGUE: Catalogue = new Catalogue(SUITES);

/** A suite by its canonical name (undefined for one this build lacks). */
export function suiteNamed(name: string): SuiteDefinition | undefined {
  return SUITES.find((s) => s.name === name);
}

/**
 * The canonical name of a suite as typed (`kv-cache`, `kv_cache`, `kv`…). Throws
 * {@linkcode UsageError} naming the choices when none matches.
 */
export function parseSuiteName(raw: string): string {
  const key = raw.trim().toLowerCase();
  const hit = SUITES.find((s) => s.name === key || s.name === key.replace(/_/g, "-")) ??
    SUITES.find((s) => s.aliases.includes(key));
  if (!hit) throw new UsageError(`unknown suite '${raw}'; choose from ${SUITE_NAMES.join(", ")}`);
  return hit.name;
}
