/**
 * The concurrent suite, registered: its tests, reports, metrics, bands, the guide's promises
 * and its JSON Schema.
 *
 * @module
 */

import type { SuiteDefinition } from "../definition.ts";
import type { ConcurrentExtra } from "./result.ts";
import { concurrentSuite } from "./tests.ts";
import { CONCURRENT_REPORTER } from "./report.ts";
import { CONCURRENT_BANDS, CONCURRENT_GUIDE, CONCURRENT_METRICS } from "./analysis.ts";

/** The concurrent suite: latency and errors from 10 to 200+ connections, and a sustained rate. */
export const CONCURRENT: SuiteDefinition<ConcurrentExtra> = {
  name: "concurrent",
  aliases: [],
  create: (o) => concurrentSuite(o),
  reporter: CONCURRENT_REPORTER,
  metrics: CONCURRENT_METRICS,
  bands: CONCURRENT_BANDS,
  guide: CONCURRENT_GUIDE,
  schema: new URL("./concurrent_results.schema.json", import.meta.url),
};
