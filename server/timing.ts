/**
 * Absolute-deadline sleeping and the one-time pause window.
 *
 * Every wait sleeps until a deadline on the `performance.now()` clock, never
 * for a relative duration chained after the previous one, so timer overshoot
 * does not accumulate.
 *
 * @module
 */

interface Waiter {
  timer: ReturnType<typeof setTimeout> | undefined;
  resolve: (completed: boolean) => void;
}

/** Deadline scheduler of one server, with its pause window, that can cancel every wait at shutdown. */
export class Clock {
  readonly #pauseStart: number;
  readonly #pauseEnd: number;
  readonly #waiters = new Set<Waiter>();
  #closed = false;

  /**
   * Create a clock.
   *
   * @param origin server start, `performance.now()` milliseconds.
   * @param pauseAtS pause start in seconds after `origin`.
   * @param pauseMs pause length in milliseconds; 0 = no pause.
   */
  constructor(origin: number, pauseAtS: number, pauseMs: number) {
    this.#pauseStart = pauseMs > 0 ? origin + pauseAtS * 1000 : Infinity;
    this.#pauseEnd = pauseMs > 0 ? this.#pauseStart + pauseMs : Infinity;
  }

  /** Whether {@linkcode close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Move a deadline that falls in the pause window to the window's end.
   *
   * @param deadline `performance.now()` milliseconds.
   * @returns the deadline, or the end of the pause window.
   */
  adjust(deadline: number): number {
    return deadline >= this.#pauseStart && deadline < this.#pauseEnd ? this.#pauseEnd : deadline;
  }

  /**
   * Sleep until an absolute deadline. Callers skip the call when the deadline has passed.
   *
   * @param deadline `performance.now()` milliseconds.
   * @returns true when the deadline was reached, false when the clock was closed first.
   */
  sleepUntil(deadline: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = { timer: undefined, resolve };
      const tick = () => {
        const left = deadline - performance.now();
        if (left > 0) {
          waiter.timer = setTimeout(tick, left);
          return;
        }
        this.#waiters.delete(waiter);
        resolve(true);
      };
      waiter.timer = setTimeout(tick, Math.max(0, deadline - performance.now()));
      this.#waiters.add(waiter);
    });
  }

  /** Cancel every pending wait (they resolve false) and refuse new ones. */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiters) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    this.#waiters.clear();
  }
}
