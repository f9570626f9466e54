/**
 * `--workers auto`: how many Web Workers to spread a run's streams over. One event loop stamps
 * every read of its streams in turn, so past a few hundred streams the stamps of one wait for
 * the work of the others (docs/performance.md, figure 3); each worker has an event loop, and a
 * core, of its own. Auto gives a worker per {@linkcode STREAMS_PER_WORKER} streams of the run's
 * largest closed loop (or in-flight cap), never more than the cores this host can spare (one is
 * left to the embedded server when it runs here), never fewer than one.
 *
 * @module
 */

import { UsageError } from "../util/errors.ts";
import type { Scenario } from "./scenario.ts";

/** Streams one worker is given at most by `--workers auto`. */
export const STREAMS_PER_WORKER = 250;

/** Most workers `--workers` takes. */
export const MAX_WORKERS = 256;

/** `--workers`: a count, or `auto`. */
export type WorkersOption = number | "auto";

/**
 * Parse `--workers`: `auto` or a whole number from 1 to {@linkcode MAX_WORKERS}.
 *
 * @throws {UsageError} naming the option and what it takes.
 */
export function parseWorkers(raw: string): WorkersOption {
  if (raw === "auto") return "auto";
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_WORKERS) {
    throw new UsageError(
      `--workers takes auto or a whole number from 1 to ${MAX_WORKERS}, got '${raw}'`,
    );
  }
  return n;
}

/**
 * The largest number of streams one test of a scenario holds at once: a closed loop's
 * concurrency, an open loop's cap on requests in flight (0 when nothing bounds them).
 */
export function peakStreams(scenario: Scenario | null): number {
  let peak = 0;
  for (const t of scenario?.tests ?? []) {
    const n = t.load.kind === "closed" ? t.load.concurrency : t.load.max_in_flight ?? 0;
    peak = Math.max(peak, n);
  }
  return peak;
}

/** What `--workers auto` is decided from. */
export interface WorkersHost {
  /** Cores of this host (`navigator.hardwareConcurrency`). */
  cores: number;
  /** True when the embedded server runs on this host (it keeps a core). */
  embedded: boolean;
}

/** The workers a run uses, and for `auto` a line saying why. */
export interface WorkersChoice {
  /** Workers (1: the run stays in this process's own event loop). */
  workers: number;
  /** For `auto`: how the count was reached, for the console. */
  reason: string | null;
}

/** Resolve `--workers` for a run whose largest test holds `peak` streams. */
export function resolveWorkers(
  option: WorkersOption,
  peak: number,
  host: WorkersHost,
): WorkersChoice {
  if (option !== "auto") return { workers: option, reason: null };
  const spare = Math.max(1, host.cores - (host.embedded ? 1 : 0));
  const wanted = Math.max(1, Math.ceil(peak / STREAMS_PER_WORKER));
  const workers = Math.min(spare, wanted);
  const why = peak === 0
    ? "no test names its streams"
    : `${peak} streams at most, ${STREAMS_PER_WORKER} per worker, ${spare} spare core${
      spare === 1 ? "" : "s"
    }`;
  return { workers, reason: `--workers auto: ${workers} (${why})` };
}
