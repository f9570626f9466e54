/**
 * Routing of the embedded server: one request handler over a {@linkcode ServerState}.
 *
 * @module
 */

import { handleChat, handleGenerate } from "./chat.ts";
import { handleEmbeddings } from "./embeddings.ts";
import { handleRank } from "./rerank.ts";
import { anthropicErrorResponse, errorResponse, HttpError, jsonResponse } from "./http.ts";
import { MODEL_IDS, MODELS_BODY, modelsBody } from "./models.ts";
import type { ServerState } from "./state.ts";
import { predictSaturation } from "../twin/engine.ts";
import { engineConfig } from "./options.ts";

const encoder = new TextEncoder();
const MODELS_BYTES = encoder.encode(MODELS_BODY);
const twinModels = new WeakMap<ServerState, Uint8Array>();

/** The model list: the twin's model first, then FakeAI's ids (every id is accepted). */
function modelsOf(state: ServerState): Uint8Array {
  if (!state.twin) return MODELS_BYTES;
  let bytes = twinModels.get(state);
  if (!bytes) {
    bytes = encoder.encode(modelsBody(state.twin.model.name));
    twinModels.set(state, bytes);
  }
  return bytes;
}
const PROM_HEADERS = { "content-type": "text/plain; version=0.0.4; charset=utf-8" };

type Method = "GET" | "POST";

const ROUTES: Record<string, Method> = {
  "/health": "GET",
  "/v1/models": "GET",
  "/v1/chat/completions": "POST",
  "/v1/completions": "POST",
  "/v1/embeddings": "POST",
  "/v1/responses": "POST",
  "/v1/messages": "POST",
  "/v1/rerank": "POST",
  "/v2/rerank": "POST",
  "/rerank": "POST",
  "/v1/score": "POST",
  "/score": "POST",
  "/kv-cache/metrics": "GET",
  "/kv-cache/reset": "POST",
  "/metrics": "GET",
  "/engine/prediction": "GET",
};

/**
 * `GET /engine/prediction?isl=N&osl=N`: the engine model's saturation throughput for requests
 * of N prompt and N output tokens, per replica and for all replicas, with the parameters used.
 */
function predictionOf(state: ServerState, url: string): Record<string, unknown> {
  const q = new URL(url).searchParams;
  const int = (name: string, dflt: number) => {
    const raw = q.get(name);
    const v = raw === null ? dflt : Number(raw);
    if (!Number.isInteger(v) || v < 1 || v > 1_000_000) {
      throw new HttpError(400, `${name} must be a whole number from 1 to 1000000`, name);
    }
    return v;
  };
  const isl = int("isl", 512), osl = int("osl", 128);
  const config = engineConfig(state.opts);
  const one = predictSaturation(config, isl, osl);
  const replicas = state.opts.workers;
  return {
    profile: state.opts.profile,
    replicas,
    engine: config,
    per_replica: one,
    output_tokens_per_second: one.outputTokensPerSecond * replicas,
    requests_per_second: one.requestsPerSecond * replicas,
  };
}

/** Path of a request URL without the query string, with no URL object built. */
export function pathOf(url: string): string {
  const scheme = url.indexOf("//");
  const slash = url.indexOf("/", scheme < 0 ? 0 : scheme + 2);
  if (slash < 0) return "/";
  const q = url.indexOf("?", slash);
  const h = url.indexOf("#", slash);
  const endAt = q < 0 ? (h < 0 ? url.length : h) : h < 0 ? q : Math.min(q, h);
  return url.slice(slash, endAt);
}

function checkAuth(state: ServerState, req: Request): void {
  if (state.apiKeys.size === 0) return;
  // Anthropic's clients send the key as `x-api-key`.
  const xKey = req.headers.get("x-api-key");
  if (xKey !== null && state.apiKeys.has(xKey.trim())) return;
  const header = req.headers.get("authorization");
  if ((header === null || header.trim() === "") && xKey === null) {
    throw new HttpError(
      401,
      "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'.",
      null,
      "invalid_request_error",
      "missing_api_key",
    );
  }
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (m === null || !state.apiKeys.has(m[1])) {
    throw new HttpError(
      401,
      "Incorrect API key provided.",
      null,
      "invalid_request_error",
      "invalid_api_key",
    );
  }
}

/** Hold a response that falls inside the pause window until the window ends. */
async function pauseIfDue(state: ServerState): Promise<void> {
  const now = performance.now();
  const due = state.clock.adjust(now);
  if (due > now) await state.clock.sleepUntil(due);
}

async function route(
  state: ServerState,
  req: Request,
  path: string,
  t0: number,
): Promise<Response> {
  const want = ROUTES[path];
  if (want === undefined) {
    throw new HttpError(
      404,
      `Invalid URL (${req.method} ${path.slice(0, 200)})`,
      null,
      "invalid_request_error",
      "unknown_url",
    );
  }
  const method = req.method === "HEAD" && want === "GET" ? "GET" : req.method;
  if (method !== want) {
    throw new HttpError(
      405,
      `Method ${req.method.slice(0, 20)} not allowed on ${path}; use ${want}.`,
      null,
      "invalid_request_error",
      "method_not_allowed",
      { allow: want === "GET" ? "GET, HEAD" : want },
    );
  }
  if (path === "/health" || path === "/v1/models") await pauseIfDue(state);
  switch (path) {
    case "/health":
      return jsonResponse(
        `{"status":"healthy","ready":true,"timestamp":"${new Date().toISOString()}"}`,
      );
    case "/v1/models":
      checkAuth(state, req);
      return jsonResponse(modelsOf(state));
    case "/v1/chat/completions":
      checkAuth(state, req);
      return await handleChat(state, req, t0);
    case "/v1/completions":
      checkAuth(state, req);
      return await handleGenerate("completions", state, req, t0);
    case "/v1/responses":
      checkAuth(state, req);
      return await handleGenerate("responses", state, req, t0);
    case "/v1/messages":
      checkAuth(state, req);
      return await handleGenerate("messages", state, req, t0);
    case "/v1/rerank":
    case "/v2/rerank":
    case "/rerank":
      checkAuth(state, req);
      return await handleRank(state, req, t0, false);
    case "/v1/score":
    case "/score":
      checkAuth(state, req);
      return await handleRank(state, req, t0, true);
    case "/v1/embeddings":
      checkAuth(state, req);
      return await handleEmbeddings(state, req, t0);
    case "/kv-cache/metrics":
      return jsonResponse(JSON.stringify(state.kv.metrics()));
    case "/kv-cache/reset":
      // It changes the server's state: the key guards it as it guards /v1/*.
      checkAuth(state, req);
      await req.body?.cancel().catch(() => {});
      state.kv.reset();
      return jsonResponse(`{"status":"success","message":"KV cache and its metrics were reset."}`);
    case "/metrics":
      return new Response(
        state.metrics.prometheus(state.kv) +
          (state.engines
            ? state.vllm.prometheus(
              state.engines.map((d) => d.core),
              state.twin?.model.name ?? MODEL_IDS[0],
            )
            : ""),
        { status: 200, headers: PROM_HEADERS },
      );
    case "/engine/prediction":
      return jsonResponse(JSON.stringify(predictionOf(state, req.url)));
  }
  throw new HttpError(
    404,
    `Invalid URL (${req.method} ${path})`,
    null,
    "invalid_request_error",
    "unknown_url",
  );
}

/**
 * Build the request handler of a server.
 *
 * @param state the server's state.
 * @returns a handler for `Deno.serve`; it never throws, every request gets a JSON error or a success.
 */
export function createHandler(state: ServerState): (req: Request) => Promise<Response> {
  return async (req: Request): Promise<Response> => {
    const t0 = performance.now();
    const path = pathOf(req.url);
    let res: Response;
    try {
      res = await route(state, req, path, t0);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(
        500,
        "The server had an internal error.",
        null,
        "server_error",
        "internal_error",
      );
      res = path === "/v1/messages" ? anthropicErrorResponse(e) : errorResponse(e);
    }
    state.metrics.countHttp(path, res.status);
    return res;
  };
}
