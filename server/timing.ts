/**
 * Absolute-deadline sleeping and the one-time pause window.
 *
 * Every wait sleeps until a deadline on the `performance.now()` clock, never
 * for a relative duration chained after the previous one, so timer overshoot
 * does not accumulate. All waits of a server share one timer, armed for the
 * earliest deadline of a binary heap: thousands of concurrent streams cost one
 * timer per tick, not one per token.
 *
 * @module
 */

type Resolve = (completed: boolean) => void;

/** Deadline scheduler of one server, with its pause window, that can cancel every wait at shutdown. */
export class Clock {
  readonly #pauseStart: number;
  readonly #pauseEnd: number;
  /** Min-heap of deadlines, with the resolver at the same index. */
  readonly #deadlines: number[] = [];
  readonly #resolvers: Resolve[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedFor = Infinity;
  #closed = false;
  #lateMs = 0;

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
   * How late waits wake, on average (ms): a moving average of wake time − deadline. Timers
   * fire on a coarse tick, so every wait ends a little after its deadline.
   */
  get lateMs(): number {
    return this.#lateMs;
  }

  /** Number of pending waits. */
  get pending(): number {
    return this.#deadlines.length;
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
      this.#push(deadline, resolve);
      if (deadline < this.#armedFor) this.#arm(deadline);
    });
  }

  /** Cancel every pending wait (they resolve false) and refuse new ones. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const resolvers = this.#resolvers.splice(0);
    this.#deadlines.length = 0;
    for (const r of resolvers) r(false);
  }

  #arm(deadline: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = deadline;
    this.#timer = setTimeout(this.#fire, Math.max(0, deadline - performance.now()));
  }

  #fire = (): void => {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const now = performance.now();
    const d = this.#deadlines;
    if (d.length > 0 && d[0] <= now) this.#lateMs += 0.05 * (now - d[0] - this.#lateMs);
    while (d.length > 0 && d[0] <= now) this.#pop()(true);
    if (d.length > 0) this.#arm(d[0]);
  };

  #push(deadline: number, resolve: Resolve): void {
    const d = this.#deadlines;
    const r = this.#resolvers;
    let i = d.length;
    d.push(deadline);
    r.push(resolve);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (d[p] <= deadline) break;
      d[i] = d[p];
      r[i] = r[p];
      i = p;
    }
    d[i] = deadline;
    r[i] = resolve;
  }

  #pop(): Resolve {
    const d = this.#deadlines;
    const r = this.#resolvers;
    const top = r[0];
    const lastD = d.pop()!;
    const lastR = r.pop()!;
    const n = d.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const a = 2 * i + 1;
        if (a >= n) break;
        const b = a + 1;
        const c = b < n && d[b] < d[a] ? b : a;
        if (d[c] >= lastD) break;
        d[i] = d[c];
        r[i] = r[c];
        i = c;
      }
      d[i] = lastD;
      r[i] = lastR;
    }
    return top;
  }
}
