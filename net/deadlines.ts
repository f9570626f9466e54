/**
 * Request deadlines checked by one sweeping timer instead of a timer per request (a timer per
 * request costs more than the rest of a small request's client work).
 *
 * The deadlines are kept in a list linked through the deadlines themselves, in order of when
 * they fall: a pool's requests share one timeout, so each new one goes at the tail, a finished
 * one is unlinked where it is, and a sweep stops at the first that is not due. Measured with
 * `deno bench` beside a `Set` of the same deadlines: an add and a delete took 60 against 73-81
 * ns with 50 watched, and 50 against 165 ns one at a time (a closed loop of one connection),
 * where a `Set` that empties rebuilds its table each time.
 *
 * @module
 */

/**
 * A deadline: when, and what to do then. Its links belong to the {@linkcode Deadlines} it is
 * on; a deadline is on at most one at a time.
 */
export abstract class Deadline {
  /** When it fires (ms, `performance.now()`). */
  at = 0;
  /** The deadline before this one on its list (earlier or equal `at`). */
  prev: Deadline | null = null;
  /** The deadline after this one on its list. */
  next: Deadline | null = null;
  /** Whether it is on a list. */
  linked = false;
  /** What it does when due. */
  abstract fire(): void;
}

/** Deadlines of one pool; a deadline fires at most a sweep period late. */
export class Deadlines {
  #head: Deadline | null = null;
  #tail: Deadline | null = null;
  #size = 0;
  readonly #period: number;
  #timer: ReturnType<typeof setInterval> | null = null;

  /** Deadlines of requests timing out after `timeoutMs`: swept every tenth of it, ≤ 50 ms. */
  constructor(timeoutMs: number) {
    this.#period = Math.max(1, Math.min(50, timeoutMs / 10));
  }

  /** Deadlines watched now. */
  get size(): number {
    return this.#size;
  }

  /** Watch a deadline (its `at` set). Adding one already watched does nothing. */
  add(item: Deadline): void {
    if (item.linked) return;
    // In order of `at`: after the last one not later than it (the tail, when all share a
    // timeout and the clock only moves forward).
    let after = this.#tail;
    while (after !== null && after.at > item.at) after = after.prev;
    const before = after === null ? this.#head : after.next;
    item.prev = after;
    item.next = before;
    if (after === null) this.#head = item;
    else after.next = item;
    if (before === null) this.#tail = item;
    else before.prev = item;
    item.linked = true;
    this.#size++;
    if (this.#timer === null) this.#timer = setInterval(() => this.#sweep(), this.#period);
  }

  /** Stop watching a deadline (nothing when it is not watched). */
  delete(item: Deadline): void {
    if (!item.linked) return;
    const { prev, next } = item;
    if (prev === null) this.#head = next;
    else prev.next = next;
    if (next === null) this.#tail = prev;
    else next.prev = prev;
    item.prev = item.next = null;
    item.linked = false;
    this.#size--;
  }

  /** Stop the sweep and forget every deadline. */
  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    while (this.#head !== null) this.delete(this.#head);
  }

  /** Fire every deadline due by `now` (the sweep's work; exposed for tests). */
  sweep(now: number = performance.now()): void {
    for (let item = this.#head; item !== null && item.at <= now; item = this.#head) {
      this.delete(item);
      item.fire();
    }
  }

  #sweep(): void {
    if (this.#head === null) {
      clearInterval(this.#timer!);
      this.#timer = null;
      return;
    }
    this.sweep();
  }
}
