/**
 * Multi-turn sessions: each session sends its turns one after another (a turn waits for the
 * previous answer, then a think time), many sessions at once: a fixed number in parallel
 * (closed) or starting at a rate (open).
 *
 * @module
 */

import type { RequestRecord } from "../measure/record.ts";
import { type Clock, realClock } from "../util/clock.ts";
import type { LoadOutcome, LoadSignals } from "./loops.ts";

/** Options of {@linkcode runSessions}. */
export interface SessionLoopOptions extends LoadSignals {
  /** Sessions to run. */
  sessions: number;
  /** Turns per session. */
  turns: number;
  /** Closed: sessions in parallel. Ignored when `rate` is set. */
  concurrency: number;
  /** Open: sessions started per second (null: closed). */
  rate: number | null;
  /** Think time between a turn's answer and the next turn (ms). */
  thinkMs: number;
  /** The clock schedules and think times run on (default: the real one). */
  clock?: Clock;
  /**
   * Sends turn `turn` (from 0) of session `session`; `tIntendedMs` is set for the first turn
   * of an open loop (its scheduled start). Must never throw.
   */
  send(
    session: number,
    turn: number,
    signal: AbortSignal,
    tIntendedMs: number | undefined,
  ): Promise<RequestRecord>;
  /** Receives every record as it completes. */
  onRecord(rec: RequestRecord, session: number, turn: number): void;
  /** A session ended: every turn succeeded (`completed`) or it stopped at a failure. */
  onSession?(session: number, completed: boolean, startMs: number, endMs: number): void;
  /** Called after every counted request. */
  onProgress?(done: number, total: number): void;
}

const NEVER = new AbortController().signal;

/**
 * Run the sessions. A failed turn ends its session (the history it would continue is
 * missing). Stop ends sessions at their next turn.
 */
export async function runSessions(opts: SessionLoopOptions): Promise<LoadOutcome> {
  const clock = opts.clock ?? realClock;
  const abort = opts.abort ?? NEVER;
  const stopped = () => opts.stop?.aborted === true;
  const total = opts.sessions * opts.turns;
  let done = 0, sent = 0;
  const one = async (s: number, intended: number | undefined) => {
    const start = clock.now();
    let completed = true;
    for (let t = 0; t < opts.turns; t++) {
      if (stopped()) {
        completed = false;
        break;
      }
      if (t > 0 && opts.thinkMs > 0) await clock.sleepUntil(clock.now() + opts.thinkMs, opts.stop);
      if (stopped()) {
        completed = false;
        break;
      }
      sent++;
      const rec = await opts.send(s, t, abort, t === 0 ? intended : undefined);
      opts.onRecord(rec, s, t);
      opts.onProgress?.(++done, total);
      if (rec.outcome !== "ok") {
        completed = false;
        break;
      }
    }
    opts.onSession?.(s, completed, start, clock.now());
  };
  if (opts.rate !== null && opts.rate > 0) {
    const startMs = clock.now();
    const running: Promise<void>[] = [];
    for (let s = 0; s < opts.sessions && !stopped(); s++) {
      const at = startMs + (s * 1000) / opts.rate;
      await clock.sleepUntil(at, opts.stop);
      if (stopped()) break;
      running.push(one(s, at));
    }
    await Promise.all(running);
  } else {
    let next = 0;
    const lanes = Math.max(1, Math.min(opts.concurrency, opts.sessions));
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        while (!stopped() && next < opts.sessions) await one(next++, undefined);
      }),
    );
  }
  return { sent, interrupted: stopped() };
}
