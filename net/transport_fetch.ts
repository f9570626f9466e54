/**
 * The fetch transport: Deno's `fetch` with its own connection pool (HTTP/2 via ALPN on https).
 * Over a bound, the request is aborted as a whole: cancelling only the body reader would leave
 * the runtime reading the rest of the body into memory.
 *
 * @module
 */

import { concatBytes } from "../util/bytes.ts";
import { type Reply, type Transport, TransportError } from "./transport.ts";

/** Options of {@linkcode FetchTransport}. */
export interface FetchOptions {
  /** Idle connections kept per host. */
  poolSize: number;
  /** Per-request timeout (ms). */
  timeoutMs: number;
}

/** Requests through `fetch`, one HTTP client (pool) per transport. */
export class FetchTransport implements Transport {
  /** Which implementation. */
  readonly kind = "fetch" as const;
  readonly #origin: string;
  readonly #http: Deno.HttpClient;
  readonly #timeoutMs: number;

  /** A transport to `baseUrl` (paths are appended to its origin). */
  constructor(baseUrl: string, opts: FetchOptions) {
    this.#origin = new URL(baseUrl).origin;
    this.#http = Deno.createHttpClient({ poolMaxIdlePerHost: opts.poolSize });
    this.#timeoutMs = opts.timeoutMs;
  }

  async post(
    path: string,
    headers: Record<string, string>,
    body: Uint8Array | string,
    outer: AbortSignal | undefined,
  ): Promise<Reply> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const over = new AbortController();
    const signal = AbortSignal.any(
      outer ? [outer, timeout, over.signal] : [timeout, over.signal],
    );
    let res: Response;
    try {
      res = await fetch(`${this.#origin}${path}`, {
        method: "POST",
        headers,
        body: body as BodyInit,
        client: this.#http,
        signal,
        redirect: "manual",
      });
    } catch (err) {
      throw classify(err, outer, "connect");
    }
    return new FetchReply(res, outer, signal, over);
  }

  close(): void {
    this.#http.close();
  }
}

class FetchReply implements Reply {
  readonly status: number;
  readonly #res: Response;
  readonly #outer: AbortSignal | undefined;
  readonly #signal: AbortSignal;
  readonly #over: AbortController;
  /** When the last read resolved (ms): the arrival stamp of the bytes it brought. */
  #readAt = 0;

  constructor(
    res: Response,
    outer: AbortSignal | undefined,
    signal: AbortSignal,
    over: AbortController,
  ) {
    this.#res = res;
    this.#outer = outer;
    this.#signal = signal;
    this.#over = over;
    this.status = res.status;
  }

  header(name: string): string | null {
    return this.#res.headers.get(name);
  }

  takeBody(): null {
    return null;
  }

  async text(maxBytes: number): Promise<string> {
    const res = this.#res;
    const cl = Number(res.headers.get("content-length") ?? NaN);
    if (cl > maxBytes) {
      this.#over.abort();
      await res.body?.cancel().catch(() => {});
      throw new TransportError("too_large", `the body is ${cl} bytes, over ${maxBytes}`);
    }
    if (!res.body) return "";
    const reader = res.body.getReader();
    const parts: Uint8Array[] = [];
    let total = 0;
    try {
      for (let value; (value = await this.#read(reader, false)) !== null;) {
        total += value.length;
        if (total > maxBytes) {
          parts.length = 0;
          this.#over.abort();
          await reader.cancel().catch(() => {});
          throw new TransportError("too_large", `the body exceeded ${maxBytes} bytes`);
        }
        // A copy: the chunk may be a view on a much larger buffer the runtime allocated, which
        // keeping the view would keep whole.
        parts.push(value.slice());
      }
    } finally {
      reader.releaseLock();
    }
    return new TextDecoder().decode(concatBytes(parts));
  }

  async stream(onData: (bytes: Uint8Array, t: number) => void): Promise<void> {
    const body = this.#res.body;
    if (!body) throw new TransportError("cut", "streaming response has no body");
    const reader = body.getReader();
    try {
      for (let value; (value = await this.#read(reader, true)) !== null;) {
        try {
          onData(value, this.#readAt);
        } catch (err) {
          this.#over.abort();
          reader.cancel().catch(() => {});
          throw err;
        }
      }
    } finally {
      reader.releaseLock();
    }
  }

  done(): void {}

  cancel(): void {
    this.#over.abort();
  }

  /**
   * The next piece of the body, or null at its end. A stream's body error that is not this
   * request's own deadline is a cut, not a timeout.
   */
  async #read(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    streaming: boolean,
  ): Promise<Uint8Array | null> {
    try {
      const chunk = await reader.read();
      this.#readAt = performance.now();
      return chunk.done ? null : chunk.value;
    } catch (err) {
      const failure = classify(err, this.#outer, "cut");
      if (streaming && failure.kind === "timeout" && !this.#signal.aborted) {
        throw new TransportError("cut", failure.message, { cause: err });
      }
      throw failure;
    }
  }
}

function classify(
  err: unknown,
  outer: AbortSignal | undefined,
  otherwise: "connect" | "cut",
): TransportError {
  const message = err instanceof Error ? err.message : String(err);
  const kind = outer?.aborted
    ? "aborted"
    : err instanceof DOMException && (err.name === "TimeoutError" || err.name === "AbortError")
    ? "timeout"
    : otherwise;
  return new TransportError(kind, message, { cause: err });
}
