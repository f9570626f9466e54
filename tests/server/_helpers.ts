/**
 * Shared helpers of the server tests: start a server, send chat requests, split SSE.
 *
 * @module
 */

import { type RunningServer, startServer } from "../../server/mod.ts";
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from "../../server/options.ts";

/** Start an in-process server on a free port with some options changed. */
export function start(overrides: Partial<ServerOptions> = {}): Promise<RunningServer> {
  return startServer({ ...DEFAULT_SERVER_OPTIONS, profile: "constant", port: 0, ...overrides });
}

/** Run `fn` against a fresh server and always shut it down. */
export async function withServer(
  overrides: Partial<ServerOptions>,
  fn: (server: RunningServer) => Promise<void>,
): Promise<void> {
  const server = await start(overrides);
  try {
    await fn(server);
  } finally {
    await server.shutdown();
  }
}

/** A chat request body with one user message. */
export function chatBody(
  content: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    model: "meta-llama/Llama-3.1-8B-Instruct",
    messages: [{ role: "user", content }],
    ...extra,
  };
}

/** POST a JSON body (or raw string) to the chat endpoint. */
export function postChat(
  server: RunningServer,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** One SSE event with the time its bytes arrived. */
export interface TimedEvent {
  /** The text after `data: `. */
  data: string;
  /** `performance.now()` when the read that completed it returned. */
  at: number;
}

/**
 * Read an SSE body, checking that every event is exactly `data: ...\n\n`.
 *
 * @returns the events, and whether the body ended cleanly.
 */
export async function readEvents(
  res: Response,
): Promise<{ events: TimedEvent[]; cut: boolean; rest: string }> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: TimedEvent[] = [];
  let buf = "";
  let cut = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const at = performance.now();
      buf += value;
      let i: number;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const raw = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (!raw.startsWith("data: ") || raw.includes("\n")) {
          throw new Error(`bad SSE event: ${JSON.stringify(raw)}`);
        }
        events.push({ data: raw.slice(6), at });
      }
    }
  } catch (err) {
    if (err instanceof Error && err.message.startsWith("bad SSE event")) throw err;
    cut = true;
  }
  return { events, cut, rest: buf };
}

/** Median of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Parse a Prometheus text exposition into `name{labels}` -> value, checking every line. */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const sample =
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? (-?[0-9.eE+]+|NaN|\+Inf|-Inf)$/;
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const m = sample.exec(line);
    if (m === null) throw new Error(`bad Prometheus line: ${line}`);
    out.set(m[1] + (m[2] ?? ""), Number(m[3]));
  }
  return out;
}

/** Read `/metrics` parsed. */
export async function scrape(server: RunningServer): Promise<Map<string, number>> {
  const res = await fetch(`${server.url}/metrics`);
  return parsePrometheus(await res.text());
}

/** Read `/kv-cache/metrics`. */
export async function kvMetrics(server: RunningServer): Promise<
  {
    cache_performance: Record<string, number> & {
      endpoint_stats: Record<string, { hits: number; misses: number }>;
    };
    smart_router: {
      workers: Record<
        string,
        {
          active_requests: number;
          total_requests: number;
          cached_blocks: number;
          tokens_processed: number;
        }
      >;
      radix_tree: { total_nodes: number; total_cached_blocks: number };
      config: Record<string, number>;
    };
  }
> {
  const res = await fetch(`${server.url}/kv-cache/metrics`);
  return await res.json();
}

/** A text of exactly `n` tokens, distinct per `tag`. */
export function words(n: number, tag: string): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`${tag}${i}`);
  return out.join(" ");
}
