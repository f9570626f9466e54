/**
 * The throughput suite, registered: its tests, reports, metrics, bands, the guide's promises
 * and its JSON Schema.
 *
 * @module
 */

import type { SuiteDefinition } from "../definition.ts";
import { throughputSuite } from "./tests.ts";
import { THROUGHPUT_REPORTER } from "./report.ts";
import { THROUGHPUT_BANDS, THROUGHPUT_GUIDE, THROUGHPUT_METRICS } from "./analysis.ts";

/** The throughput suite: requests and tokens per second, latency, TTFT, TPOT and ITL. */
export const THROUGHPUT: SuiteDefinition = {
  name: "throughput",
  aliases: [],
  create: () => throughputSuite,
  reporter: THROUGHPUT_REPORTER,
  metrics: THROUGHPUT_METRICS,
  bands: THROUGHPUT_BANDS,
  guide: THROUGHPUT_GUIDE,
  schema: new URL("./throughput_results.schema.json", import.meta.url),
  workloadHome: true,
};
