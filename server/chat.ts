/**
 * `POST /v1/chat/completions`, `/v1/completions` and `/v1/responses`: timing plan, faults,
 * non-streaming JSON and SSE streaming (each endpoint's framing is in `framing.ts`).
 *
 * Timing uses absolute deadlines from the request's arrival `t0`:
 * response start at `t0 + latencyMs`; first token at that plus
 * `TTFT = ttftMs·(1±var) + prefillMsPerToken × uncached prompt tokens`; token
 * `k` at `firstToken + k·itlMs ± var`. A non-streaming answer is sent when the
 * last token would have been. Deadlines inside the pause window move to its end.
 *
 * @module
 */

import { HttpError, readBody, TOO_LARGE } from "./http.ts";
import { combine32, Prng } from "../util/prng.ts";
import type { ServerState } from "./state.ts";
import { fetchImage, IMAGE_FETCH_TIMEOUT_MS, type PendingImage } from "./images.ts";
import { imageTokenIds, imageTokens, type RequestImage } from "../twin/images.ts";
import { tokenIds } from "./tokenizer.ts";
import {
  type ChatRequest,
  validateChat,
  validateCompletion,
  validateMessages,
  validateResponses,
} from "./validate.ts";
import { Seq } from "../twin/engine.ts";
import {
  type FrameInput,
  type Framer,
  framer,
  type GenerateKind,
  reasoningTokens,
} from "./framing.ts";
import { blockKeys } from "./kv_cache.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What faults one request draws; fixed draws per request keep runs deterministic. */
interface FaultPlan {
  disconnect: boolean;
  stall: boolean;
  malformed: boolean;
  /** Token index where a disconnect, stall or malformed chunk happens. */
  at: number;
}

/** The timing of one request. */
interface TimingPlan {
  /** When the response may start. */
  start: number;
  /** Base TTFT with its jitter, before prefill. */
  ttftBase: number;
  /** Whole TTFT, prefill included. */
  ttft: number;
  /** Deadline of the first token. */
  first: number;
  /** Jitter source of the token deadlines. */
  jitter: Prng;
}

function promptHash(ids: readonly number[]): number {
  let h = ids.length >>> 0;
  for (let i = 0; i < ids.length; i++) h = Math.imul(h ^ ids[i], 0x01000193);
  return h >>> 0;
}

function stamp(on: boolean): string {
  return on ? `,"x_sent_ms":${(performance.timeOrigin + performance.now()).toFixed(3)}` : "";
}

/**
 * Handle one chat completion request.
 *
 * @param state the server's state.
 * @param req the request.
 * @param t0 `performance.now()` at arrival.
 * @returns the response (headers sent at once for streams).
 * @throws {HttpError} for bad requests and injected errors.
 */
export function handleChat(state: ServerState, req: Request, t0: number): Promise<Response> {
  return handleGenerate("chat", state, req, t0);
}

const ID_PREFIX: Record<GenerateKind, string> = {
  chat: "chatcmpl-",
  completions: "cmpl-",
  responses: "resp_",
  messages: "msg_",
};

/** Read a request's JSON body, or throw the 413 / 400 the API gives. */
export async function readJsonBody(state: ServerState, req: Request): Promise<unknown> {
  const opts = state.opts;
  const bytes = await readBody(req, opts.maxBodyBytes);
  if (bytes === TOO_LARGE) {
    throw new HttpError(
      413,
      `Request body is larger than the limit of ${opts.maxBodyBytes} bytes.`,
      null,
      "invalid_request_error",
      "request_too_large",
    );
  }
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    throw new HttpError(
      400,
      "We could not parse the JSON body of your request: it is not valid JSON.",
      null,
      "invalid_request_error",
      "invalid_json",
    );
  }
}

/**
 * The images of a request, those given by URL fetched from loopback (all at once, as vLLM's
 * media connector does), each up to `maxBytes`.
 *
 * @throws {HttpError} 400 naming the image that could not be fetched or read.
 */
async function resolveImages(
  images: readonly (RequestImage | PendingImage)[],
  maxBytes: number,
): Promise<RequestImage[]> {
  if (!images.some((img) => "url" in img)) return images as RequestImage[];
  const opts = { maxBytes, timeoutMs: IMAGE_FETCH_TIMEOUT_MS };
  const got = await Promise.all(
    images.map((img) => "url" in img ? fetchImage(img.url, opts) : img),
  );
  const failed = got.find((g): g is string => typeof g === "string");
  if (failed !== undefined) {
    throw new HttpError(
      400,
      `${failed}.`,
      "messages",
      "invalid_request_error",
      "invalid_image_url",
    );
  }
  return got as RequestImage[];
}

/**
 * Handle one request to a generating endpoint.
 *
 * @param kind the endpoint.
 * @param state the server's state.
 * @param req the request.
 * @param t0 `performance.now()` at arrival.
 * @returns the response (headers sent at once for streams).
 * @throws {HttpError} for bad requests and injected errors.
 */
export async function handleGenerate(
  kind: GenerateKind,
  state: ServerState,
  req: Request,
  t0: number,
): Promise<Response> {
  const opts = state.opts;
  const body = await readJsonBody(state, req);
  const chat = kind === "chat"
    ? validateChat(body, opts.maxTokensLimit)
    : kind === "completions"
    ? validateCompletion(body, opts.maxTokensLimit)
    : kind === "messages"
    ? validateMessages(body, opts.maxTokensLimit)
    : validateResponses(body, opts.maxTokensLimit);
  const seq = state.seq++;
  const f = state.faultRng;
  const uError = f.next();
  const uDisconnect = f.next();
  const uStall = f.next();
  const uMalformed = f.next();
  const uAt = f.next();
  const uTool = f.next();
  if (uError < opts.errorRate) {
    state.metrics.faults.error++;
    const status = opts.errorStatus;
    if (status === 429) {
      throw new HttpError(
        429,
        "Rate limit reached (injected fault).",
        null,
        "requests",
        "rate_limit_exceeded",
        {
          "retry-after": "1",
        },
      );
    }
    throw new HttpError(
      status,
      status === 503
        ? "The server is overloaded (injected fault)."
        : "The server had an error (injected fault).",
      null,
      "server_error",
      status === 503 ? "service_unavailable" : "internal_error",
    );
  }
  const n = chat.maxTokens;
  const faults: FaultPlan = {
    disconnect: uDisconnect < opts.disconnectRate,
    stall: uStall < opts.stallRate,
    malformed: uMalformed < opts.malformedRate,
    at: n > 1 ? 1 + Math.floor(uAt * (n - 1)) : 0,
  };
  if (faults.disconnect) state.metrics.faults.disconnect++;
  if (faults.stall) state.metrics.faults.stall++;
  if (faults.malformed) state.metrics.faults.malformed++;

  const ids = tokenIds(chat.promptText);
  // Images are prompt tokens too, after the text: as many as the model family spends on them.
  let imageTokenCount = 0;
  for (const img of await resolveImages(chat.images ?? [], opts.maxBodyBytes)) {
    const n = imageTokens(chat.model, img.width, img.height);
    imageTokenIds(img, n, ids);
    imageTokenCount += n;
  }
  if (imageTokenCount > 0) state.metrics.imageTokens += imageTokenCount;
  const promptTokens = ids.length;
  const { worker, cachedTokens } = state.kv.route(ids);
  const textSeed = chat.seed !== null
    ? combine32(combine32(opts.seed, chat.seed % 4294967296), promptHash(ids))
    : combine32(combine32(opts.seed ^ 0x5eed, seq), promptHash(ids));

  const jitter = new Prng(combine32(textSeed, 0x7133));
  const start = t0 + opts.latencyMs;
  const ttftBase = opts.ttftMs * (1 + (opts.ttftVariancePct / 100) * jitter.signed());
  const ttft = ttftBase + opts.prefillMsPerToken * (promptTokens - cachedTokens);
  const timing: TimingPlan = { start, ttftBase, ttft, first: start + ttft, jitter };

  const m = state.metrics;
  m.chatRequests++;
  m.activeRequests++;
  m.promptTokens += promptTokens;
  if (!state.twin) m.cachedTokens += cachedTokens; // the twin's count once its engine knows
  const id = ID_PREFIX[kind] + new Prng(combine32(opts.seed ^ 0x1d, seq)).hex(32);
  const headers = { "x-fakeai-worker": `worker-${worker}` };
  const frameInput: FrameInput = {
    kind,
    id,
    model: chat.model,
    fingerprint: state.fingerprint,
    n: chat.maxTokens,
    choices: chat.n,
    textSeed,
    promptTokens,
    cachedTokens: state.twin ? 0 : cachedTokens,
    includeUsage: chat.includeUsage,
    reasoning: kind === "completions" || kind === "messages"
      ? 0
      : reasoningTokens(chat.model, chat.maxTokens),
  };
  // A tool call instead of text: when the request offers tools and asks for one, or leaves the
  // choice to the model and the draw says so.
  const choice = chat.toolChoice ?? "none";
  if (kind === "chat" && chat.tools && choice !== "none") {
    const named = typeof choice === "object" ? choice.name : null;
    if (named !== null || choice === "required" || uTool < opts.toolCallRate) {
      frameInput.toolCall = {
        name: named ?? chat.tools[Math.floor(uTool * 7919) % chat.tools.length],
        id: `call_${new Prng(combine32(textSeed, 0x7001)).hex(24)}`,
      };
      frameInput.reasoning = 0;
    }
  }
  const frame = framer(frameInput);
  const answer: Answer = {
    frame,
    frameInput,
    // The twin's replicas keep their own prefix cache, over the prompt's blocks.
    blockHashes: state.twin && opts.kvCache ? blockKeys(ids, opts.kvBlockSize) : null,
    chat,
    id,
    worker,
    promptTokens,
    cachedTokens,
    textSeed,
    timing,
    faults,
    headers,
  };
  if (state.engines) return await engineAnswer(state, answer);
  if (chat.stream) {
    m.streamingRequests++;
    m.activeStreams++;
    state.kv.recordSpeedup(
      ttftBase + opts.prefillMsPerToken * promptTokens,
      ttft,
      promptTokens > 0 ? cachedTokens / promptTokens : 0,
    );
    return await streamResponse(state, answer);
  }
  return await jsonCompletion(state, answer);
}

/** Everything one answer is made from, decided before the first byte is sent. */
interface Answer {
  /** The endpoint's framing of this answer. */
  frame: Framer;
  /** What the framing reads (the twin sets its cached tokens once the engine knows them). */
  frameInput: FrameInput;
  /** Hashes of the prompt's full blocks, for the twin's prefix cache; null otherwise. */
  blockHashes: number[] | null;
  /** The validated request. */
  chat: ChatRequest;
  /** `chatcmpl-…` id. */
  id: string;
  /** Worker the router chose. */
  worker: number;
  /** Prompt tokens. */
  promptTokens: number;
  /** Prompt tokens served from the prefix cache. */
  cachedTokens: number;
  /** Seed of the generated text. */
  textSeed: number;
  /** When each token is due. */
  timing: TimingPlan;
  /** Faults drawn for this request. */
  faults: FaultPlan;
  /** Response headers (the worker). */
  headers: Record<string, string>;
}

function tokenDeadline(
  state: ServerState,
  t: TimingPlan,
  k: number,
  faults: FaultPlan,
  prev: number,
): number {
  const opts = state.opts;
  let d = t.first + k * opts.itlMs + opts.itlMs * (opts.itlVariancePct / 100) * t.jitter.signed();
  if (faults.stall && k >= faults.at) d += opts.stallMs;
  if (d < prev) d = prev;
  return d;
}

/** Wait (a few macrotasks at most) until the consumer has taken every queued chunk. */
async function drained(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
  for (let i = 0; i < 20 && (controller.desiredSize ?? 1) < 1; i++) {
    await new Promise((r) => setTimeout(r, 0));
  }
}

function retain(state: ServerState): void {
  const size = state.opts.leakBytesPerRequest;
  if (size > 0) {
    const block = new Uint8Array(size);
    block.fill(0x5a);
    state.leak.push(block);
    state.metrics.leakedBytes += size;
  }
}

async function jsonCompletion(state: ServerState, answer: Answer): Promise<Response> {
  const { chat, worker, promptTokens, timing, faults } = answer;
  const { clock, metrics } = state;
  const n = chat.maxTokens;
  const last = clock.adjust(tokenDeadline(state, timing, n - 1, faults, timing.first));
  let ok = true;
  if (last > performance.now()) ok = await clock.sleepUntil(last);
  metrics.activeRequests--;
  if (!ok) {
    state.kv.finish(worker, promptTokens);
    throw shuttingDown();
  }
  return completionResponse(state, answer);
}

/** The 503 a request gets when the server shuts down before answering it. */
export function shuttingDown(): HttpError {
  return new HttpError(503, "The server is shutting down.", null, "server_error", "shutting_down");
}

/** The non-streaming answer, once its last token is due: the body, faults applied. */
function completionResponse(state: ServerState, answer: Answer): Response {
  const { chat, worker, promptTokens, faults, headers, frame } = answer;
  const { metrics } = state;
  const completion = chat.maxTokens * chat.n;
  const body = frame.json();
  state.kv.finish(worker, promptTokens + completion);
  const h = { "content-type": "application/json", ...headers };
  if (faults.disconnect) {
    const part = encoder.encode(body.slice(0, body.length >> 1));
    let pulls = 0;
    const cut = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue(part);
        else controller.error(new Error("injected disconnect"));
      },
    });
    return new Response(cut, { status: 200, headers: h });
  }
  metrics.completionTokens += completion;
  retain(state);
  if (faults.malformed) {
    return new Response(body.slice(0, body.length >> 1), { status: 200, headers: h });
  }
  return new Response(body, { status: 200, headers: h });
}

/** The accounting of one stream: count its tokens in `sent`, settle it once with `end`. */
interface StreamTally {
  /** Tokens sent so far. */
  sent: number;
  /** True once settled. */
  readonly ended: boolean;
  /** Settle the stream: completed with `[DONE]`, or cut. Later calls do nothing. */
  end(completed: boolean): void;
}

function streamTally(state: ServerState, worker: number, promptTokens: number): StreamTally {
  const { metrics } = state;
  let ended = false;
  const tally = {
    sent: 0,
    get ended() {
      return ended;
    },
    end(completed: boolean) {
      if (ended) return;
      ended = true;
      metrics.activeRequests--;
      metrics.activeStreams--;
      metrics.completionTokens += tally.sent;
      if (completed) {
        metrics.completedStreams++;
        retain(state);
      } else {
        metrics.failedStreams++;
      }
      state.kv.finish(worker, promptTokens + tally.sent);
    },
  };
  return tally;
}

async function streamResponse(state: ServerState, answer: Answer): Promise<Response> {
  const { chat, worker, promptTokens, timing, faults, headers, frame } = answer;
  const { clock, opts } = state;
  const n = chat.maxTokens;
  const tally = streamTally(state, worker, promptTokens);
  const end = (completed: boolean) => tally.end(completed);

  const startAt = clock.adjust(timing.start);
  if (startAt > performance.now() && !(await clock.sleepUntil(startAt))) {
    end(false);
    throw shuttingDown();
  }

  const stampOn = opts.stampChunks;
  let cancelled = false;

  const run = async (controller: ReadableStreamDefaultController<Uint8Array>) => {
    const opening = frame.open(stamp(stampOn));
    if (opening) controller.enqueue(encoder.encode(opening));
    let prev = timing.first;
    for (let k = 0; k < n; k++) {
      const raw = tokenDeadline(state, timing, k, faults, prev);
      prev = raw;
      const due = clock.adjust(raw);
      if (due > performance.now() && !(await clock.sleepUntil(due))) {
        end(false);
        controller.error(new Error("server shutting down"));
        return;
      }
      if (cancelled) return;
      if (k === faults.at) {
        if (faults.malformed) {
          controller.enqueue(encoder.encode(frame.malformed()));
        }
        if (faults.disconnect) {
          end(false);
          await drained(controller);
          controller.error(new Error("injected disconnect"));
          return;
        }
      }
      controller.enqueue(encoder.encode(frame.token(k, stamp(stampOn))));
      tally.sent++;
    }
    controller.enqueue(encoder.encode(frame.close(stamp(stampOn))));
    controller.close();
    end(true);
  };

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      run(controller).catch(() => {
        end(false);
        try {
          controller.error(new Error("stream failed"));
        } catch {
          // already closed or errored
        }
      });
    },
    cancel() {
      cancelled = true;
      end(false);
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      ...headers,
    },
  });
}

/**
 * The engine profile: the request joins its replica's batch (`server/engine.ts`), and its
 * tokens go out when the engine's steps produce them. Faults apply as in the constant profile:
 * a stall holds every chunk from its token on for `stallMs`.
 */
async function engineAnswer(state: ServerState, answer: Answer): Promise<Response> {
  const { chat, worker, promptTokens, faults, frame, blockHashes } = answer;
  const { metrics, opts, vllm, twin } = state;
  const driver = state.engines![worker];
  const n = chat.maxTokens;
  const refuse = (message: string) => {
    metrics.activeRequests--;
    state.kv.finish(worker, 0);
    return new HttpError(
      400,
      message,
      "max_tokens",
      "invalid_request_error",
      "context_length_exceeded",
    );
  };
  if (twin && promptTokens + n > twin.vllm.maxModelLen) {
    throw refuse(
      `This model's maximum context length is ${twin.vllm.maxModelLen} tokens. However, you ` +
        `requested ${promptTokens + n} tokens (${promptTokens} in the messages, ${n} in the ` +
        "completion). Please reduce the length of the messages or completion.",
    );
  }
  if (!driver.core.fits(promptTokens, n)) {
    throw refuse(
      `This request needs ${promptTokens + n} tokens of KV cache; a replica holds ` +
        `${driver.core.config.numBlocks * driver.core.config.blockSize}.`,
    );
  }
  // The twin's replicas find cached blocks themselves when the request is admitted; the engine
  // profile takes the router's cache.
  const external = twin ? 0 : answer.cachedTokens;
  vllm.promptTokens += promptTokens;
  // The API server's own time (tokenising, scheduling hand-off) before the engine sees it. The
  // request reaches the engine at that moment on the model's timeline, whatever the timer's lag;
  // the lag its tokens will be sent with (timers wake late) is taken out of it, so a client sees
  // the modelled latency.
  let arrived = performance.now();
  if (twin) {
    const at = answer.timing.start +
      Math.max(0, twin.coefficients.requestOverheadMs - state.clock.lateMs);
    if (at > arrived) {
      if (!(await state.clock.sleepUntil(at))) {
        metrics.activeRequests--;
        state.kv.finish(worker, 0);
        throw shuttingDown();
      }
      arrived = at;
    }
  }
  let lastAt = arrived;
  let seq: Seq;
  const observe = (k: number, at: number) => {
    if (k === 0) {
      vllm.ttft.observe((at - arrived) / 1000);
      if (seq.firstAdmittedAt !== null) vllm.queue.observe((seq.firstAdmittedAt - arrived) / 1000);
      if (twin) {
        answer.frameInput.cachedTokens = seq.cached;
        metrics.cachedTokens += seq.cached;
      }
    } else vllm.itl.observe((at - lastAt) / 1000);
    lastAt = at;
  };
  if (!chat.stream) {
    const ok = await new Promise<boolean>((resolve) => {
      seq = new Seq(promptTokens, external, n, arrived, {
        token: observe,
        done: (at) => {
          vllm.e2e.observe((at - arrived) / 1000);
          resolve(true);
        },
        fail: () => resolve(false),
      }, blockHashes);
      driver.submit(seq);
    });
    metrics.activeRequests--;
    if (!ok) {
      state.kv.finish(worker, promptTokens);
      throw shuttingDown();
    }
    return completionResponse(state, answer);
  }
  metrics.streamingRequests++;
  metrics.activeStreams++;
  const { headers } = answer;
  const tally = streamTally(state, worker, promptTokens);
  const end = (completed: boolean) => tally.end(completed);
  const stampOn = opts.stampChunks;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      // Writes go out at once, in order; once a stall fault fires, every later write waits
      // behind it on a chain.
      let chain: Promise<void> | null = null;
      const write = (f: () => void) => {
        if (chain === null) {
          if (!tally.ended) f();
          return;
        }
        chain = chain.then(() => {
          if (!tally.ended) f();
        });
      };
      const cut = (why: string) => {
        end(false);
        driver.core.cancel(seq);
        try {
          controller.error(new Error(why));
        } catch {
          // already closed
        }
      };
      const opening = frame.open(stamp(stampOn));
      if (opening) controller.enqueue(encoder.encode(opening));
      // A stream without faults gathers the chunks of steps run back to back and sends them
      // in one write when the engine yields to I/O (at once when steps take time).
      const plain = !faults.disconnect && !faults.stall && !faults.malformed;
      let pending = "";
      let pendingTokens = 0;
      const flush = () => {
        if (pending === "" || tally.ended) return;
        controller.enqueue(encoder.encode(pending));
        tally.sent += pendingTokens;
        pending = "";
        pendingTokens = 0;
      };
      seq = new Seq(promptTokens, external, n, arrived, {
        token: (k, at) => {
          observe(k, at);
          if (plain) {
            if (pending === "") driver.beforeYield(flush);
            pending += frame.token(k, stamp(stampOn));
            pendingTokens++;
            return;
          }
          if (k === faults.at && faults.stall) {
            chain = new Promise((r) => setTimeout(r, opts.stallMs));
          }
          write(() => {
            if (k === faults.at) {
              if (faults.malformed) controller.enqueue(encoder.encode(frame.malformed()));
              if (faults.disconnect) return cut("injected disconnect");
            }
            controller.enqueue(encoder.encode(frame.token(k, stamp(stampOn))));
            tally.sent++;
          });
        },
        done: (at) => {
          vllm.e2e.observe((at - arrived) / 1000);
          if (plain) {
            pending += frame.close(stamp(stampOn));
            flush();
            controller.close();
            end(true);
            return;
          }
          write(() => {
            controller.enqueue(encoder.encode(frame.close(stamp(stampOn))));
            controller.close();
            end(true);
          });
        },
        fail: () => write(() => cut("server shutting down")),
      }, blockHashes);
      driver.submit(seq);
    },
    cancel() {
      end(false);
      driver.core.cancel(seq);
    },
  });
  return new Response(body, {
    status: 200,
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache", ...headers },
  });
}
