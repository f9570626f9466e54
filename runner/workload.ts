/**
 * Workload tests: a test whose requests come from a workload (exact-length prompts, a
 * dataset, sessions or a trace) on any endpoint. The workload is built (every prompt
 * tokenized) before the load starts; the result carries `extra.workload`.
 *
 * @module
 */

import { isRanking, isTokenless } from "../net/endpoints.ts";
import type { LoadSpec, TestResult } from "../measure/result.ts";
import type { WorkloadTestSpec } from "./spec.ts";

export type { WorkloadTestSpec };
import type { RequestRecord } from "../measure/record.ts";
import type { AnswerTally, ChatMessage, TokenCounter } from "../net/client.ts";
import { WorkloadTally } from "../measure/workload_stats.ts";
import type { Payload } from "../workload/payload.ts";
import { resolveModel } from "../workload/payload.ts";
import {
  type BuiltWorkload,
  fixedOsl,
  loadedTokenizer,
  type WorkItem,
  workloadBody,
  workloadTokenizer,
  workloadWarmupBody,
} from "../workload/workload.ts";
import { buildWorkloadApart } from "../workload/apart.ts";
import { countTokens } from "../util/words.ts";
import { runSessions } from "../load/sessions.ts";
import { type ImageServer, serveImages } from "../net/image_server.ts";
import { combine32, fnv1a } from "../util/prng.ts";
import {
  DEFAULT_MAX_QUEUE_DELAY_MS,
  judgeSchedule,
  runClosedTest,
  runOpenTest,
  type SuiteContext,
  testRig,
} from "./runner.ts";

/**
 * Items a load needs: its request (or session) count. A timed open loop sends arrival i while
 * i / rate is inside the duration, so ceil(duration × rate) of them; a Poisson schedule may
 * send more, so it gets headroom (and `itemAt` wraps around beyond it).
 */
function itemsWanted(load: WorkloadTestSpec["load"]): number {
  if (load.kind === "closed") return load.requests;
  if (load.requests !== null) return load.requests;
  const expected = Math.ceil((load.duration_s ?? 0) * load.rate);
  return Math.max(1, load.arrival === "poisson" ? Math.ceil(expected * 1.5) + 10 : expected + 1);
}

/** Item i of a workload; a schedule that outruns the items starts over. */
function itemAt(w: BuiltWorkload, i: number): WorkItem {
  return w.items[i % w.items.length];
}

/** Run a workload test. */
export async function runWorkloadTest(
  ctx: SuiteContext,
  spec: WorkloadTestSpec,
): Promise<TestResult> {
  const { model } = resolveModel(ctx.target, spec.payload.model);
  // Each test of a run gets prompts of its own (the same ones for the same seed and name), so
  // no test finds another's prompts in the server's prefix cache.
  const built = await buildWorkloadApart(ctx.workerEntry ?? null, spec.workload, {
    count: itemsWanted(spec.load),
    seed: combine32(ctx.seed, fnv1a(spec.name)),
    model,
    embedded: ctx.target.embedded,
  });
  if (!built.tokenizer.exact) ctx.log(`workload: ${built.info.tokenizer_reason}`);
  const tally = new WorkloadTally(built.info);
  // A tokenizer built apart loads here only if the answers need it: when the warm-up shows the
  // server sends usage, its tables never enter the measuring thread.
  const here = loadedTokenizer(built);
  const late = here ? null : new LateCounter(built);
  const wire = {
    endpoint: spec.workload.endpoint,
    keepText: spec.workload.turns > 1,
    warmupBody: (i: number, m: string) => workloadWarmupBody(built, m, i),
    tokenCounter: late ?? here!,
    afterWarmup: late ? (answers: AnswerTally) => late.loadIfNeeded(answers) : undefined,
  };
  const payload: Payload = {
    ...spec.payload,
    stream: spec.workload.stream && !isTokenless(spec.workload.endpoint),
    max_tokens: built.items[0]?.osl ?? spec.payload.max_tokens,
  };
  const onRecord = (rec: RequestRecord, i: number) => {
    const item = itemAt(built, i);
    tally.add(rec, item.turnTokens[0], item.osl, null, batchOf(built));
  };
  const body = (i: number, m: string) => workloadBody(built, itemAt(built, i), m);
  const runLoad = (): Promise<TestResult> => {
    if (spec.workload.turns > 1) {
      return runSessionTest(ctx, spec, built, payload, tally);
    } else if (built.info.trace) {
      const items = built.items;
      const offsets = items.map((it) => it.atMs ?? 0);
      const spanS = offsets[offsets.length - 1] / 1000;
      return runOpenTest(ctx, {
        suite: spec.suite,
        name: spec.name,
        payload,
        rate: items.length > 1 && spanS > 0 ? (items.length - 1) / spanS : 1,
        durationS: null,
        requests: items.length,
        warmup: spec.load.warmup,
        maxQueueDelayMs: spec.load.max_queue_delay_ms ?? undefined,
        offsetsMs: offsets,
        body,
        onRecord,
        wire,
      });
    } else if (spec.load.kind === "closed") {
      return runClosedTest(ctx, {
        suite: spec.suite,
        name: spec.name,
        payload,
        requests: spec.load.requests,
        concurrency: spec.load.concurrency,
        warmup: spec.load.warmup,
        body,
        onRecord,
        wire,
      });
    } else {
      return runOpenTest(ctx, {
        suite: spec.suite,
        name: spec.name,
        payload,
        rate: spec.load.rate,
        durationS: spec.load.duration_s,
        requests: spec.load.requests,
        arrival: spec.load.arrival,
        maxInFlight: spec.load.max_in_flight,
        warmup: spec.load.warmup,
        maxQueueDelayMs: spec.load.max_queue_delay_ms ?? undefined,
        body,
        onRecord,
        wire,
      });
    }
  };
  const files = imageFiles(built);
  let result: TestResult;
  try {
    result = await runLoad();
  } finally {
    await files?.close();
  }
  result.extra.workload = tally.stats(result.metrics.window_s);
  if (files && result.extra.workload.images) {
    result.extra.workload.images.fetched = files.served;
    if (files.served === 0 && result.metrics.successful_requests > 0) {
      result.notes.push(
        "the server fetched none of the images served at loopback URLs " +
          "(--image-transport url): it may not fetch images, or cache them",
      );
    }
  }
  // Without usage, the server's own token counters say what it processed.
  const served = result.extra.server_metrics?.tokens?.prompt ?? null;
  if (result.extra.workload.input.server_mean === null && served !== null) {
    const n = result.metrics.successful_requests;
    result.extra.workload.input.server_metrics_mean = n > 0 ? served / n : null;
  }
  result.max_tokens = fixedOsl(spec.workload);
  const w = result.extra.workload;
  if (w.output.short > 0) {
    result.notes.push(
      `${w.output.short} answer(s) stopped before the requested output length ` +
        `(the server ignored ${w.osl_enforced_by}); delivered mean ` +
        `${w.output.delivered_mean?.toFixed(1)} of ${w.output.requested_mean?.toFixed(1)} tokens`,
    );
  }
  if (!built.tokenizer.exact) {
    result.notes.push(`prompt lengths are approximate: ${built.info.tokenizer_reason}`);
  }
  if (built.imagesNotSent) {
    result.notes.push(
      `the dataset's records named ${built.imagesNotSent} image(s), not sent: only --endpoint ` +
        `chat carries images (${spec.workload.endpoint} used the records' text)`,
    );
  }
  if (w.dataset?.reused) {
    result.notes.push(
      `the dataset had ${w.dataset.used} usable entries for ${result.metrics.total_requests} requests: entries were reused`,
    );
  }
  return result;
}

/**
 * `--image-transport url`: a loopback file server for the workload's images, their URLs set
 * on the workload while it is up; null for data URLs or without images.
 */
function imageFiles(w: BuiltWorkload): ImageServer | null {
  const images = w.images ?? [];
  if (w.spec.imageTransport !== "url" || !images.some((img) => img.data !== null)) return null;
  const files = serveImages(
    images.map((img) => img.data ? { data: img.data, mime: img.mime, format: img.format } : null),
  );
  w.imageUrls = images.map((img, k) => files.urlOf(k) ?? img.url);
  return files;
}

/**
 * The token counter of a workload whose tokenizer was built apart: FakeAI's word count
 * (inexact, so streams are counted by their token events) until {@linkcode loadIfNeeded}
 * finds the load will count answers, then the workload's tokenizer.
 */
export class LateCounter implements TokenCounter {
  name = "words";
  exact = false;
  count: (text: string) => number = countTokens;
  readonly #built: BuiltWorkload;

  constructor(built: BuiltWorkload) {
    this.#built = built;
  }

  /**
   * Load the tokenizer unless the warm-up's answers all carried usage (with no answer to go
   * by, it loads).
   */
  async loadIfNeeded(answers: AnswerTally): Promise<void> {
    if (answers.ok > 0 && answers.withoutUsage === 0) return;
    const tok = await workloadTokenizer(this.#built);
    this.name = tok.name;
    this.exact = tok.exact;
    this.count = tok.count;
  }
}

/** Inputs (embeddings) or documents (rerank, score) one request carries. */
function batchOf(w: BuiltWorkload): number {
  const n = w.items[0]?.turns.length ?? 1;
  if (w.spec.endpoint === "embeddings") return n;
  return isRanking(w.spec.endpoint) ? Math.max(1, n - 1) : 1;
}

/** What a session's agent answers a tool call with: a short result naming the call. */
export function toolResult(name: string, args: string): string {
  return `Result of ${name}: found 3 matches for ${args.slice(0, 200)}.`;
}

/** Sessions: every turn re-sends the history with the real answers. */
async function runSessionTest(
  ctx: SuiteContext,
  spec: WorkloadTestSpec,
  built: BuiltWorkload,
  payload: Payload,
  tally: WorkloadTally,
): Promise<TestResult> {
  const sessions = built.items.length;
  const turns = spec.workload.turns;
  // Sessions count every answer into the next turn's history: the tokenizer loads here.
  const tokenizer = await workloadTokenizer(built);
  const rig = testRig(
    ctx,
    {
      suite: spec.suite,
      name: spec.name,
      payload,
      warmup: spec.load.warmup,
      wire: {
        endpoint: spec.workload.endpoint,
        keepText: true,
        warmupBody: (i, m) => workloadWarmupBody(built, m, i),
        tokenCounter: tokenizer,
      },
    },
    sessions * turns,
    spec.load.kind === "closed" ? spec.load.concurrency : undefined,
  );
  const histories: ChatMessage[][] = built.items.map(() => []);
  // What the client built into each request: the history's tokens (answers counted with
  // the same tokenizer once they arrive) plus the new turn.
  const historyTokens = new Array<number>(sessions).fill(0);
  let outcome;
  try {
    for (let i = 0; i < Math.max(rig.warmup, 0) && !ctx.stop.aborted; i++) {
      await rig.client.chat(rig.bodyFor(i, true), { signal: ctx.abort });
    }
    rig.counting();
    outcome = await runSessions({
      sessions,
      turns,
      concurrency: spec.load.kind === "closed" ? spec.load.concurrency : 1,
      rate: spec.load.kind === "open" ? spec.load.rate : null,
      thinkMs: spec.workload.thinkTimeS * 1000,
      clock: ctx.clock,
      stop: ctx.stop,
      abort: ctx.abort,
      send: (s, t, signal, tIntendedMs) =>
        rig.client.chat(workloadBody(built, built.items[s], rig.model, t, histories[s]), {
          signal,
          tIntendedMs,
          keepText: true,
        }),
      onRecord: (rec, s, t) => {
        const item = built.items[s];
        const requested = historyTokens[s] + item.turnTokens[t];
        rig.agg.add(rec);
        tally.add(rec, requested, item.osl, t + 1);
        if (rec.outcome === "ok") {
          const answer = rec.answer ?? "";
          const calls = rec.tool?.kept ?? [];
          histories[s].push({ role: "user", content: item.turns[t] }, {
            role: "assistant",
            content: calls.length > 0 && answer === "" ? null : answer,
            ...(calls.length > 0
              ? {
                tool_calls: calls.map((c) => ({
                  id: c.id,
                  type: "function",
                  function: { name: c.name, arguments: c.arguments },
                })),
              }
              : {}),
          });
          let added = tokenizer.count(answer);
          // The agent ran the tools: their results go back with the next turn.
          for (const c of calls) {
            const result = toolResult(c.name, c.arguments);
            histories[s].push({ role: "tool", tool_call_id: c.id, content: result });
            added += tokenizer.count(c.arguments) + tokenizer.count(result);
          }
          historyTokens[s] = requested + added;
        }
        rec.answer = null;
        if (rec.tool) rec.tool.kept = null;
      },
      onSession: (_s, completed, startMs, endMs) =>
        tally.session(completed ? (endMs - startMs) / 1000 : null),
      onProgress: (done) => rig.progress.update(done),
    });
  } finally {
    rig.close();
  }
  const load: LoadSpec = { ...spec.load, requests: sessions * turns };
  const result = await rig.result(outcome.interrupted, load);
  if (spec.load.kind === "open") {
    const verdict = judgeSchedule(
      result.metrics,
      spec.load.max_queue_delay_ms ?? ctx.maxQueueDelayMs ?? DEFAULT_MAX_QUEUE_DELAY_MS,
      spec.load.rate,
      spec.load.rate,
    );
    if (verdict.note) result.notes.push(verdict.note);
  }
  return result;
}
