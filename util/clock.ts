/**
 * Time as the load loops see it: a monotonic `now()` in milliseconds and a sleep to an
 * absolute deadline. {@linkcode realClock} is `performance.now()` and timers; a
 * {@linkcode FakeClock} moves only when told to, so schedules, pacing and queue delays can be
 * tested exactly, without waiting and whatever the host is doing.
 *
 * @module
 */

/**
 * Longest delay one timer takes (2^31 − 1 ms, about 24.8 days): a longer one fires at once,
 * so long waits re-arm in steps of at most this.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A monotonic clock in milliseconds with sleeps to absolute deadlines. */
export interface Clock {
  /** Now, in milliseconds (for the real clock: `performance.now()`). */
  now(): number;
  /**
   * Resolve once `now()` has reached `deadlineMs`, never before it; resolve early when
   * `signal` aborts.
   */
  sleepUntil(deadlineMs: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The real clock. Sleeps re-arm when a timer fires early (Deno's may, by a fraction of a
 * millisecond), so a sleep never returns before its deadline.
 */
export const realClock: Clock = {
  now: () => performance.now(),
  async sleepUntil(deadlineMs, signal) {
    while (!signal?.aborted) {
      const wait = deadlineMs - performance.now();
      if (wait <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(MAX_TIMER_MS, Math.max(0, wait)));
        function done() {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          resolve();
        }
        signal?.addEventListener("abort", done, { once: true });
      });
    }
  },
};

interface Sleeper {
  at: number;
  seq: number;
  resolve(): void;
}

/**
 * A clock that stands still until {@linkcode FakeClock.advanceTo} or
 * {@linkcode FakeClock.run} moves it. Sleepers wake in deadline order (ties in the order they
 * slept), each at exactly its deadline, and the code they resume runs before the clock moves
 * on, so everything it schedules in turn is seen.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #sleepers: Sleeper[] = [];

  /** A clock that reads `startMs` until moved. */
  constructor(startMs = 0) {
    this.#now = startMs;
  }

  /** Now, in milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Sleep until `deadlineMs` on this clock (or until `signal` aborts). */
  sleepUntil(deadlineMs: number, signal?: AbortSignal): Promise<void> {
    if (deadlineMs <= this.#now || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const sleeper: Sleeper = { at: deadlineMs, seq: this.#seq++, resolve: () => {} };
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        resolve();
      };
      sleeper.resolve = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#sleepers.push(sleeper);
    });
  }

  /** Sleep `ms` from now. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.sleepUntil(this.#now + ms, signal);
  }

  /** Number of sleepers waiting. */
  get pending(): number {
    return this.#sleepers.length;
  }

  /** Move to `t`, waking every sleeper due by then in order; resolves when all have run. */
  async advanceTo(t: number): Promise<void> {
    await settle();
    for (;;) {
      const next = this.#earliest();
      if (!next || next.at > t) break;
      this.#wake(next);
      await settle();
    }
    if (t > this.#now) this.#now = t;
  }

  /**
   * Drive `work` to its end: whenever it waits on this clock alone, jump to the next
   * deadline. Rejects if `work` waits on something else with no sleeper left to wake.
   */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const out = work.finally(() => settled = true);
    out.catch(() => {});
    for (;;) {
      await settle();
      if (settled) return await out;
      let next = this.#earliest();
      if (!next) {
        // Give anything outside the clock (a timer, I/O) one real turn before giving up.
        await new Promise<void>((r) => setTimeout(r, 0));
        if (settled) return await out;
        next = this.#earliest();
      }
      if (!next) {
        throw new Error("FakeClock.run: the work waits on something other than the clock");
      }
      this.#wake(next);
    }
  }

  #earliest(): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.#sleepers) {
      if (!best || s.at < best.at || (s.at === best.at && s.seq < best.seq)) best = s;
    }
    return best;
  }

  #wake(s: Sleeper): void {
    this.#sleepers = this.#sleepers.filter((x) => x !== s);
    if (s.at > this.#now) this.#now = s.at;
    s.resolve();
  }
}

/** Microtask turns given to resumed code before the clock moves on. */
const SETTLE_TURNS = 64;

/** Let queued promise continuations run, chains of them included. */
async function settle(): Promise<void> {
  for (let i = 0; i < SETTLE_TURNS; i++) await null;
}
