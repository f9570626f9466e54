/**
 * The stamping canary: the client's own timestamp error, measured during every test. A Web
 * Worker of the program's entry (its own thread and event loop) serves streams of token chunks
 * on 127.0.0.1, each chunk carrying `x_sent_ms`, its send time taken just before the socket
 * write, one every {@linkcode CANARY_ITL_MS} on absolute deadlines. The measuring thread reads
 * four of them at once through the same HTTP client and event loop as the load, and every gap
 * between two chunks of a stream as stamped on arrival is set against the gap between their send
 * times: the difference is the error of the client's stamps at that moment (the loopback adds
 * tens of µs). A timer probe of the event loop understates that error at hundreds of streams,
 * where a read that completes beside a hundred others is stamped after their continuations
 * (docs/performance.md); the canary's chunks wait in that same line.
 *
 * The worker side is `load/canary_server.ts`, a module of its own so the worker loads nothing
 * else; the perf harness's raw-socket server (`bench/stamp_server.ts`) is the same server.
 *
 * @module
 */

import { ChatClient } from "../net/client.ts";
import { Distribution } from "../measure/distribution.ts";
import { CANARY_ITL_MS, type CanaryReady, type CanaryRequest } from "./canary_server.ts";

/** Chunks per canary answer: each answer's gaps are read when it ends. */
const CANARY_TOKENS = 50;

/**
 * Canary streams read at once, each on its own connection and phase: 400 gaps a second, so a
 * test of a few seconds has a p99 of its own.
 */
const CANARY_STREAMS = 4;

/** Raw error samples a window keeps (beyond them, its HDR histogram answers). */
const RAW_SAMPLES = 65_536;

/** Fewest samples a window reports (below it, it reports nothing). */
const MIN_SAMPLES = 20;

/** How long the worker has to start serving (ms). */
const READY_MS = 30_000;

/** The stamping error over a window of the canary's chunks (ms). */
export interface StampError {
  /** Median absolute error of a gap between two chunks (ms). */
  p50_ms: number;
  /** 99th percentile (ms). */
  p99_ms: number;
  /** Gaps measured. */
  samples: number;
}

/** A span of the canary's measurements (one test). */
export interface CanaryWindow {
  /** End the window: the error over its gaps, or null with too few of them. */
  stop(): StampError | null;
}

/** A running canary. */
export interface StampCanary {
  /** Start a window of its measurements. */
  window(): CanaryWindow;
  /** Stop the streams and end the worker. */
  close(): Promise<void>;
}

/**
 * Start the canary: a worker of `entry` serving the streams, read in this thread until
 * {@linkcode StampCanary.close}.
 *
 * @throws {Error} when the worker does not start serving.
 */
export async function startCanary(entry: string): Promise<StampCanary> {
  const worker = new Worker(entry, { type: "module", name: "fakeai-bench-canary" });
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the canary did not start")), READY_MS);
      worker.onmessage = (e: MessageEvent<CanaryReady>) => {
        clearTimeout(timer);
        resolve(e.data.port);
      };
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        clearTimeout(timer);
        reject(new Error(`the canary failed: ${e.message}`));
      };
      worker.postMessage({ kind: "canary", itlMs: CANARY_ITL_MS } satisfies CanaryRequest);
    });
  } catch (err) {
    worker.terminate();
    throw err;
  }
  return new Canary(worker, port);
}

/**
 * Start the canary, or say in one line why it did not start and return null: the tests then
 * state the event-loop lag only.
 */
export async function startCanaryOrSay(
  entry: string,
  log: (line: string) => void,
): Promise<StampCanary | null> {
  try {
    return await startCanary(entry);
  } catch (err) {
    log(
      `stamping canary not started (${err instanceof Error ? err.message : err}): ` +
        "tests state the event-loop lag only",
    );
    return null;
  }
}

/** The reading side of a started canary. */
class Canary implements StampCanary {
  readonly #worker: Worker;
  readonly #client: ChatClient;
  readonly #stop = new AbortController();
  /** The open windows' errors (s). */
  readonly #windows = new Set<Distribution>();
  readonly #loop: Promise<void>;

  constructor(worker: Worker, port: number) {
    this.#worker = worker;
    this.#client = new ChatClient({
      baseUrl: `http://127.0.0.1:${port}`,
      poolSize: CANARY_STREAMS,
      timeoutMs: 30_000,
    });
    this.#loop = Promise.all(
      Array.from(
        { length: CANARY_STREAMS },
        (_, k) => this.#read(k * CANARY_ITL_MS / CANARY_STREAMS),
      ),
    ).then(() => {});
  }

  async #read(phaseMs: number): Promise<void> {
    // Each stream starts a quarter of a gap after the one before: their chunks interleave.
    await new Promise((r) => setTimeout(r, phaseMs));
    const body = {
      model: "canary",
      messages: [{ role: "user", content: "canary" }],
      max_tokens: CANARY_TOKENS,
      stream: true,
    };
    while (!this.#stop.signal.aborted) {
      const rec = await this.#client.chat(body, { signal: this.#stop.signal, keepStamps: true });
      const sent = rec.serverStamps, got = rec.tokenTimes;
      if (rec.outcome !== "ok" || !sent || !got) {
        // A failed answer (the worker ended, or the stream was stopped): try again later.
        if (!this.#stop.signal.aborted) await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      for (let k = 1; k < Math.min(sent.length, got.length); k++) {
        // Seconds, as every distribution of the project holds them.
        const error = Math.abs((got[k] - got[k - 1]) - (sent[k] - sent[k - 1]) / 1000);
        for (const w of this.#windows) w.add(error);
      }
    }
  }

  window(): CanaryWindow {
    const errors = new Distribution(RAW_SAMPLES);
    this.#windows.add(errors);
    return {
      stop: () => {
        this.#windows.delete(errors);
        if (errors.count < MIN_SAMPLES) return null;
        const s = errors.summary();
        return { p50_ms: s.p50 * 1000, p99_ms: s.p99 * 1000, samples: s.count };
      },
    };
  }

  async close(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    this.#client.close();
    this.#worker.terminate();
  }
}
