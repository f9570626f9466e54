/**
 * The kv-cache suite, registered: its tests, reports, metrics, bands, the guide's promises and
 * its JSON Schema.
 *
 * @module
 */

import type { SuiteDefinition } from "../definition.ts";
import type { KvCacheExtra } from "./result.ts";
import { kvCacheSuite } from "./tests.ts";
import { KV_CACHE_REPORTER } from "./report.ts";
import { KV_CACHE_BANDS, KV_CACHE_GUIDE, KV_CACHE_METRICS } from "./analysis.ts";

/** The kv-cache suite: prefix-cache hits, token reuse, TTFT saved, and the router. */
export const KV_CACHE: SuiteDefinition<KvCacheExtra> = {
  name: "kv-cache",
  aliases: ["kv", "cache", "kv_cache"],
  create: () => kvCacheSuite,
  reporter: KV_CACHE_REPORTER,
  metrics: KV_CACHE_METRICS,
  bands: KV_CACHE_BANDS,
  guide: KV_CACHE_GUIDE,
  schema: new URL("./kv_cache_results.schema.json", import.meta.url),
};
