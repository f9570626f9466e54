/**
 * The native transport: the lean HTTP/1.1 client of `net/http1.ts`, its requests bounded by
 * one sweeping deadline timer. A timeout or an abort closes the connection, which ends any
 * pending read.
 *
 * @module
 */

import { Http1Error, Http1Pool, type Http1Response } from "./http1.ts";
import { Deadline, Deadlines } from "./deadlines.ts";
import { type Reply, type Transport, TransportError } from "./transport.ts";

/** Options of {@linkcode NativeTransport}. */
export interface NativeOptions {
  /** Idle connections kept (the pool size). */
  poolSize: number;
  /** Per-request timeout (ms). */
  timeoutMs: number;
}

/** HTTP/1.1 over `Deno.connect`, one keep-alive pool per transport. */
export class NativeTransport implements Transport {
  /** Which implementation. */
  readonly kind = "native" as const;
  readonly #pool: Http1Pool;
  readonly #deadlines: Deadlines;
  readonly #timeoutMs: number;

  /** A transport to the origin of `baseUrl`. */
  constructor(baseUrl: string, opts: NativeOptions) {
    this.#pool = new Http1Pool(baseUrl, { maxIdle: opts.poolSize });
    this.#deadlines = new Deadlines(opts.timeoutMs);
    this.#timeoutMs = opts.timeoutMs;
  }

  async post(
    path: string,
    headers: Record<string, string>,
    body: Uint8Array | string,
    outer: AbortSignal | undefined,
  ): Promise<Reply> {
    // Timeout and abort close the connection, which ends any pending read.
    const x = new Exchange(this.#timeoutMs, this.#deadlines, outer);
    let res: Http1Response;
    try {
      res = await this.#pool.request({ method: "POST", path, headers, body }, x.onCancel);
    } catch (err) {
      x.done();
      throw x.reason !== null
        ? x.why()
        : new TransportError("connect", message(err), { cause: err });
    }
    return new NativeReply(res, x);
  }

  close(): void {
    this.#deadlines.close();
    this.#pool.close();
  }
}

/**
 * One request's timeout and abort: it is its own deadline and its own abort listener, so a
 * request in flight holds one object here rather than a closure for each.
 */
class Exchange extends Deadline {
  reason: "timeout" | "aborted" | null = null;
  cancel: (() => void) | null = null;
  #finished = false;
  readonly #timeoutMs: number;
  readonly #deadlines: Deadlines;
  readonly #outer: AbortSignal | undefined;

  constructor(timeoutMs: number, deadlines: Deadlines, outer: AbortSignal | undefined) {
    super();
    this.#timeoutMs = timeoutMs;
    this.#deadlines = deadlines;
    this.#outer = outer;
    this.at = performance.now() + timeoutMs;
    deadlines.add(this);
    if (outer) {
      if (outer.aborted) this.reason = "aborted";
      else outer.addEventListener("abort", this, { once: true });
    }
  }

  /** The pool hands over how to cancel the exchange (at once when it already ended). */
  readonly onCancel = (cancel: () => void): void => {
    this.cancel = cancel;
    if (this.reason !== null) cancel();
  };

  /** The deadline passed. */
  fire(): void {
    this.#end("timeout");
  }

  /** The caller's signal aborted. */
  handleEvent(): void {
    this.#end("aborted");
  }

  /** End the exchange for `why`, closing its connection. */
  abort(): void {
    this.#end("aborted");
  }

  #end(why: "timeout" | "aborted"): void {
    if (this.#finished || this.reason !== null) return;
    this.reason = why;
    this.cancel?.();
  }

  why(): TransportError {
    return this.reason === "timeout"
      ? new TransportError("timeout", `no complete response within ${this.#timeoutMs / 1000} s`)
      : new TransportError("aborted", "request aborted");
  }

  done(): void {
    this.#finished = true;
    this.#deadlines.delete(this);
    this.#outer?.removeEventListener("abort", this);
  }
}

class NativeReply implements Reply {
  readonly status: number;
  readonly #res: Http1Response;
  readonly #x: Exchange;

  constructor(res: Http1Response, x: Exchange) {
    this.#res = res;
    this.#x = x;
    this.status = res.status;
  }

  header(name: string): string | null {
    return this.#res.header(name);
  }

  takeBody(): { text: string; at: number } | null {
    const text = this.#res.takeText();
    return text === null ? null : { text, at: this.#res.bodyArrivedAt };
  }

  async text(maxBytes: number): Promise<string> {
    try {
      return await this.#res.text(maxBytes);
    } catch (err) {
      const x = this.#x;
      if (err instanceof Http1Error && err.kind === "too_large" && x.reason === null) {
        throw new TransportError("too_large", err.message, { cause: err });
      }
      throw x.reason !== null ? x.why() : new TransportError("cut", message(err), { cause: err });
    }
  }

  stream(onData: (bytes: Uint8Array, t: number) => void): Promise<void> {
    // A plain reaction rather than an async function: one suspended frame less per stream.
    return this.#res.stream(onData).catch((err) => this.#streamFailed(err));
  }

  /** What a failed read of the body becomes (the pool wraps what `onData` threw as cause). */
  #streamFailed(err: unknown): never {
    const x = this.#x;
    throw x.reason !== null ? x.why() : new TransportError("cut", message(err), { cause: err });
  }

  done(): void {
    this.#x.done();
  }

  cancel(): void {
    this.#x.abort();
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
