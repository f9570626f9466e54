/**
 * Server-side counters and their Prometheus text exposition (`GET /metrics`).
 *
 * Every counter is a number or a map with a fixed, small set of keys, so the
 * metrics stay bounded however long the server runs.
 *
 * @module
 */

/** Kinds of injected faults. */
export type FaultKind = "error" | "disconnect" | "stall" | "malformed";

/** Routes counted separately; anything else is counted as "other". */
export const KNOWN_ROUTES: readonly string[] = [
  "/health",
  "/v1/models",
  "/v1/chat/completions",
  "/kv-cache/metrics",
  "/kv-cache/reset",
  "/metrics",
  "/engine/prediction",
];

/** Resident memory of this process: VmRSS and RssAnon from /proc when readable. */
export interface ProcessMemory {
  /** Resident set size in bytes. */
  rss: number;
  /** Anonymous resident memory in bytes, or null when /proc is not readable. */
  rssAnon: number | null;
}

const PROC_KB = /^(VmRSS|RssAnon):\s+(\d+)\s+kB/gm;

/** Read this process's memory from /proc/self/status, falling back to `Deno.memoryUsage()`. */
export function processMemory(): ProcessMemory {
  try {
    const text = Deno.readTextFileSync("/proc/self/status");
    let rss = -1;
    let rssAnon: number | null = null;
    PROC_KB.lastIndex = 0;
    for (const m of text.matchAll(PROC_KB)) {
      if (m[1] === "VmRSS") rss = Number(m[2]) * 1024;
      else rssAnon = Number(m[2]) * 1024;
    }
    if (rss >= 0) return { rss, rssAnon };
  } catch {
    // fall through to the runtime's figure
  }
  return { rss: Deno.memoryUsage().rss, rssAnon: null };
}

/** Counters of the embedded server. */
export class ServerMetrics {
  /** HTTP responses by `route status`. */
  readonly http = new Map<string, number>();
  /** Chat completion requests accepted for generation. */
  chatRequests = 0;
  /** Of those, streaming ones. */
  streamingRequests = 0;
  /** Prompt tokens of generated chat requests. */
  promptTokens = 0;
  /** Prompt tokens spent on images (counted in `promptTokens` too). */
  imageTokens = 0;
  /** Completion tokens actually produced. */
  completionTokens = 0;
  /** Prompt tokens served from the KV cache. */
  cachedTokens = 0;
  /** Chat requests being generated now. */
  activeRequests = 0;
  /** SSE streams open now. */
  activeStreams = 0;
  /** Streams that ended with `[DONE]`. */
  completedStreams = 0;
  /** Streams cut by a fault, a client disconnect or shutdown. */
  failedStreams = 0;
  /** Injected faults by kind. */
  readonly faults: Record<FaultKind, number> = { error: 0, disconnect: 0, stall: 0, malformed: 0 };
  /** Bytes deliberately retained by the leak mode. */
  leakedBytes = 0;
  /** Server start, seconds since the epoch. */
  readonly startTimeS = Date.now() / 1000;

  /** Count one HTTP response. */
  countHttp(path: string, status: number): void {
    const route = KNOWN_ROUTES.includes(path) ? path : "other";
    const key = `${route} ${status}`;
    this.http.set(key, (this.http.get(key) ?? 0) + 1);
  }

  /**
   * Prometheus text format (version 0.0.4) of every counter.
   *
   * @param kv cache counters to include.
   * @returns the exposition text, ending with a newline.
   */
  prometheus(kv: { hits: number; misses: number; distinctBlocks: number }): string {
    const mem = processMemory();
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, lines: string[]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
    };
    metric("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", [
      `process_resident_memory_bytes ${mem.rss}`,
    ]);
    if (mem.rssAnon !== null) {
      metric(
        "fakeai_process_rss_anon_bytes",
        "gauge",
        "Anonymous resident memory (RssAnon) in bytes.",
        [
          `fakeai_process_rss_anon_bytes ${mem.rssAnon}`,
        ],
      );
    }
    const heap = Deno.memoryUsage();
    metric("fakeai_process_heap_used_bytes", "gauge", "V8 heap in use in bytes.", [
      `fakeai_process_heap_used_bytes ${heap.heapUsed}`,
    ]);
    metric(
      "process_start_time_seconds",
      "gauge",
      "Start time of the server since the epoch in seconds.",
      [
        `process_start_time_seconds ${this.startTimeS.toFixed(3)}`,
      ],
    );
    const http = [...this.http.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, n]) => {
      const [route, code] = key.split(" ");
      return `fakeai_http_requests_total{route="${route}",code="${code}"} ${n}`;
    });
    metric(
      "fakeai_http_requests_total",
      "counter",
      "HTTP responses by route and status code.",
      http,
    );
    metric("fakeai_chat_requests_total", "counter", "Chat completion requests generated.", [
      `fakeai_chat_requests_total ${this.chatRequests}`,
    ]);
    metric(
      "fakeai_chat_streaming_requests_total",
      "counter",
      "Streaming chat completion requests.",
      [
        `fakeai_chat_streaming_requests_total ${this.streamingRequests}`,
      ],
    );
    metric("fakeai_prompt_tokens_total", "counter", "Prompt tokens of chat requests.", [
      `fakeai_prompt_tokens_total ${this.promptTokens}`,
    ]);
    metric(
      "fakeai_image_tokens_total",
      "counter",
      "Prompt tokens spent on images (part of fakeai_prompt_tokens_total).",
      [`fakeai_image_tokens_total ${this.imageTokens}`],
    );
    metric("fakeai_completion_tokens_total", "counter", "Completion tokens produced.", [
      `fakeai_completion_tokens_total ${this.completionTokens}`,
    ]);
    metric("fakeai_cached_tokens_total", "counter", "Prompt tokens served from the KV cache.", [
      `fakeai_cached_tokens_total ${this.cachedTokens}`,
    ]);
    metric("fakeai_kv_cache_hits_total", "counter", "Chat requests with cached tokens.", [
      `fakeai_kv_cache_hits_total ${kv.hits}`,
    ]);
    metric("fakeai_kv_cache_misses_total", "counter", "Chat requests without cached tokens.", [
      `fakeai_kv_cache_misses_total ${kv.misses}`,
    ]);
    metric("fakeai_kv_cache_blocks", "gauge", "Distinct blocks cached on at least one worker.", [
      `fakeai_kv_cache_blocks ${kv.distinctBlocks}`,
    ]);
    metric("fakeai_active_requests", "gauge", "Chat requests being generated.", [
      `fakeai_active_requests ${this.activeRequests}`,
    ]);
    metric("fakeai_active_streams", "gauge", "Open SSE streams.", [
      `fakeai_active_streams ${this.activeStreams}`,
    ]);
    metric("fakeai_streams_completed_total", "counter", "Streams that ended with [DONE].", [
      `fakeai_streams_completed_total ${this.completedStreams}`,
    ]);
    metric("fakeai_streams_failed_total", "counter", "Streams cut before [DONE].", [
      `fakeai_streams_failed_total ${this.failedStreams}`,
    ]);
    metric(
      "fakeai_injected_faults_total",
      "counter",
      "Injected faults by kind.",
      (Object.keys(this.faults) as FaultKind[]).map((k) =>
        `fakeai_injected_faults_total{kind="${k}"} ${this.faults[k]}`
      ),
    );
    metric(
      "fakeai_leaked_bytes",
      "gauge",
      "Bytes retained on purpose by --leak-bytes-per-request.",
      [
        `fakeai_leaked_bytes ${this.leakedBytes}`,
      ],
    );
    return out.join("\n") + "\n";
  }
}
