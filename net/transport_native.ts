/**
 * The native transport: the lean HTTP/1.1 client of `net/http1.ts`, its requests bounded by
 * one sweeping deadline timer. A timeout or an abort closes the connection, which ends any
 * pending read.
 *
 * @module
 */

import { Http1Error, Http1Pool, type Http1Response } from "./http1.ts";
import { Deadlines } from "./deadlines.ts";
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
    const x = new Exchange(this.#timeoutMs);
    const deadline = { at: performance.now() + this.#timeoutMs, fire: () => x.fire("timeout") };
    this.#deadlines.add(deadline);
    const onAbort = () => x.fire("aborted");
    if (outer) {
      if (outer.aborted) x.reason = "aborted";
      else outer.addEventListener("abort", onAbort, { once: true });
    }
    x.release = () => {
      this.#deadlines.delete(deadline);
      outer?.removeEventListener("abort", onAbort);
    };
    let res: Http1Response;
    try {
      res = await this.#pool.request({ method: "POST", path, headers, body }, (c) => {
        x.cancel = c;
        if (x.reason !== null) c();
      });
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

/** One request's state: why it was stopped, if it was, and how to stop it. */
class Exchange {
  reason: "timeout" | "aborted" | null = null;
  cancel: (() => void) | null = null;
  release: () => void = () => {};
  #finished = false;
  readonly #timeoutMs: number;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  fire(why: "timeout" | "aborted"): void {
    if (this.#finished || this.reason !== null) return;
    this.reason = why;
    this.cancel?.();
  }

  /** The error of a request stopped by its timeout or its caller. */
  why(): TransportError {
    return this.reason === "timeout"
      ? new TransportError("timeout", `no complete response within ${this.#timeoutMs / 1000} s`)
      : new TransportError("aborted", "request aborted");
  }

  done(): void {
    this.#finished = true;
    this.release();
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

  async stream(onData: (bytes: Uint8Array, t: number) => void): Promise<void> {
    try {
      await this.#res.stream(onData);
    } catch (err) {
      // The pool wraps what `onData` threw: the caller finds it as the cause.
      const x = this.#x;
      throw x.reason !== null ? x.why() : new TransportError("cut", message(err), { cause: err });
    }
  }

  done(): void {
    this.#x.done();
  }

  cancel(): void {
    this.#x.fire("aborted");
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
