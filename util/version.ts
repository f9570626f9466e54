/**
 * The program's name and version, as every output states them.
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };

/** The tool's version, from `deno.json`. */
export const VERSION: string = denoJson.version;

/** Program name used in messages. */
export const PROGRAM = "fakeai-bench";
