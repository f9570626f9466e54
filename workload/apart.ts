/**
 * Prompts built apart from the measuring thread. Building token-exact prompts loads the
 * model's tokenizer, whose tables (34 MB of live heap for `o200k_base`) would otherwise stay in
 * the heap of the thread that stamps every stream's tokens, where each full garbage collection
 * marks them and stalls the stamps. A build that needs such a tokenizer runs in a Web Worker of
 * the program's own entry (`util/entry.ts`), which ends once the prompts are made: the
 * measuring thread receives plain data. Builds that need no tokenizer library, or run without
 * the program's entry (tests importing the modules), stay in the calling thread.
 *
 * The worker side is {@linkcode buildWorker}, the role the entry's worker dispatch gives a worker
 * whose first message is a {@linkcode BuildRequest}.
 *
 * @module
 */

import { ConfigError, UsageError } from "../util/errors.ts";
import type { PromptSpec } from "../twin/inference_perf.ts";
import {
  choiceLoadsLibrary,
  chooseTokenizer,
  loadTokenizer,
  type TokenizerChoice,
  type TokenizerInfo,
} from "./tokenizer.ts";
import {
  type BuildContext,
  buildWorkload,
  type BuiltWorkload,
  type WorkloadSpec,
} from "./workload.ts";
import { promptTexts } from "./inference_perf.ts";

/** A build a worker does. */
export type BuildTask =
  | { kind: "workload"; spec: WorkloadSpec; ctx: BuildContext }
  | { kind: "prompt-texts"; prompts: PromptSpec[]; choice: TokenizerChoice; seed: number }
  | { kind: "tokenizer"; spec: string };

/** Prompt texts and the tokenizer they were made with. */
export interface PromptTexts {
  /** One text per prompt, in order. */
  texts: string[];
  /** The tokenizer's name. */
  tokenizer: string;
  /** Why it was chosen. */
  reason: string;
}

/** The message that asks a worker for a build. */
export interface BuildRequest {
  /** Always `build`. */
  kind: "build";
  /** What to build. */
  task: BuildTask;
}

/** A worker's answer to a {@linkcode BuildRequest}. */
export type BuildReply =
  | { kind: "built"; value: BuiltWorkload | PromptTexts | TokenizerInfo }
  | { kind: "build-failed"; error: { name: string; message: string } };

/** Do a build task in this thread. */
async function build(task: BuildTask): Promise<BuiltWorkload | PromptTexts | TokenizerInfo> {
  if (task.kind === "workload") return await buildWorkload(task.spec, task.ctx);
  if (task.kind === "tokenizer") {
    const tok = await loadTokenizer(task.spec);
    return { name: tok.name, exact: tok.exact };
  }
  const { tokenizer, reason } = await chooseTokenizer(task.choice);
  return {
    texts: promptTexts(task.prompts, tokenizer, task.seed),
    tokenizer: tokenizer.name,
    reason,
  };
}

/** The worker side: do a build task and answer it (never throws: a failure is the answer). */
export async function answerBuild(task: BuildTask): Promise<BuildReply> {
  try {
    return { kind: "built", value: await build(task) };
  } catch (err) {
    return {
      kind: "build-failed",
      error: {
        name: err instanceof Error ? err.name : "Error",
        message: err instanceof Error ? err.message : String(err),
      },
    };
  }
}

/** Make this worker a prompt builder: it answers each {@linkcode BuildRequest}. */
export function buildWorker(): void {
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<BuildRequest>) => void) | null;
    postMessage(m: BuildReply): void;
  };
  scope.onmessage = async (e) => {
    if (e.data.kind === "build") scope.postMessage(await answerBuild(e.data.task));
  };
}

/** The error a worker reported, as its own class where the program has one. */
function rethrown(error: { name: string; message: string }): Error {
  switch (error.name) {
    case "UsageError":
      return new UsageError(error.message);
    case "ConfigError":
      return new ConfigError(error.message);
  }
  return new Error(`building prompts in a worker: ${error.message}`);
}

/** Run a build task in a worker of `entry`, which ends with it. */
function buildInWorker(
  entry: string,
  task: BuildTask,
): Promise<BuiltWorkload | PromptTexts | TokenizerInfo> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(entry, { type: "module", name: "fakeai-bench-build" });
    worker.onmessage = (e: MessageEvent<BuildReply>) => {
      worker.terminate();
      const m = e.data;
      if (m.kind === "built") resolve(m.value);
      else reject(rethrown(m.error));
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      worker.terminate();
      reject(new Error(`building prompts in a worker: ${e.message}`));
    };
    worker.postMessage({ kind: "build", task } satisfies BuildRequest);
  });
}

/**
 * Build a workload, in a worker of `entry` when its tokenizer is a library's (the result
 * then carries the tokenizer by name only), else in this thread.
 *
 * @throws {UsageError} or a `ConfigError` for bad options or files, before any request.
 */
export async function buildWorkloadApart(
  entry: string | null,
  spec: WorkloadSpec,
  ctx: BuildContext,
): Promise<BuiltWorkload> {
  const choice = { spec: spec.tokenizer, model: ctx.model, embedded: ctx.embedded };
  if (entry === null || !choiceLoadsLibrary(choice)) return await buildWorkload(spec, ctx);
  return await buildInWorker(entry, { kind: "workload", spec, ctx }) as BuiltWorkload;
}

/**
 * The texts of inference-perf prompts in the tokenizer `choice` picks, made in a worker of
 * `entry` when that tokenizer is a library's, else in this thread.
 */
export async function promptTextsApart(
  entry: string | null,
  prompts: PromptSpec[],
  choice: TokenizerChoice,
  seed: number,
): Promise<PromptTexts> {
  const task: BuildTask = { kind: "prompt-texts", prompts, choice, seed };
  if (entry === null || !choiceLoadsLibrary(choice)) return await build(task) as PromptTexts;
  return await buildInWorker(entry, task) as PromptTexts;
}

/**
 * Load a `--tokenizer` to check it (a name, or a path to a `tokenizer.json` or model folder),
 * in a worker of `entry` so the measuring thread does not keep its tables; `words` and runs
 * without the entry load it in this thread.
 *
 * @throws {UsageError} for an unknown name or an unreadable file; a `ConfigError` for one that
 * encodes text to no tokens.
 */
export async function checkTokenizerApart(
  entry: string | null,
  spec: string,
): Promise<TokenizerInfo> {
  const task: BuildTask = { kind: "tokenizer", spec };
  if (entry === null || spec.trim() === "words") return await build(task) as TokenizerInfo;
  return await buildInWorker(entry, task) as TokenizerInfo;
}
