/**
 * Small HTTP helpers: OpenAI-style error bodies, JSON responses, bounded body reading.
 *
 * @module
 */

import { concatBytes } from "../util/bytes.ts";

/** An error answered to the client as OpenAI-style JSON. */
export class HttpError extends Error {
  /** HTTP status code. */
  readonly status: number;
  /** OpenAI error `type`. */
  readonly type: string;
  /** The request parameter at fault, or null. */
  readonly param: string | null;
  /** OpenAI error `code`, or null. */
  readonly code: string | null;
  /** Extra response headers, e.g. `Retry-After`. */
  readonly headers?: Record<string, string>;

  /** Create an HTTP error. */
  constructor(
    status: number,
    message: string,
    param: string | null = null,
    type = "invalid_request_error",
    code: string | null = null,
    headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
    this.headers = headers;
  }
}

const JSON_HEADERS = { "content-type": "application/json" };

/**
 * An OpenAI-style error response: `{"error":{"message","type","param","code"}}`.
 *
 * @param err what went wrong; its `headers` are added.
 * @returns the response.
 */
export function errorResponse(err: HttpError): Response {
  const headers = err.headers;
  const body = JSON.stringify({
    error: { message: err.message, type: err.type, param: err.param, code: err.code },
  });
  return new Response(body, {
    status: err.status,
    headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS,
  });
}

/** Anthropic's error `type` for an HTTP status. */
function anthropicType(status: number): string {
  if (status === 400 || status === 413) {
    return status === 413 ? "request_too_large" : "invalid_request_error";
  }
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  if (status === 529 || status === 503) return "overloaded_error";
  return status >= 500 ? "api_error" : "invalid_request_error";
}

/**
 * An Anthropic-style error response (`/v1/messages`):
 * `{"type":"error","error":{"type","message"}}`.
 */
export function anthropicErrorResponse(err: HttpError): Response {
  const body = JSON.stringify({
    type: "error",
    error: { type: anthropicType(err.status), message: err.message },
  });
  return new Response(body, {
    status: err.status,
    headers: err.headers ? { ...JSON_HEADERS, ...err.headers } : JSON_HEADERS,
  });
}

/**
 * A JSON response from a serialised body.
 *
 * @param body JSON text or encoded bytes.
 * @param headers extra headers.
 * @returns a 200 response.
 */
export function jsonResponse(
  body: string | Uint8Array,
  headers?: Record<string, string>,
): Response {
  return new Response(body as BodyInit, {
    status: 200,
    headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS,
  });
}

/** Marker returned by {@linkcode readBody} when the body is over the limit. */
export const TOO_LARGE: unique symbol = Symbol("too large");

/**
 * Read a request's (or a fetched response's) body, refusing more than `max` bytes by
 * `Content-Length` and by bytes read.
 *
 * @param req the request or response.
 * @param max largest accepted body in bytes.
 * @returns the bytes, or {@linkcode TOO_LARGE}.
 */
export async function readBody(
  req: Request | Response,
  max: number,
): Promise<Uint8Array | typeof TOO_LARGE> {
  const cl = req.headers.get("content-length");
  if (cl !== null) {
    const declared = Number(cl);
    if (!(declared <= max)) {
      // A fetched answer is let go of; a request's unread body is the server's to drop.
      if (req instanceof Response) await req.body?.cancel().catch(() => {});
      return TOO_LARGE;
    }
    const bytes = new Uint8Array(await req.arrayBuffer());
    return bytes.byteLength > max ? TOO_LARGE : bytes;
  }
  if (req.body === null) return new Uint8Array(0);
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      return TOO_LARGE;
    }
    parts.push(value);
  }
  return concatBytes(parts);
}
