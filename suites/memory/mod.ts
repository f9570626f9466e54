/**
 * The memory suite, registered: its tests, reports, metrics, bands, the guide's promises and
 * its JSON Schema.
 *
 * @module
 */

import type { SuiteDefinition } from "../definition.ts";
import type { MemoryExtra } from "./result.ts";
import { memorySuite } from "./tests.ts";
import { MEMORY_REPORTER } from "./report.ts";
import { MEMORY_BANDS, MEMORY_GUIDE, MEMORY_METRICS } from "./analysis.ts";

/** The memory suite: the server's memory under open-loop load, per request, and leaks. */
export const MEMORY: SuiteDefinition<MemoryExtra> = {
  name: "memory",
  aliases: ["mem"],
  create: (o) => memorySuite(o.memory),
  reporter: MEMORY_REPORTER,
  metrics: MEMORY_METRICS,
  bands: MEMORY_BANDS,
  guide: MEMORY_GUIDE,
  schema: new URL("./memory_results.schema.json", import.meta.url),
  openLoopOnly: true,
  skippedBy: "--skip-memory",
};
