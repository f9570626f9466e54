/**
 * The live view (`--dashboard PORT`): a page on loopback during the run with the test in
 * progress, its TTFT, ITL and throughput second by second, the server's queue and KV usage, and
 * the completed tests' headline figures. The page polls `/state.json`; the server closes with
 * the run.
 *
 * @module
 */

import type { RequestRecord } from "../measure/record.ts";
import type { TestResult } from "../measure/result.ts";
import type { LiveTap } from "../runner/runner.ts";
import type { ServerSample } from "../probes/server_metrics.ts";
import { livePage } from "../report/live_page.ts";
import { RecordWindow, windowQuantile } from "../outputs/window.ts";

/** Points kept per series (ten minutes of seconds). */
export const LIVE_POINTS = 600;

/** One second of a test, as the page charts it. */
export interface LivePoint {
  /** Seconds since the run began. */
  t: number;
  /** Successful requests that ended in this second. */
  rps: number;
  /** Their output tokens. */
  tps: number;
  /** TTFT p50 / p99 of the second's successes (ms), null without any. */
  ttft_p50: number | null;
  ttft_p99: number | null;
  /** ITL p50 of the second's successes (ms). */
  itl_p50: number | null;
  /** Failed requests in this second. */
  errors: number;
  /** The client's requests in flight as the second ended. */
  in_flight: number;
  /** The server's last sample: waiting requests, running requests, KV usage (0–1). */
  waiting: number | null;
  running: number | null;
  kv: number | null;
}

/** What `/state.json` answers. */
export interface LiveState {
  /** `running` until the run ends, then `finished`. */
  status: "running" | "finished";
  /** The test in progress. */
  test: { name: string; index: number; total: number } | null;
  /** Seconds, oldest first. */
  points: LivePoint[];
  /** Completed tests. */
  done: {
    suite: string;
    name: string;
    rps: number;
    ttft_p99_ms: number | null;
    ok: number;
    failed: number;
  }[];
}

/** The live view's state, fed by the run, read by the page. */
export class LiveView implements LiveTap {
  readonly #t0 = performance.now();
  readonly #window = new RecordWindow();
  #inFlight: () => number = () => 0;
  readonly state: LiveState = { status: "running", test: null, points: [], done: [] };

  /** A counted request ended. */
  record(rec: RequestRecord): void {
    this.#window.record(rec);
  }

  /** The server's metrics were sampled. */
  server(sample: ServerSample): void {
    this.#window.server(sample);
  }

  /** The test's client: its requests in flight are read each second. */
  inFlight(count: () => number): void {
    this.#inFlight = count;
  }

  /** A test began. */
  test(name: string, index: number, total: number): void {
    this.state.test = { name, index, total };
  }

  /** A test completed. */
  result(suite: string, r: TestResult): void {
    const m = r.metrics;
    this.state.done.push({
      suite,
      name: r.name,
      rps: m.requests_per_second,
      ttft_p99_ms: m.ttft.count > 0 ? m.ttft.p99 * 1000 : null,
      ok: m.successful_requests,
      failed: m.failed_requests,
    });
  }

  /** Close the current second into a point. */
  tick(): void {
    const w = this.#window.take();
    const ms = (x: number | null) => (x === null ? null : x * 1000);
    this.state.points.push({
      t: (performance.now() - this.#t0) / 1000,
      rps: w.ok,
      tps: w.tokens,
      ttft_p50: ms(windowQuantile(w.ttft, 0.5)),
      ttft_p99: ms(windowQuantile(w.ttft, 0.99)),
      itl_p50: ms(windowQuantile(w.itl, 0.5)),
      errors: w.errors,
      in_flight: this.#inFlight(),
      waiting: w.server?.waiting ?? null,
      running: w.server?.running ?? null,
      kv: w.server?.kvUsage ?? null,
    });
    if (this.state.points.length > LIVE_POINTS) this.state.points.shift();
  }
}

/** A running live view server. */
export interface LiveServer {
  /** The page's URL. */
  url: string;
  /** The view it shows. */
  view: LiveView;
  /** Mark the run finished, and close the server. */
  close(): Promise<void>;
}

/** Serve the live view on 127.0.0.1:`port` (0: any free port). */
export function startLive(port: number): LiveServer {
  const view = new LiveView();
  const page = livePage();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, onListen() {} },
    (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/state.json") {
        return new Response(JSON.stringify(view.state), {
          headers: { "content-type": "application/json", "cache-control": "no-store" },
        });
      }
      if (path === "/") {
        return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
      }
      return new Response("not found", { status: 404 });
    },
  );
  const timer = setInterval(() => view.tick(), 1000);
  const addr = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${addr.port}/`,
    view,
    async close() {
      clearInterval(timer);
      view.tick();
      view.state.status = "finished";
      view.state.test = null;
      await server.shutdown();
    },
  };
}
