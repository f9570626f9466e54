/**
 * Request deadlines checked by one sweeping timer instead of a timer per request (a timer per
 * request costs more than the rest of a small request's client work).
 *
 * @module
 */

/** A deadline: when, and what to do then. */
export interface Deadline {
  /** When it fires (ms, `performance.now()`). */
  at: number;
  /** What it does. */
  fire: () => void;
}

/** Deadlines of one pool; a deadline fires at most a sweep period late. */
export class Deadlines {
  readonly #items = new Set<Deadline>();
  readonly #period: number;
  #timer: ReturnType<typeof setInterval> | null = null;

  /** Deadlines of requests timing out after `timeoutMs`: swept every tenth of it, ≤ 50 ms. */
  constructor(timeoutMs: number) {
    this.#period = Math.max(1, Math.min(50, timeoutMs / 10));
  }

  /** Watch a deadline. */
  add(item: Deadline): void {
    this.#items.add(item);
    if (this.#timer === null) this.#timer = setInterval(() => this.#sweep(), this.#period);
  }

  /** Stop watching a deadline. */
  delete(item: Deadline): void {
    this.#items.delete(item);
  }

  /** Stop the sweep and forget every deadline. */
  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#items.clear();
  }

  #sweep(): void {
    if (this.#items.size === 0) {
      clearInterval(this.#timer!);
      this.#timer = null;
      return;
    }
    const now = performance.now();
    for (const item of this.#items) {
      if (item.at <= now) {
        this.#items.delete(item);
        item.fire();
      }
    }
  }
}
