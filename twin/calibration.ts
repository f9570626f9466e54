/**
 * Measured runs, the twin's predictions of them, and the errors between: the calibration set of
 * `twin/data/calibration.json` (vLLM on H100 SXM, inference-perf shared-prefix workloads), read
 * into stages, each replayed through the twin as inference-perf sent it.
 *
 * Only client-side TTFT and end-to-end latency are compared, and the decode time per token
 * derived from them: (E2E − TTFT) / (output tokens − 1), output tokens being the workload's
 * (the server generated all of them: `ignore_eos`). The set's own TPOT and ITL are not, as its
 * notes say why.
 *
 * @module
 */

import { type ModelConfig, modelSpec } from "./model.ts";
import { gpuNamed } from "./gpu.ts";
import { type Deployment, type TwinCoefficients, VLLM_DEFAULTS } from "./timing.ts";
import { type SimResult, simulateStages } from "./sim.ts";
import { type Figure, summarizeStage } from "./stages.ts";

export type { Figure };
import { configRequests, type InferencePerfConfig } from "./inference_perf.ts";

/** One load stage of a calibration experiment, with what was measured. */
export interface CalibrationStage {
  /** `experiment-id@rate`. */
  id: string;
  /** The experiment. */
  experiment: string;
  /** Its index within the experiment. */
  index: number;
  /** Offered requests per second. */
  rate: number;
  /** Stage length (s). */
  durationS: number;
  /** Measured: requests sent, completed and failed. */
  sent: number;
  /** Completed requests. */
  ok: number;
  /** Failed requests. */
  failed: number;
  /** Measured TTFT (s). */
  ttft: Figure;
  /** Measured end-to-end latency (s). */
  e2e: Figure;
  /** Measured decode time per output token (s): (E2E mean − TTFT mean) / (output − 1). */
  decodePerToken: number;
  /** Mean prompt tokens, as the server counted them. */
  promptMean: number;
}

/** One experiment: a deployment and a workload of stages. */
export interface CalibrationExperiment {
  /** Its id. */
  id: string;
  /** Model name. */
  model: string;
  /** The model's config. */
  config: ModelConfig;
  /** Tensor-parallel GPUs. */
  tp: number;
  /** GPU name. */
  gpu: string;
  /** vLLM flags given. */
  vllm: { maxNumSeqs: number; maxBatchedTokens: number; maxModelLen: number };
  /** The shared-prefix workload. */
  workload: {
    numGroups: number;
    numPromptsPerGroup: number;
    systemPromptLen: number;
    questionLen: number;
    outputLen: number;
    load: "constant" | "poisson";
  };
  /** Its stages, in order. */
  stages: CalibrationStage[];
}

type Json = Record<string, unknown>;

function figure(o: Json): Figure {
  return {
    mean: o.mean as number,
    p50: o.median as number,
    p90: o.p90 as number,
    p99: o.p99 as number,
  };
}

/**
 * Read `calibration.json` (and the architectures of `models.json`) into experiments. Throws
 * `Error` when a model has no architecture.
 */
export function readCalibration(calibration: Json, models: Json): CalibrationExperiment[] {
  const archs = (models.models ?? {}) as Record<string, ModelConfig>;
  const out: CalibrationExperiment[] = [];
  for (const e of calibration.experiments as Json[]) {
    const w = e.workload as Json;
    const v = e.vllm as Json;
    const model = e.model as string;
    const config = archs[model];
    if (!config) throw new Error(`${e.id}: no architecture for ${model} in models.json`);
    const stages = w.stages as Json[];
    out.push({
      id: e.id as string,
      model,
      config,
      tp: e.tensor_parallel as number,
      gpu: "h100-sxm",
      vllm: {
        maxNumSeqs: v.max_num_seqs as number,
        maxBatchedTokens: v.max_num_batched_tokens as number,
        maxModelLen: v.max_model_len as number,
      },
      workload: {
        numGroups: w.num_groups as number,
        numPromptsPerGroup: w.num_prompts_per_group as number,
        systemPromptLen: w.system_prompt_len as number,
        questionLen: w.question_len as number,
        outputLen: w.output_len as number,
        load: w.load === "poisson" ? "poisson" : "constant",
      },
      stages: (e.measured as Json[]).map((m, i) => {
        const ttft = figure(m.ttft_s as Json), e2e = figure(m.e2e_s as Json);
        return {
          id: `${e.id}@${m.rate_per_s}`,
          experiment: e.id as string,
          index: i,
          rate: m.rate_per_s as number,
          durationS: stages[i].duration_s as number,
          sent: m.sent as number,
          ok: m.ok as number,
          failed: m.failed as number,
          ttft,
          e2e,
          decodePerToken: (e2e.mean - ttft.mean) / ((w.output_len as number) - 1),
          promptMean: (m.prompt_len as Json).mean as number,
        };
      }),
    });
  }
  return out;
}

/** The deployment of an experiment with the given coefficients (vLLM's defaults elsewhere). */
export function deploymentOf(e: CalibrationExperiment, c: TwinCoefficients): Deployment {
  return {
    model: modelSpec(e.config, e.model),
    gpu: gpuNamed(e.gpu)!,
    tp: e.tp,
    vllm: { ...VLLM_DEFAULTS, ...e.vllm },
    coefficients: c,
  };
}

/** What the twin predicts of one stage. */
export interface StagePrediction {
  /** The stage. */
  stage: CalibrationStage;
  /** Requests sent, completed, failed. */
  sent: number;
  /** Completed. */
  ok: number;
  /** Timed out at the client. */
  failed: number;
  /** TTFT of completed requests (s). */
  ttft: Figure;
  /** End-to-end latency of completed requests (s). */
  e2e: Figure;
  /** Mean decode time per output token (s). */
  decodePerToken: number;
  /** True when the stage's load is more than the deployment sustains. */
  overloaded: boolean;
}

/** The client timeout of inference-perf's HTTP client (aiohttp's default total timeout, s). */
export const INFERENCE_PERF_TIMEOUT_S = 300;

/** An experiment's workload as the inference-perf config it ran. */
export function experimentConfig(e: CalibrationExperiment): InferencePerfConfig {
  const w = e.workload;
  return {
    api: "completion",
    streaming: true,
    ignoreEos: true,
    model: e.model,
    data: {
      type: "shared_prefix",
      sharedPrefix: {
        numGroups: w.numGroups,
        numPromptsPerGroup: w.numPromptsPerGroup,
        systemPromptLen: w.systemPromptLen,
        questionLen: w.questionLen,
        outputLen: w.outputLen,
        // What the server counted beyond the generator's tokens (BOS, re-tokenisation).
        templateTokens: Math.max(
          0,
          Math.round(e.stages[0].promptMean) - w.systemPromptLen - w.questionLen,
        ),
      },
    },
    load: {
      type: w.load,
      interval: 1,
      stages: e.stages.map((s) => ({ rate: s.rate, duration: s.durationS })),
    },
  };
}

/** Predict every stage of an experiment (stages shortened to `maxStageS` for a quick fit). */
export function predictExperiment(
  e: CalibrationExperiment,
  c: TwinCoefficients,
  seed = 1,
  maxStageS = Infinity,
): StagePrediction[] {
  const config = experimentConfig(e);
  const stages = simulateStages(deploymentOf(e, c), configRequests(config, seed, maxStageS), {
    timeoutS: INFERENCE_PERF_TIMEOUT_S,
    intervalMs: config.load.interval * 1000,
  });
  return e.stages.map((stage, i) => stagePrediction(stage, stages[i]));
}

/** A stage's prediction from the results of its requests. */
export function stagePrediction(
  stage: CalibrationStage,
  results: readonly SimResult[],
): StagePrediction {
  const s = summarizeStage(results);
  return {
    stage,
    sent: s.requests,
    ok: s.ok,
    failed: s.failed,
    ttft: s.ttft,
    e2e: s.e2e,
    decodePerToken: s.decodePerToken.mean,
    overloaded: s.overloaded,
  };
}
