/**
 * A test in progress, window by window: {@linkcode RecordWindow} gathers the counted records
 * and server samples of one window (the live view takes one a second); {@linkcode WindowTap}
 * turns one every {@linkcode WINDOW_S} seconds into samples for the time-series outputs: the
 * window's successful requests and output tokens per second, failed requests per second by
 * class, the client's requests in flight, TTFT, TPOT, ITL and E2E p50 and p99, and the server's
 * last sample of waiting requests and KV usage.
 *
 * @module
 */

import type { RequestRecord } from "../measure/record.ts";
import { percentileSorted } from "../measure/summary.ts";
import type { ServerSample } from "../probes/server_metrics.ts";
import { type RunLabels, type Sample, WINDOW_S } from "./metrics.ts";

/** Inter-token gaps one window keeps at most. */
const MAX_WINDOW_GAPS = 100_000;

/** What one window gathered, times in seconds, sorted. */
export interface WindowTake {
  /** Successful requests. */
  ok: number;
  /** Failed requests. */
  errors: number;
  /** Failed requests by outcome class. */
  errorsBy: Record<string, number>;
  /** Output tokens of the successes. */
  tokens: number;
  /** TTFT of the successes (s), ascending. */
  ttft: Float64Array;
  /** Inter-token gaps of the successes (s), ascending (at most 100,000). */
  itl: Float64Array;
  /** TPOT of the successes that have one (s), ascending. */
  tpot: Float64Array;
  /** End-to-end latency of the successes (s), ascending. */
  e2e: Float64Array;
  /** The server's last sample, or null before any. */
  server: ServerSample | null;
}

/** A quantile of sorted values (linear interpolation), or null without any. */
export function windowQuantile(sorted: Float64Array, q: number): number | null {
  return sorted.length > 0 ? percentileSorted(sorted, q) : null;
}

/** The counted records and server samples of the window in progress. */
export class RecordWindow {
  #ok = 0;
  #errors = 0;
  #errorsBy: Record<string, number> = {};
  #tokens = 0;
  #ttft: number[] = [];
  #itl: number[] = [];
  #tpot: number[] = [];
  #e2e: number[] = [];
  #server: ServerSample | null = null;

  /** A counted request ended. */
  record(rec: RequestRecord): void {
    if (rec.outcome !== "ok") {
      this.#errors++;
      this.#errorsBy[rec.outcome] = (this.#errorsBy[rec.outcome] ?? 0) + 1;
      return;
    }
    this.#ok++;
    this.#tokens += rec.outputTokens;
    this.#e2e.push(rec.e2e);
    if (rec.tpot !== null) this.#tpot.push(rec.tpot);
    if (rec.ttft !== null) this.#ttft.push(rec.ttft);
    for (const g of rec.itl) if (this.#itl.length < MAX_WINDOW_GAPS) this.#itl.push(g);
  }

  /** The server's metrics were sampled (the last sample carries over to later windows). */
  server(sample: ServerSample): void {
    this.#server = sample;
  }

  /** End the window: what it gathered, and a new empty one begins. */
  take(): WindowTake {
    const out = {
      ok: this.#ok,
      errors: this.#errors,
      errorsBy: this.#errorsBy,
      tokens: this.#tokens,
      ttft: Float64Array.from(this.#ttft).sort(),
      itl: Float64Array.from(this.#itl).sort(),
      tpot: Float64Array.from(this.#tpot).sort(),
      e2e: Float64Array.from(this.#e2e).sort(),
      server: this.#server,
    };
    this.#ok = 0;
    this.#errors = 0;
    this.#errorsBy = {};
    this.#tokens = 0;
    this.#ttft = [];
    this.#itl = [];
    this.#tpot = [];
    this.#e2e = [];
    return out;
  }
}

/** Collects records and server samples into windows, handing each window's samples on. */
export class WindowTap {
  readonly #run: RunLabels;
  readonly #emit: (samples: Sample[]) => void;
  readonly #window = new RecordWindow();
  #suite = "";
  #test = "";
  #inFlight: () => number = () => 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** A tap whose windows go to `emit`. */
  constructor(run: RunLabels, emit: (samples: Sample[]) => void) {
    this.#run = run;
    this.#emit = emit;
  }

  /** A test began: windows carry its labels from now on. */
  begin(suite: string, test: string): void {
    this.#suite = suite;
    this.#test = test;
    this.#window.take(); // what came before belongs to no test in progress
    this.#timer ??= setInterval(() => this.flush(), WINDOW_S * 1000);
  }

  /** A counted request ended. */
  record(rec: RequestRecord): void {
    this.#window.record(rec);
  }

  /** The server's metrics were sampled. */
  server(sample: ServerSample): void {
    this.#window.server(sample);
  }

  /** The test's client: its requests in flight are read when a window closes. */
  inFlight(count: () => number): void {
    this.#inFlight = count;
  }

  /** Hand on the window that ends now (nothing before the first test). */
  flush(): void {
    if (this.#test === "") return;
    const w = this.#window.take();
    const labels = {
      ...this.#run.tags,
      run_id: this.#run.run_id,
      suite: this.#suite,
      test: this.#test,
      target: this.#run.target,
    };
    const out: Sample[] = [];
    const add = (name: string, value: number | null, extra: Record<string, string> = {}) => {
      if (value !== null && Number.isFinite(value)) {
        out.push({ name, labels: { ...labels, ...extra }, value });
      }
    };
    add("fakeai_bench_window_requests_per_second", w.ok / WINDOW_S);
    add("fakeai_bench_window_output_tokens_per_second", w.tokens / WINDOW_S);
    for (const [outcome, n] of Object.entries(w.errorsBy)) {
      add("fakeai_bench_window_errors_per_second", n / WINDOW_S, { outcome });
    }
    add("fakeai_bench_window_in_flight", this.#inFlight());
    const times: [string, Float64Array][] = [
      ["fakeai_bench_window_ttft_seconds", w.ttft],
      ["fakeai_bench_window_tpot_seconds", w.tpot],
      ["fakeai_bench_window_itl_seconds", w.itl],
      ["fakeai_bench_window_e2e_seconds", w.e2e],
    ];
    for (const [name, sorted] of times) {
      add(name, windowQuantile(sorted, 0.5), { quantile: "0.5" });
      add(name, windowQuantile(sorted, 0.99), { quantile: "0.99" });
    }
    add("fakeai_bench_window_server_waiting", w.server?.waiting ?? null);
    add("fakeai_bench_window_server_kv_usage_ratio", w.server?.kvUsage ?? null);
    this.#emit(out);
  }

  /** Stop windowing. */
  stop(): void {
    clearInterval(this.#timer);
  }
}
