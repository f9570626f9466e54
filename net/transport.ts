/**
 * How a request reaches the server: the transport interface the client measures through, and
 * the failures below HTTP it reports. Two implementations: the lean HTTP/1.1 client
 * (`transport_native.ts`, the default) and Deno's `fetch` (`transport_fetch.ts`; HTTP/2 on
 * https).
 *
 * @module
 */

import { KindError } from "../util/errors.ts";

/** The HTTP client implementations a client can use. */
export const HTTP_CLIENTS = ["native", "fetch"] as const;

/**
 * `native`: the lean HTTP/1.1 client of `net/http1.ts` (default; several times cheaper per
 * request); `fetch`: Deno's `fetch` with its own connection pool (HTTP/2 via ALPN on https).
 */
export type HttpClientKind = typeof HTTP_CLIENTS[number];

/**
 * Why a request failed below HTTP: no connection, no complete answer in time, aborted by the
 * caller, the answer broken off, or an answer over a bound.
 */
export type TransportFailure = "connect" | "timeout" | "aborted" | "cut" | "too_large";

/** A failure below HTTP; `cause` is the underlying error when there is one. */
export class TransportError extends KindError<TransportFailure> {
  override name = "TransportError";
}

/** The answer to one request, once its head has arrived. Read its body once. */
export interface Reply {
  /** HTTP status. */
  readonly status: number;
  /** A header value (name in lower case), or null. */
  header(name: string): string | null;
  /**
   * The whole body when it came with the head, with the arrival time (ms, `performance.now()`)
   * of the read that completed it; null when it must be read.
   */
  takeBody(): { text: string; at: number } | null;
  /**
   * The whole body as text, at most `maxBytes` of it. Rejects with a {@linkcode TransportError}
   * (`too_large`, `cut`, `timeout`, `aborted`).
   */
  text(maxBytes: number): Promise<string>;
  /**
   * Hand every piece of the body to `onData` with the arrival time of the read that brought
   * it. An error `onData` throws rejects the stream as it is; a transport failure rejects with
   * a {@linkcode TransportError}.
   */
  stream(onData: (bytes: Uint8Array, t: number) => void): Promise<void>;
  /** The end of the exchange: its deadline and abort listener are released. */
  done(): void;
  /** Stop reading: the connection is dropped and a pending {@linkcode stream} rejects. */
  cancel(): void;
}

/** Sends requests to one origin over one connection pool. */
export interface Transport {
  /** Which implementation. */
  readonly kind: HttpClientKind;
  /**
   * POST `body` to `path` (under the base URL) and resolve once the answer's head arrived. The
   * request is bounded by the transport's timeout and by `signal`. Rejects with a
   * {@linkcode TransportError}.
   */
  post(
    path: string,
    headers: Record<string, string>,
    body: Uint8Array | string,
    signal: AbortSignal | undefined,
  ): Promise<Reply>;
  /** Close the pool. */
  close(): void;
}
