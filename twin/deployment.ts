/**
 * A deployment from what a user names: a model (a built-in name or a `config.json`), a GPU, a
 * tensor-parallel size, vLLM's flags, and the coefficients (shipped, or a `calibrate` file).
 * `serve`, a run's embedded server and `predict` resolve their twin options here.
 *
 * @module
 */

import { UsageError } from "../util/errors.ts";
import { BUILTIN_MODELS, builtinModel, type ModelConfig, modelSpec } from "./model.ts";
import { gpuNamed, GPUS } from "./gpu.ts";
import {
  COEFFICIENT_BOUNDS,
  COEFFICIENT_NAMES,
  type Deployment,
  HOPPER_VLLM,
  kvBlocks,
  type TwinCoefficients,
  VLLM_DEFAULTS,
} from "./timing.ts";

/** The twin options as a user gives them (absent: the defaults). */
export interface TwinSettings {
  /** A built-in model name, or the path of a Hugging Face `config.json`. */
  model: string;
  /** A GPU name (`h100-sxm`…). */
  gpu: string;
  /** Tensor-parallel GPUs. */
  tp: number;
  /** `--max-num-seqs` (default vLLM's 256). */
  maxNumSeqs?: number;
  /** `--max-num-batched-tokens` (default vLLM's 8192). */
  maxBatchedTokens?: number;
  /** `--max-model-len` (default the model's `max_position_embeddings`). */
  maxModelLen?: number;
  /** `--gpu-memory-utilization` (default 0.9). */
  gpuMemoryUtilization?: number;
  /** KV blocks instead of what the memory budget leaves (vLLM's `--num-gpu-blocks-override`). */
  numGpuBlocks?: number;
  /** Automatic prefix caching (default on). */
  prefixCaching?: boolean;
  /** Tokens per KV block (default 16). */
  blockSize?: number;
  /** A coefficients file written by `calibrate` (default: the shipped coefficients). */
  twinFile?: string | null;
}

/** The identifier of a twin file's format. */
export const TWIN_FILE_FORMAT = "fakeai-bench-twin/1";

/** A twin file: the coefficients `calibrate` fitted, and what they were fitted on. */
export interface TwinFile {
  /** {@linkcode TWIN_FILE_FORMAT}. */
  format: string;
  /** The coefficients. */
  coefficients: TwinCoefficients;
  /** Anything else `calibrate` recorded (runs, errors). */
  [key: string]: unknown;
}

/** Read a file (injected for tests). */
export type ReadText = (path: string) => string;

const readText: ReadText = (p) => Deno.readTextFileSync(p);

function fail(option: string, why: string): never {
  throw new UsageError(`${option}: ${why}`);
}

/**
 * A model config by built-in name or from a `config.json` file (a folder holding one works
 * too). Throws {@linkcode UsageError} naming what is missing.
 */
export function loadModelConfig(
  ref: string,
  read: ReadText = readText,
): { name: string; config: ModelConfig } {
  const builtin = builtinModel(ref);
  if (builtin) return builtin;
  let text: string;
  try {
    text = read(ref);
  } catch (err) {
    if (err instanceof Deno.errors.IsADirectory) return loadModelConfig(`${ref}/config.json`, read);
    if (err instanceof Deno.errors.NotFound) {
      fail(
        "--model-config",
        `${ref} is neither a file nor a built-in model (${Object.keys(BUILTIN_MODELS).join(", ")})`,
      );
    }
    fail("--model-config", `cannot read ${ref}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail("--model-config", `${ref} is not JSON: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    fail("--model-config", `${ref} must hold a JSON object (a config.json)`);
  }
  const c = doc as Record<string, unknown>;
  // Multimodal configs keep the language model's numbers under text_config.
  const src =
    (c.text_config && typeof c.text_config === "object"
      ? { ...c, ...(c.text_config as Record<string, unknown>) }
      : c) as Record<string, unknown>;
  for (
    const key of [
      "hidden_size",
      "intermediate_size",
      "num_hidden_layers",
      "num_attention_heads",
      "vocab_size",
    ]
  ) {
    const v = src[key];
    if (typeof v !== "number" || !(v > 0)) {
      fail("--model-config", `${ref}: "${key}" must be a positive number`);
    }
  }
  const name = typeof src._name_or_path === "string" && src._name_or_path
    ? src._name_or_path
    : ref.replace(/\/config\.json$/, "").split("/").pop() ?? ref;
  return { name, config: src as unknown as ModelConfig };
}

/**
 * Coefficients from a twin file, checked: every coefficient present, a number within its
 * bounds. Throws {@linkcode UsageError}.
 */
export function readTwinFile(path: string, read: ReadText = readText): TwinFile {
  let doc: unknown;
  try {
    doc = JSON.parse(read(path));
  } catch (err) {
    fail("--twin-file", `cannot read ${path}: ${(err as Error).message.split("\n")[0]}`);
  }
  const d = doc as Partial<TwinFile> | null;
  if (!d || typeof d !== "object" || d.format !== TWIN_FILE_FORMAT) {
    fail("--twin-file", `${path} is not a twin file (format "${TWIN_FILE_FORMAT}")`);
  }
  const c = d.coefficients as Record<string, unknown> | undefined;
  const out = {} as TwinCoefficients;
  for (const name of COEFFICIENT_NAMES) {
    const v = c?.[name];
    const [lo, hi] = COEFFICIENT_BOUNDS[name];
    if (typeof v !== "number" || !(v >= lo && v <= hi)) {
      fail("--twin-file", `${path}: coefficients.${name} must be a number in [${lo}, ${hi}]`);
    }
    out[name] = v;
  }
  return { ...(d as TwinFile), coefficients: out };
}

/** The defaults of the twin options: Llama-3.1-8B-Instruct on one H100 SXM. */
export const DEFAULT_TWIN: Readonly<TwinSettings> = Object.freeze({
  model: "meta-llama/Llama-3.1-8B-Instruct",
  gpu: "h100-sxm",
  tp: 1,
});

/**
 * The deployment the settings name. Throws {@linkcode UsageError} for an unknown model or GPU,
 * weights that do not fit, or a `max_model_len` the KV cache cannot hold, as vLLM refuses to
 * start then.
 */
export function resolveDeployment(s: TwinSettings, read: ReadText = readText): Deployment {
  const { name, config } = loadModelConfig(s.model, read);
  const gpu = gpuNamed(s.gpu) ??
    fail("--gpu", `unknown GPU "${s.gpu}" (known: ${Object.keys(GPUS).join(", ")})`);
  let model;
  try {
    model = modelSpec(config, name);
  } catch (err) {
    fail("--model-config", (err as Error).message);
  }
  if (!Number.isInteger(s.tp) || s.tp < 1) fail("--tp", `must be a positive integer, got ${s.tp}`);
  if (model.heads % s.tp !== 0) {
    fail("--tp", `${name} has ${model.heads} attention heads, not divisible by ${s.tp}`);
  }
  if (s.maxModelLen !== undefined && s.maxModelLen > model.maxPositions) {
    fail(
      "--max-model-len",
      `${s.maxModelLen} is longer than ${name}'s ${model.maxPositions} positions`,
    );
  }
  const coefficients = s.twinFile ? readTwinFile(s.twinFile, read).coefficients : HOPPER_VLLM;
  const d: Deployment = {
    model,
    gpu,
    tp: s.tp,
    vllm: {
      ...VLLM_DEFAULTS,
      maxModelLen: s.maxModelLen ?? model.maxPositions,
      ...(s.maxNumSeqs !== undefined ? { maxNumSeqs: s.maxNumSeqs } : {}),
      ...(s.maxBatchedTokens !== undefined ? { maxBatchedTokens: s.maxBatchedTokens } : {}),
      ...(s.gpuMemoryUtilization !== undefined
        ? { gpuMemoryUtilization: s.gpuMemoryUtilization }
        : {}),
      ...(s.prefixCaching !== undefined ? { prefixCaching: s.prefixCaching } : {}),
      ...(s.blockSize !== undefined ? { blockSize: s.blockSize } : {}),
      ...(s.numGpuBlocks !== undefined ? { numGpuBlocks: s.numGpuBlocks } : {}),
    },
    coefficients: { ...coefficients },
  };
  let blocks: number;
  try {
    blocks = kvBlocks(d);
  } catch (err) {
    fail("--model-config", (err as Error).message);
  }
  if (blocks * d.vllm.blockSize < d.vllm.maxModelLen) {
    fail(
      "--max-model-len",
      `${d.vllm.maxModelLen} tokens do not fit the ${blocks * d.vllm.blockSize} tokens of KV ` +
        `cache ${name} leaves on ${d.tp} × ${gpu.title}; give a smaller --max-model-len`,
    );
  }
  return d;
}
