/**
 * The steady state of a closed loop (DESIGN section 13): from the moment every lane has
 * completed one request to the last moment all lanes were busy, so the ramp-up (connections,
 * the first wave arriving together) and the drain (fewer and fewer requests in flight) are cut.
 *
 * @module
 */

import { percentileSorted } from "./summary.ts";

/** Fewest requests a steady window must hold to be reported. */
export const MIN_STEADY_REQUESTS = 10;

/** A closed-loop test's figures over its steady-state window (`extra.steady_state`). */
export interface SteadyState {
  /** Window start, seconds after the test's first send. */
  start_s: number;
  /** Window end, seconds after the test's first send. */
  end_s: number;
  /** Its length (s). */
  window_s: number;
  /** Seconds of the whole test cut (ramp-up plus drain). */
  cut_s: number;
  /** Successful requests that completed inside the window. */
  requests: number;
  /** Their rate (per second of the window). */
  requests_per_second: number;
  /** Their output tokens per second of the window. */
  output_tokens_per_second: number;
  /** Median end-to-end latency of those requests (s). */
  latency_p50: number;
  /** Their 99th percentile latency (s). */
  latency_p99: number;
}

/** Collects a closed loop's request times, then finds its steady state. */
export class SteadyTracker {
  readonly #lanes: number;
  readonly #end: number[] = [];
  readonly #e2e: number[] = [];
  readonly #tokens: number[] = [];
  readonly #ok: boolean[] = [];
  #firstSend = Infinity;
  #lastSend = -Infinity;

  /** A tracker for a loop of `lanes` requests in flight. */
  constructor(lanes: number) {
    this.#lanes = Math.max(1, lanes);
  }

  /** Count one request: its send and end times (s), latency, output tokens, success. */
  add(tSend: number, tEnd: number, e2e: number, tokens: number, ok: boolean): void {
    this.#end.push(tEnd);
    this.#e2e.push(e2e);
    this.#tokens.push(tokens);
    this.#ok.push(ok);
    if (tSend < this.#firstSend) this.#firstSend = tSend;
    if (tSend > this.#lastSend) this.#lastSend = tSend;
  }

  /** The steady state, or null when the test was too short to have one. */
  result(): SteadyState | null {
    const n = this.#end.length;
    if (n < this.#lanes + MIN_STEADY_REQUESTS) return null;
    const ends = [...this.#end].sort((a, b) => a - b);
    const first = this.#firstSend;
    const lastEnd = ends[n - 1];
    // Every lane has completed one request once `lanes` requests have completed.
    const start = ends[this.#lanes - 1];
    // After the last send no lane gets new work: all were busy until the next completion.
    const lastSend = this.#lastSend;
    const end = ends.find((t) => t > lastSend) ?? lastEnd;
    if (!(end > start)) return null;
    const lat: number[] = [];
    let tokens = 0;
    for (let i = 0; i < n; i++) {
      if (!this.#ok[i] || this.#end[i] <= start || this.#end[i] > end) continue;
      lat.push(this.#e2e[i]);
      tokens += this.#tokens[i];
    }
    if (lat.length < MIN_STEADY_REQUESTS) return null;
    lat.sort((a, b) => a - b);
    const window = end - start;
    return {
      start_s: start - first,
      end_s: end - first,
      window_s: window,
      cut_s: lastEnd - first - window,
      requests: lat.length,
      requests_per_second: lat.length / window,
      output_tokens_per_second: tokens / window,
      latency_p50: percentileSorted(lat, 0.5),
      latency_p99: percentileSorted(lat, 0.99),
    };
  }
}
