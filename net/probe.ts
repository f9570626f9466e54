/**
 * The target probe: a base URL checked and normalised, then `GET /health` (informational) and
 * `GET /v1/models` (required) over the load's transport, before any load is sent.
 *
 * @module
 */

import { TargetError, UsageError } from "../util/errors.ts";
import { publicUrl } from "../util/redact.ts";
import { BODY_LIMITS, BodyTooLargeError, readBounded } from "./bounded.ts";
import { Http1Error, Http1Pool } from "./http1.ts";
import type { HttpClientKind } from "./transport.ts";

/**
 * Budget of the first probe call (`GET /health`): a host that does not answer within it is
 * reported unreachable, so a wrong address fails in seconds rather than after a full timeout.
 */
export const PROBE_CONNECT_MS = 3000;

/** Longest error text kept per failed request. */
export const MAX_ERROR_CHARS = 200;

/**
 * Validate and normalise a base URL: http(s) only, no trailing slash, and a trailing `/v1`
 * removed (users often paste the OpenAI base URL). Throws {@linkcode UsageError}.
 */
export function normalizeBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(raw)} is not a URL (expected http://host:port)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--url must be http or https, got ${url.protocol.replace(":", "")}`);
  }
  if (url.username || url.password) {
    throw new UsageError("--url must not carry credentials; use --api-key or OPENAI_API_KEY");
  }
  if (url.search || url.hash) {
    // Every request goes to base + path: a query (Azure's ?api-version=…) would be dropped.
    throw new UsageError(
      `--url ${JSON.stringify(publicUrl(raw))} has a ${
        url.search ? "query string" : "fragment"
      }, ` +
        "which requests to its paths would not carry; give the base URL alone",
    );
  }
  if (url.port === "0") {
    throw new UsageError(`--url ${JSON.stringify(raw)} has port 0, which no server listens on`);
  }
  let path = url.pathname.replace(/\/+$/, "");
  if (path.endsWith("/v1")) path = path.slice(0, -3);
  return `${url.protocol}//${url.host}${path}`;
}

/** What the probe learnt about the target. */
export interface ProbeResult {
  /** Normalised base URL. */
  baseUrl: string;
  /** HTTP status of `GET /health`, or null when it did not answer. */
  healthStatus: number | null;
  /** The `status` field of the health body, when it had one. */
  healthState: string | null;
  /** Model ids from `GET /v1/models`. */
  models: string[];
  /** `server` response header of `/v1/models`, when present. */
  serverHeader: string | null;
  /** Milliseconds the `/v1/models` call took. */
  modelsLatencyMs: number;
}

/** Options of {@linkcode probeTarget}. */
export interface ProbeOptions {
  /** Bearer key, if any. */
  apiKey?: string;
  /** Per-call timeout in ms (default 10 000). */
  timeoutMs?: number;
  /** The transport, as the load will use it (default `native`). */
  http?: HttpClientKind;
}

/** One GET's answer, whichever transport carried it. */
interface GetAnswer {
  status: number;
  text: string;
  header(name: string): string | null;
  /** Set when the body went over its limit (`text` is then empty). */
  tooLarge?: BodyTooLargeError;
}

/**
 * GET `path` over the load's transport, redirects not followed. Throws a `TimeoutError`
 * DOMException after `timeoutMs`, or the transport's error.
 */
async function getOnce(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  timeoutMs: number,
  http: HttpClientKind,
  maxBytes: number,
): Promise<GetAnswer> {
  const what = `${path} body`;
  if (http === "fetch") {
    const res = await fetch(`${baseUrl}${path}`, {
      headers,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const header = (n: string) => res.headers.get(n);
    try {
      return { status: res.status, text: await readBounded(res, maxBytes, what), header };
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        return { status: res.status, text: "", header, tooLarge: err };
      }
      throw err;
    }
  }
  const pool = new Http1Pool(baseUrl, { maxIdle: 1 });
  let cancel: (() => void) | null = null;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    cancel?.();
  }, timeoutMs);
  try {
    const prefix = new URL(baseUrl).pathname.replace(/\/+$/, "");
    const res = await pool.request({ method: "GET", path: `${prefix}${path}`, headers }, (c) => {
      cancel = c;
      if (timedOut) c();
    });
    const header = (n: string) => res.header(n);
    try {
      return { status: res.status, text: await res.text(maxBytes), header };
    } catch (err) {
      if (err instanceof Http1Error && err.kind === "too_large") {
        const tooLarge = new BodyTooLargeError(what, maxBytes, "is too large");
        return { status: res.status, text: "", header, tooLarge };
      }
      throw err;
    }
  } catch (err) {
    if (timedOut) throw new DOMException("timed out", "TimeoutError");
    throw err;
  } finally {
    clearTimeout(timer);
    pool.close();
  }
}

/** A redirect answer: where to, as a usable message; null for other answers. */
function redirectOf(baseUrl: string, path: string, a: GetAnswer): string | null {
  if (a.status < 300 || a.status >= 400) return null;
  const to = a.header("location") ?? "(no location)";
  let where = to;
  try {
    const u = new URL(to, `${baseUrl}${path}`);
    where = u.host === new URL(baseUrl).host ? `${u.pathname} on the same host` : u.origin;
  } catch {
    // keep the raw location
  }
  return `${baseUrl}${path} answered HTTP ${a.status}, a redirect to ${where}: redirects are ` +
    "not followed (another host's answers would be taken for the target's); pass the final URL";
}

/** The authorization header of a key (none without one). */
export function authHeaders(apiKey?: string): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

/** True for the error of a timed-out signal. */
export function isTimeout(err: unknown): boolean {
  return err instanceof DOMException && err.name === "TimeoutError";
}

/**
 * Probe a target: `GET /health` (informational: not every server has one) and
 * `GET /v1/models` (required). Throws {@linkcode TargetError} when the target is unreachable,
 * rejects the key, or does not look like an OpenAI-compatible API.
 */
export async function probeTarget(baseUrl: string, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const http = opts.http ?? "native";
  let healthStatus: number | null = null;
  let healthState: string | null = null;
  const firstMs = Math.min(timeoutMs, PROBE_CONNECT_MS);
  try {
    const res = await getOnce(baseUrl, "/health", {}, firstMs, http, BODY_LIMITS.health);
    healthStatus = res.status;
    try {
      const body = JSON.parse(res.text);
      if (body && typeof body.status === "string") healthState = body.status;
    } catch {
      // a plain-text health answer is fine
    }
  } catch (err) {
    if (isTimeout(err)) {
      throw new TargetError(`${baseUrl} did not answer within ${firstMs / 1000} s`, "timeout");
    }
    throw new TargetError(`cannot reach ${baseUrl}: ${connectReason(err)}`, "unreachable");
  }
  const t0 = performance.now();
  let res: GetAnswer;
  try {
    res = await getOnce(
      baseUrl,
      "/v1/models",
      authHeaders(opts.apiKey),
      timeoutMs,
      http,
      BODY_LIMITS.models,
    );
  } catch (err) {
    if (isTimeout(err)) {
      throw new TargetError(
        `${baseUrl}/v1/models did not answer within ${timeoutMs / 1000} s`,
        "timeout",
      );
    }
    throw new TargetError(`cannot reach ${baseUrl}: ${connectReason(err)}`, "unreachable");
  }
  const modelsLatencyMs = performance.now() - t0;
  const redirect = redirectOf(baseUrl, "/v1/models", res);
  if (redirect) throw new TargetError(redirect, "not_openai");
  if (res.status === 401 || res.status === 403) {
    throw new TargetError(
      `${baseUrl} rejected the API key (HTTP ${res.status}); pass a valid --api-key or set OPENAI_API_KEY`,
      "auth",
    );
  }
  if (res.tooLarge) {
    throw new TargetError(
      `${baseUrl} is not an OpenAI-compatible API: its ${res.tooLarge.message}`,
      "not_openai",
    );
  }
  let body: unknown = null;
  try {
    body = JSON.parse(res.text);
  } catch {
    body = null;
  }
  const data = (body as { data?: unknown } | null)?.data;
  if (res.status < 200 || res.status >= 300 || !Array.isArray(data)) {
    throw new TargetError(
      `${baseUrl} is not an OpenAI-compatible API: GET /v1/models answered HTTP ${res.status}` +
        (Array.isArray(data) ? "" : " without a JSON model list"),
      "not_openai",
    );
  }
  const models = data
    .map((m) => (m && typeof m === "object" ? (m as { id?: unknown }).id : undefined))
    .filter((id): id is string => typeof id === "string");
  return {
    baseUrl,
    healthStatus,
    healthState,
    models,
    serverHeader: res.header("server"),
    modelsLatencyMs,
  };
}

/** Why a connection failed, in a few words (the cause chain of fetch's errors read). */
export function connectReason(err: unknown): string {
  // fetch says only "fetch failed"; what happened is in the cause chain.
  let msg = "";
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 4; depth++) {
    msg += `${e instanceof Error ? e.message : String(e)}\n`;
    e = e instanceof Error ? e.cause : undefined;
  }
  if (/refused/i.test(msg)) return "connection refused";
  if (/dns|resolve|lookup|name or service/i.test(msg)) return "host name not found";
  if (/reset/i.test(msg)) return "connection reset";
  if (/blocked/i.test(msg)) return "the port is blocked by the runtime (a well-known unsafe port)";
  return msg.split("\n")[0].slice(0, MAX_ERROR_CHARS);
}
