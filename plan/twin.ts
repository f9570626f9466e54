/**
 * The twin's options, shared by `run` (its embedded server) and `predict`: which model on which
 * GPUs under which vLLM flags, with which coefficients. They resolve to
 * {@linkcode TwinSettings}; what vLLM would refuse to start is refused here, before any load.
 *
 * @module
 */

import { custom, number, type OptionValues, text } from "../util/options.ts";
import { UsageError } from "../util/errors.ts";
import { DEFAULT_TWIN, resolveDeployment, type TwinSettings } from "../twin/deployment.ts";
import { GPUS } from "../twin/gpu.ts";

function nonEmpty(flag: string) {
  return (raw: string): string => {
    if (raw.trim() === "") throw new UsageError(`--${flag} must not be empty`);
    return raw.trim();
  };
}

/** The twin's options, one part of the `run` and `predict` option tables. */
export const TWIN_TABLE = {
  modelConfig: custom(
    "model-config",
    "NAME|FILE",
    "twin: the served model, a built-in name or a Hugging Face config.json\n" +
      `(default ${DEFAULT_TWIN.model})`,
    nonEmpty("model-config"),
    null,
  ),
  gpu: custom(
    "gpu",
    "NAME",
    `twin: the GPU, ${Object.keys(GPUS).join(", ")} (default ${DEFAULT_TWIN.gpu})`,
    nonEmpty("gpu"),
    null,
  ),
  tp: number("tp", "N", "twin: tensor-parallel GPUs (default 1)", {
    integer: true,
    min: 1,
    max: 64,
  }, null),
  maxNumSeqs: number(
    "max-num-seqs",
    "N",
    "twin: vLLM's --max-num-seqs (default 256)",
    { integer: true, min: 1, max: 65_536 },
    null,
  ),
  maxBatchedTokens: number(
    "max-num-batched-tokens",
    "N",
    "twin: vLLM's --max-num-batched-tokens (default 8192)",
    { integer: true, min: 1, max: 16_777_216 },
    null,
  ),
  maxModelLen: number(
    "max-model-len",
    "N",
    "twin: vLLM's --max-model-len (default the model's positions)",
    { integer: true, min: 1, max: 16_777_216 },
    null,
  ),
  gpuMemoryUtilization: number(
    "gpu-memory-utilization",
    "F",
    "twin: vLLM's --gpu-memory-utilization (default 0.9)",
    { exclusiveMin: 0, max: 1 },
    null,
  ),
  twinFile: text("twin-file", "FILE", "twin: coefficients written by calibrate (default: shipped)"),
};

/** The twin settings the options give (the defaults where they give none). */
export function twinSettingsFrom(v: OptionValues<typeof TWIN_TABLE>): TwinSettings {
  const s: TwinSettings = {
    model: v.modelConfig ?? DEFAULT_TWIN.model,
    gpu: v.gpu ?? DEFAULT_TWIN.gpu,
    tp: v.tp ?? DEFAULT_TWIN.tp,
  };
  if (v.maxNumSeqs !== null) s.maxNumSeqs = v.maxNumSeqs;
  if (v.maxBatchedTokens !== null) s.maxBatchedTokens = v.maxBatchedTokens;
  if (v.maxModelLen !== null) s.maxModelLen = v.maxModelLen;
  if (v.gpuMemoryUtilization !== null) s.gpuMemoryUtilization = v.gpuMemoryUtilization;
  if (v.twinFile !== null) s.twinFile = v.twinFile;
  return s;
}

/** True when any twin option was given. */
export function twinOptionsGiven(v: OptionValues<typeof TWIN_TABLE>): boolean {
  return Object.keys(TWIN_TABLE).some((k) => v[k as keyof typeof TWIN_TABLE] !== null);
}

/** Check the settings as vLLM would at start. Throws {@linkcode UsageError}. */
export function checkTwinSettings(s: TwinSettings): void {
  resolveDeployment(s);
}

/** The `serve` flags that start the twin the settings describe. */
export function twinServeArgs(s: TwinSettings): string[] {
  const args = ["--model-config", s.model, "--gpu", s.gpu, "--tp", String(s.tp)];
  const opt = (flag: string, v: number | string | null | undefined) => {
    if (v !== undefined && v !== null) args.push(`--${flag}`, String(v));
  };
  opt("max-num-seqs", s.maxNumSeqs);
  opt("max-num-batched-tokens", s.maxBatchedTokens);
  opt("max-model-len", s.maxModelLen);
  opt("gpu-memory-utilization", s.gpuMemoryUtilization);
  opt("twin-file", s.twinFile);
  return args;
}
