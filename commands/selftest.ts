/**
 * The `selftest` command: how much this host's client costs and how exactly it timestamps,
 * measured against the embedded server (figures 1, 3 and 4 of `deno task perf`).
 *
 * @module
 */

import type { SelftestArgs } from "../cli/args.ts";
import { ExitCode } from "../util/errors.ts";
import {
  type ClientLoadResult,
  measureClientLoad,
  measureSseParse,
  smallBody,
  type SseParseResult,
  ZERO_LATENCY_SERVE_FLAGS,
} from "../engine/selftest.ts";
import { startEmbeddedServer } from "../engine/target.ts";

/** Everything selftest measured. */
export interface SelftestResult {
  /** Non-streaming, 50 connections, zero simulated latency. */
  capacity: ClientLoadResult;
  /** Streaming, 200 streams, 10 ms ITL, stamped chunks. */
  streaming: ClientLoadResult;
  /** SSE parsing on this thread. */
  sse: SseParseResult;
}

/** Hooks for tests: the program entry to re-run for the embedded server. */
export interface SelftestHooks {
  /** Program entry (defaults to the main module). */
  entry?: string;
  /** Where lines go (default console.log). */
  print?: (line: string) => void;
}

/** Run the three measurements. */
export async function runSelftest(
  args: SelftestArgs,
  hooks: SelftestHooks = {},
): Promise<SelftestResult> {
  // Each measurement gets its own embedded server, stopped when it is done.
  const against = async (
    serveArgs: readonly string[],
    measure: (url: string) => Promise<ClientLoadResult>,
  ): Promise<ClientLoadResult> => {
    const server = await startEmbeddedServer({ serveArgs: [...serveArgs], entry: hooks.entry });
    try {
      return await measure(server.url);
    } finally {
      await server.stop();
    }
  };
  const capacity = await against(ZERO_LATENCY_SERVE_FLAGS, (url) =>
    measureClientLoad({
      url,
      http: args.httpClient,
      concurrency: 50,
      seconds: args.seconds,
      body: smallBody(false, 4),
    }));
  const streaming = await against(
    ["--ttft-ms", "0", "--itl-ms", "10", "--stamp-chunks"],
    (url) =>
      measureClientLoad({
        url,
        http: args.httpClient,
        concurrency: 200,
        seconds: args.seconds,
        warmupS: 0.3,
        body: smallBody(true, 50),
        keepStamps: true,
      }),
  );
  const sse = measureSseParse(Math.min(args.seconds, 2));
  return { capacity, streaming, sse };
}

/** Format the selftest report. */
export function selftestReport(args: SelftestArgs, r: SelftestResult): string[] {
  const c = r.capacity, s = r.streaming, ts = s.stamps;
  const n = (x: number, d = 0) =>
    x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
  const lines = [
    `client self-test (${args.httpClient} HTTP client, ${args.seconds} s per measurement; ` +
    "server and client share this host's cores)",
    `  client capacity   ${n(c.rps)} req/s at 50 connections against the embedded server ` +
    `(zero simulated latency), ${c.failed} failed`,
    `  client overhead   ${n(c.cpu_us_per_request, 1)} µs of client CPU per request; ` +
    `client CPU ${n(c.health.cpu_pct)}%, event-loop lag p99 ` +
    `${n(c.health.event_loop_lag_p99_ms, 2)} ms`,
  ];
  if (ts) {
    lines.push(
      `  timestamp error   |client ITL − server gap| p50 ${n(ts.abs_p50_ms, 2)} ms, ` +
        `p99 ${n(ts.abs_p99_ms, 2)} ms, max ${n(ts.abs_max_ms, 2)} ms over ${n(ts.samples)} ` +
        `gaps (200 streams, 10 ms ITL); client event-loop lag p99 ` +
        `${n(s.health.event_loop_lag_p99_ms, 2)} ms`,
    );
  }
  lines.push(
    `  SSE parsing       ${n(r.sse.events_per_s / 1e6, 2)} M events/s ` +
      `(${n(r.sse.mb_per_s)} MB/s) on one core`,
  );
  if (c.health.saturated || s.health.saturated) {
    lines.push(
      "  note: the client was saturated during a measurement (expected for the capacity test, " +
        "which runs the client flat out)",
    );
  }
  for (const e of [...c.errors, ...s.errors].slice(0, 3)) lines.push(`  error sample: ${e}`);
  return lines;
}

/** Run the `selftest` command; resolves to the exit code. */
export async function selftestCommand(
  args: SelftestArgs,
  hooks: SelftestHooks = {},
): Promise<number> {
  const print = hooks.print ?? ((l: string) => console.log(l));
  const r = await runSelftest(args, hooks);
  for (const line of selftestReport(args, r)) print(line);
  return r.capacity.requests > 0 && r.streaming.requests > 0 ? ExitCode.Ok : ExitCode.Suite;
}
