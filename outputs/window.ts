/**
 * Samples of a test in progress for the time-series outputs: every {@linkcode WINDOW_S}
 * seconds, the last window's successful and failed requests per second, its TTFT p50 and p99,
 * and the server's last sample of waiting requests and KV usage.
 *
 * @module
 */

import type { RequestRecord } from "../measure/record.ts";
import type { ServerSample } from "../probes/server_metrics.ts";
import { type RunLabels, type Sample, WINDOW_S } from "./metrics.ts";

/** Collects records and server samples into windows, handing each window's samples on. */
export class WindowTap {
  readonly #run: RunLabels;
  readonly #emit: (samples: Sample[]) => void;
  #suite = "";
  #test = "";
  #ok = 0;
  #errors = 0;
  #ttft: number[] = [];
  #server: ServerSample | null = null;
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
    this.#ok = 0;
    this.#errors = 0;
    this.#ttft = [];
    this.#timer ??= setInterval(() => this.flush(), WINDOW_S * 1000);
  }

  /** A counted request ended. */
  record(rec: RequestRecord): void {
    if (rec.outcome !== "ok") this.#errors++;
    else {
      this.#ok++;
      if (rec.ttft !== null) this.#ttft.push(rec.ttft);
    }
  }

  /** The server's metrics were sampled. */
  server(sample: ServerSample): void {
    this.#server = sample;
  }

  /** Hand on the window that ends now (nothing before the first test). */
  flush(): void {
    if (this.#test === "") return;
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
    add("fakeai_bench_window_requests_per_second", this.#ok / WINDOW_S);
    add("fakeai_bench_window_errors_per_second", this.#errors / WINDOW_S);
    const t = this.#ttft.sort((a, b) => a - b);
    if (t.length > 0) {
      add("fakeai_bench_window_ttft_seconds", t[Math.floor(0.5 * (t.length - 1))], {
        quantile: "0.5",
      });
      add("fakeai_bench_window_ttft_seconds", t[Math.floor(0.99 * (t.length - 1))], {
        quantile: "0.99",
      });
    }
    add("fakeai_bench_window_server_waiting", this.#server?.waiting ?? null);
    add("fakeai_bench_window_server_kv_usage_ratio", this.#server?.kvUsage ?? null);
    this.#ok = 0;
    this.#errors = 0;
    this.#ttft = [];
    this.#emit(out);
  }

  /** Stop windowing. */
  stop(): void {
    clearInterval(this.#timer);
  }
}
