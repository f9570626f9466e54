/**
 * What a workload test adds to its result (`extra.workload`): the workload as run (tokenizer,
 * lengths, dataset or trace), requested against delivered lengths (the chat template's
 * overhead, servers that stop early), TTFO and reasoning tokens, per-turn figures of
 * multi-turn sessions, and inputs/s of embeddings.
 *
 * @module
 */

import type { RequestRecord } from "./record.ts";
import { emptySummary, summarize, type Summary } from "./summary.ts";

/** The workload a test ran, as reports describe it. */
export interface WorkloadInfo {
  /** `synthetic`, `dataset`, `trace` or `sessions`. */
  kind: "synthetic" | "dataset" | "trace" | "sessions";
  /** The endpoint (`chat`, `completions`, `embeddings`, `responses`, `messages`, `rerank`…). */
  endpoint: string;
  /**
   * True when the endpoint generates no token (embeddings, rerank, score). Absent in older
   * runs, whose only such endpoint was embeddings.
   */
  tokenless?: boolean;
  /** Images the requests carried (`--images`, or a dataset's records). */
  images?: {
    /** Mean images per request (per session's first turn for a dataset's sessions). */
    per_request: number;
    /** Image sizes (`WxH`), the most common first, at most 8 named. */
    sizes: string[];
    /** `png`, `jpeg`, `gif`, `webp`, `mixed`, or `url` when every image went by reference. */
    format: string;
    /** Mean encoded image bytes per request (images given by URL count 0). */
    bytes_per_request_mean: number;
    /** Distinct images (generated ones repeat beyond 32). */
    distinct: number;
    /** Where they came from: `generated`, `dataset` or `dataset+generated`. Absent: generated. */
    source?: string;
    /** How they were sent: `data` URLs or `url`s of a loopback file server. Absent: data. */
    transport?: string;
    /** Images a dataset gave as http(s) URLs, sent as they were (the server fetched them). */
    by_reference?: number;
    /** `--image-transport url`: image fetches the loopback file server answered. */
    fetched?: number;
  };
  /** Function tools each request offered (`--tools`). */
  tools?: {
    /** Tools per request. */
    count: number;
    /** `tool_choice` sent. */
    choice: string;
  };
  /** The tokenizer prompts were built and counted with. */
  tokenizer: string;
  /** False when its counts only approximate the model's tokenizer. */
  tokenizer_exact: boolean;
  /** Why that tokenizer. */
  tokenizer_reason: string;
  /** Requested input lengths (`normal:1024,128`), or null when they come from a file. */
  isl: string | null;
  /** Requested output lengths, or null when they come from a file or are the default. */
  osl: string | null;
  /** How the output length was enforced (`ignore_eos`, `min_tokens`, `none`). */
  osl_enforced_by: string;
  /** Tokens every prompt shares at its start (0 = none). */
  shared_prefix: number;
  /** Dataset use, for dataset workloads. */
  dataset?: {
    /** Path or `builtin`. */
    name: string;
    /** Format detected. */
    format: string;
    /** Entries the dataset has. */
    available: number;
    /** Distinct entries used. */
    used: number;
    /** Entries looked at and skipped, by reason. */
    skipped: Record<string, number>;
    /** True when entries had to be used more than once. */
    reused: boolean;
  };
  /** Trace replay, for trace workloads. */
  trace?: {
    /** The file. */
    file: string;
    /** Requests in the file. */
    requests_in_file: number;
    /** Requests replayed. */
    requests: number;
    /** Speed factor (2 = twice as fast). */
    speed: number;
    /** Distinct shared blocks. */
    blocks: number;
    /** Schedule length after the speed factor (s). */
    duration_s: number;
  };
  /** Turns per session, for session workloads. */
  turns?: number;
  /** Think time between turns (s). */
  think_time_s?: number;
  /** Embedding inputs per request. */
  batch?: number;
}

/** Requested against delivered lengths, and what only some endpoints have. */
export interface WorkloadStats extends WorkloadInfo {
  /** Input lengths: what the client built, what the server counted, and the difference. */
  input: {
    /** Mean tokens the client built per request (its tokenizer). */
    requested_mean: number | null;
    /** Their standard deviation. */
    requested_stddev: number | null;
    /** Smallest. */
    requested_min: number | null;
    /** Largest. */
    requested_max: number | null;
    /** Mean `usage.prompt_tokens` over successes that reported it (null: none did). */
    server_mean: number | null;
    /** Mean of server − requested per request: the chat template's overhead. */
    overhead_mean: number | null;
    /** Smallest such difference. */
    overhead_min: number | null;
    /** Largest such difference. */
    overhead_max: number | null;
    /** Successes without `usage.prompt_tokens`. */
    missing: number;
    /** Mean prompt tokens the server served from its prefix cache (null: never reported). */
    cached_mean: number | null;
    /**
     * Mean prompt tokens per request from the server's own counters (its Prometheus metrics),
     * when its answers carried no `prompt_tokens`; null otherwise. Absent in older runs.
     */
    server_metrics_mean?: number | null;
  };
  /** Output lengths: requested `max_tokens` against what came back. */
  output: {
    /** Mean requested output tokens (null when none was requested). */
    requested_mean: number | null;
    /** Their standard deviation. */
    requested_stddev: number | null;
    /** Mean delivered output tokens of successes. */
    delivered_mean: number | null;
    /** Their standard deviation. */
    delivered_stddev: number | null;
    /** Successes that delivered fewer tokens than requested (the server stopped early). */
    short: number;
  };
  /** Time to first answer token, reasoning excluded (s); null without streaming. */
  ttfo: Summary | null;
  /** Mean reasoning tokens per success, when the model reasoned. */
  reasoning_tokens_mean: number | null;
  /** Sessions: figures per turn (turn 1 first). */
  per_turn?: TurnStats[];
  /** Sessions: started, completed, duration. */
  sessions?: {
    /** Sessions started. */
    started: number;
    /** Sessions whose every turn succeeded. */
    completed: number;
    /** Duration of completed sessions, think time included (s). */
    duration: Summary;
  };
  /** Embeddings: inputs and input tokens per second of window. */
  embeddings?: {
    /** Inputs embedded per second. */
    inputs_per_second: number;
    /** Input tokens per second (server-counted where reported). */
    input_tokens_per_second: number;
  };
  /** Tool calls (`--tools`): how many answers called, how well, how soon. */
  tool_calls?: {
    /** Successful requests. */
    requests: number;
    /** Of them, answers that called a tool. */
    with_calls: number;
    /** `with_calls / requests`. */
    share: number;
    /** Of the answers with calls, the share whose arguments all parsed as JSON objects. */
    args_valid_share: number;
    /** Time to the first tool-call delta (s). */
    first_delta: Summary;
    /** Time to the complete call: its last delta (s). */
    complete: Summary;
  };
  /** Images (`--images`): prompt tokens the server counted beyond the text built. */
  image_tokens?: {
    /** Mean prompt tokens per request beyond the text's (images, with any chat template). */
    per_request_mean: number;
    /** Their share of the server's prompt tokens. */
    share_of_prompt: number;
  };
  /** Rerank and score: queries, documents and input tokens per second of window. */
  ranking?: {
    /** Queries (requests) answered per second. */
    queries_per_second: number;
    /** Documents scored per second. */
    documents_per_second: number;
    /** Input tokens per second (server-counted where reported). */
    input_tokens_per_second: number;
  };
}

/** True for a workload whose endpoint generates no token (older runs: embeddings only). */
export function tokenlessWorkload(w: { endpoint: string; tokenless?: boolean }): boolean {
  return w.tokenless ?? w.endpoint === "embeddings";
}

/** One turn of a session workload. */
export interface TurnStats {
  /** Turn number, from 1. */
  turn: number;
  /** Successful requests of this turn. */
  requests: number;
  /** TTFT of this turn (s). */
  ttft: Summary;
  /** Mean prompt tokens the server counted. */
  input_tokens_mean: number | null;
  /** Mean prompt tokens served from the server's prefix cache (null: never reported). */
  cached_tokens_mean: number | null;
}

class Moments {
  n = 0;
  sum = 0;
  sumSq = 0;
  min = Infinity;
  max = -Infinity;
  add(v: number): void {
    this.n++;
    this.sum += v;
    this.sumSq += v * v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }
  get mean(): number | null {
    return this.n > 0 ? this.sum / this.n : null;
  }
  get stddev(): number | null {
    if (this.n === 0) return null;
    const m = this.sum / this.n;
    return Math.sqrt(Math.max(0, this.sumSq / this.n - m * m));
  }
  get lo(): number | null {
    return this.n > 0 ? this.min : null;
  }
  get hi(): number | null {
    return this.n > 0 ? this.max : null;
  }
}

/** Accumulates a workload test's records with what each request asked for. */
export class WorkloadTally {
  readonly #info: WorkloadInfo;
  readonly #requested = new Moments();
  readonly #server = new Moments();
  readonly #overhead = new Moments();
  readonly #osl = new Moments();
  readonly #delivered = new Moments();
  readonly #reasoning = new Moments();
  readonly #cached = new Moments();
  readonly #ttfo: number[] = [];
  readonly #turns: { n: number; ttft: number[]; input: Moments; cached: Moments }[] = [];
  #missing = 0;
  #short = 0;
  #inputs = 0;
  #queries = 0;
  #withCalls = 0;
  #validCalls = 0;
  readonly #toolFirst: number[] = [];
  readonly #toolDone: number[] = [];
  #inputTokens = 0;
  #sessionsStarted = 0;
  #sessionsDone = 0;
  readonly #sessionDurations: number[] = [];

  /** A tally for one test of a workload. */
  constructor(info: WorkloadInfo) {
    this.#info = info;
  }

  /**
   * Count one request.
   *
   * @param rec its record.
   * @param requestedInput tokens the client built into it.
   * @param requestedOutput output tokens it asked for, or null.
   * @param turn its turn (from 1) in a session, or null.
   * @param inputs embedding inputs or ranked documents it carried (1 otherwise).
   */
  add(
    rec: RequestRecord,
    requestedInput: number,
    requestedOutput: number | null,
    turn: number | null = null,
    inputs = 1,
  ): void {
    if (rec.outcome !== "ok") return;
    this.#requested.add(requestedInput);
    if (rec.inputTokens === null) this.#missing++;
    else {
      this.#server.add(rec.inputTokens);
      this.#overhead.add(rec.inputTokens - requestedInput);
    }
    if (rec.cachedTokens !== null) this.#cached.add(rec.cachedTokens);
    this.#inputs += inputs;
    this.#queries++;
    if (rec.tool) {
      this.#withCalls++;
      if (rec.tool.argsValid) this.#validCalls++;
      this.#toolFirst.push(rec.tool.first);
      this.#toolDone.push(rec.tool.done);
    }
    this.#inputTokens += rec.inputTokens ?? requestedInput;
    if (!tokenlessWorkload(this.#info)) {
      this.#delivered.add(rec.outputTokens);
      if (requestedOutput !== null) {
        this.#osl.add(requestedOutput);
        if (rec.outputTokens < requestedOutput) this.#short++;
      }
    }
    if (rec.ttfo !== null) this.#ttfo.push(rec.ttfo);
    if (rec.reasoningTokens !== null && rec.reasoningTokens > 0) {
      this.#reasoning.add(rec.reasoningTokens);
    }
    if (turn !== null) {
      while (this.#turns.length < turn) {
        this.#turns.push({ n: 0, ttft: [], input: new Moments(), cached: new Moments() });
      }
      const t = this.#turns[turn - 1];
      t.n++;
      if (rec.ttft !== null) t.ttft.push(rec.ttft);
      if (rec.inputTokens !== null) t.input.add(rec.inputTokens);
      if (rec.cachedTokens !== null) t.cached.add(rec.cachedTokens);
    }
  }

  /** Count a session that started; `durationS` when every turn succeeded, else null. */
  session(durationS: number | null): void {
    this.#sessionsStarted++;
    if (durationS !== null) {
      this.#sessionsDone++;
      this.#sessionDurations.push(durationS);
    }
  }

  /** The statistics, given the test's window (s). */
  stats(windowS: number): WorkloadStats {
    const out: WorkloadStats = {
      ...this.#info,
      input: {
        requested_mean: this.#requested.mean,
        requested_stddev: this.#requested.stddev,
        requested_min: this.#requested.lo,
        requested_max: this.#requested.hi,
        server_mean: this.#server.mean,
        overhead_mean: this.#overhead.mean,
        overhead_min: this.#overhead.lo,
        overhead_max: this.#overhead.hi,
        missing: this.#missing,
        cached_mean: this.#cached.mean,
      },
      output: {
        requested_mean: this.#osl.mean,
        requested_stddev: this.#osl.stddev,
        delivered_mean: this.#delivered.mean,
        delivered_stddev: this.#delivered.stddev,
        short: this.#short,
      },
      ttfo: this.#ttfo.length > 0 ? summarize(this.#ttfo) : null,
      reasoning_tokens_mean: this.#reasoning.mean,
    };
    if (this.#turns.length > 0) {
      out.per_turn = this.#turns.map((t, i) => ({
        turn: i + 1,
        requests: t.n,
        ttft: t.ttft.length > 0 ? summarize(t.ttft) : emptySummary(),
        input_tokens_mean: t.input.mean,
        cached_tokens_mean: t.cached.mean,
      }));
    }
    if (this.#sessionsStarted > 0) {
      out.sessions = {
        started: this.#sessionsStarted,
        completed: this.#sessionsDone,
        duration: this.#sessionDurations.length > 0
          ? summarize(this.#sessionDurations)
          : emptySummary(),
      };
    }
    if (this.#info.tools) {
      out.tool_calls = {
        requests: this.#queries,
        with_calls: this.#withCalls,
        share: this.#queries > 0 ? this.#withCalls / this.#queries : 0,
        args_valid_share: this.#withCalls > 0 ? this.#validCalls / this.#withCalls : 0,
        first_delta: this.#toolFirst.length > 0 ? summarize(this.#toolFirst) : emptySummary(),
        complete: this.#toolDone.length > 0 ? summarize(this.#toolDone) : emptySummary(),
      };
    }
    const server = this.#server.mean;
    if (this.#info.images && server !== null && server > 0 && this.#requested.mean !== null) {
      const extra = Math.max(0, server - this.#requested.mean);
      out.image_tokens = { per_request_mean: extra, share_of_prompt: extra / server };
    }
    if (this.#info.endpoint === "embeddings") {
      out.embeddings = {
        inputs_per_second: windowS > 0 ? this.#inputs / windowS : 0,
        input_tokens_per_second: windowS > 0 ? this.#inputTokens / windowS : 0,
      };
    } else if (this.#info.endpoint === "rerank" || this.#info.endpoint === "score") {
      out.ranking = {
        queries_per_second: windowS > 0 ? this.#queries / windowS : 0,
        documents_per_second: windowS > 0 ? this.#inputs / windowS : 0,
        input_tokens_per_second: windowS > 0 ? this.#inputTokens / windowS : 0,
      };
    }
    return out;
  }
}
