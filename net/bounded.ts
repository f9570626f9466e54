/**
 * Bounded reads of HTTP bodies outside the load: the probe's `/health` and `/v1/models`, the
 * metrics sampler, `/kv-cache/metrics`, the memory scrape. Every body the tool reads with
 * `fetch` goes through {@linkcode readBounded}: a hostile or broken server cannot make the
 * client hold more than the limit of that kind of body, and the error names both.
 *
 * (The load's own bodies are bounded by its transports: `--max-response-mb` for answers, 64 KB
 * for error bodies.)
 *
 * @module
 */

import { concatBytes } from "../util/bytes.ts";

/** Largest body read for each kind of answer outside the load, in bytes. */
export const BODY_LIMITS = {
  /** `GET /health`: a status word or a small JSON object. */
  health: 64 * 1024,
  /** `GET /v1/models`: hundreds of models fit in a few hundred KB. */
  models: 16 * 1024 * 1024,
  /** A Prometheus `/metrics` page: vLLM's with many models is a few MB. */
  metrics: 32 * 1024 * 1024,
  /** `GET /kv-cache/metrics` of the embedded server. */
  kvMetrics: 1024 * 1024,
  /** An error answer's body, kept only for its message. */
  error: 64 * 1024,
} as const;

/** A body went over its limit; names the kind of body and the limit. */
export class BodyTooLargeError extends Error {
  /** What was being read (e.g. "/metrics body"). */
  readonly what: string;
  /** The limit in bytes. */
  readonly limit: number;
  /** Create the error for `what` over `limit` bytes. */
  constructor(what: string, limit: number, detail: string) {
    super(`${what} ${detail}, over the limit of ${formatLimit(limit)}`);
    this.name = "BodyTooLargeError";
    this.what = what;
    this.limit = limit;
  }
}

function formatLimit(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * Read a fetch `Response`'s body as UTF-8 text, at most `maxBytes` of it. A declared length
 * over the limit fails before reading; a body that grows past it is cancelled at once.
 * Throws {@linkcode BodyTooLargeError}.
 */
export async function readBounded(
  res: Response,
  maxBytes: number,
  what: string,
): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new BodyTooLargeError(what, maxBytes, `declares ${declared} bytes`);
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        parts.length = 0;
        await reader.cancel().catch(() => {});
        throw new BodyTooLargeError(what, maxBytes, `went past ${maxBytes} bytes`);
      }
      // A copy: the chunk may view a larger buffer that keeping the view would keep whole.
      parts.push(value.slice());
    }
  } finally {
    reader.releaseLock();
  }
  return new TextDecoder().decode(concatBytes(parts));
}

/** Options of {@linkcode getBounded}. */
export interface BoundedGetOptions {
  /** Request method (default GET). */
  method?: string;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Request body, if any. */
  body?: Uint8Array | string;
  /** The whole exchange, body included, ends after this many ms. */
  timeoutMs: number;
  /** Largest body read, in bytes. */
  maxBytes: number;
  /** What is being read, for errors (e.g. "/metrics body"). */
  what: string;
}

/** A bounded answer: status, headers and the body text. */
export interface BoundedAnswer {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** The body, at most the limit. */
  text: string;
}

/**
 * One request with `fetch` (any method, with an optional body), redirects not followed, its
 * answer's body read through {@linkcode readBounded} under one timeout for the whole exchange.
 * Throws the fetch error, a `TimeoutError` DOMException, or {@linkcode BodyTooLargeError}.
 */
export async function getBounded(url: string, opts: BoundedGetOptions): Promise<BoundedAnswer> {
  const res = await fetch(url, {
    method: opts.method ?? "GET",
    headers: opts.headers,
    body: opts.body as BodyInit | undefined,
    redirect: "manual",
    signal: AbortSignal.timeout(opts.timeoutMs),
  });
  const text = await readBounded(res, opts.maxBytes, opts.what);
  return { status: res.status, headers: res.headers, text };
}
