/**
 * The engine twin's physics: a model served by vLLM on GPUs, each step's time from what the
 * step does, and the KV blocks vLLM's memory budget leaves.
 *
 * A step's time is the sum of
 *
 * - the linear layers: the roofline of their FLOPs (2 × active parameters × tokens) against
 *   reading their weights once (for a mixture of experts, the experts the step's tokens are
 *   routed to: of E experts with k per token, T tokens touch E·(1 − (1 − k/E)^T) on average),
 *   plus the output projection for each sequence that samples a token;
 * - attention: the roofline of its FLOPs (4 × layers × heads × head width × Σ new tokens ×
 *   their context) against reading every sequence's KV cache;
 * - with tensor parallelism, two all-reduces per layer of the step's activations over the
 *   GPU link (ring: 2(n−1)/n of the bytes), each with a latency;
 * - overheads: per step (scheduling, launches, sampling) and per sequence.
 *
 * Work is split evenly over the tensor-parallel GPUs (weights, heads, experts); KV heads are
 * replicated when there are fewer than GPUs. A few coefficients, fitted on measured runs
 * (`twin/fit.ts`) and physically bounded (efficiencies at most 1), make the roofline real.
 *
 * @module
 */

import type { StepCost, StepShape } from "./engine.ts";
import type { ModelSpec } from "./model.ts";
import type { GpuSpec } from "./gpu.ts";

/** The twin's fitted coefficients. */
export interface TwinCoefficients {
  /** Share of peak memory bandwidth the dense weight reads reach (0–1]. */
  memEfficiency: number;
  /** Share of peak memory bandwidth a mixture of experts' expert weight reads reach (0–1]. */
  moeEfficiency: number;
  /** Share of dense tensor throughput the linear layers reach (0–1]. */
  computeEfficiency: number;
  /** Share of peak memory bandwidth attention's KV reads reach (0–1]. */
  attnEfficiency: number;
  /** Fixed cost of a step: scheduling, kernel launches, sampling (ms). */
  stepOverheadMs: number;
  /** Cost of each sequence in a step: input preparation, output processing (µs). */
  perSeqUs: number;
  /** Latency of one all-reduce under tensor parallelism, paid twice a layer (µs). */
  allReduceUs: number;
  /** Share of the GPU link's bandwidth an all-reduce's data moves at (0–1]. */
  linkEfficiency: number;
  /** The API server's own time per request, outside the engine: tokenizing, streaming (ms). */
  requestOverheadMs: number;
}

/**
 * The coefficients shipped for vLLM on NVIDIA Hopper GPUs: fitted (`twin/fit.ts`) on the 13
 * stages of `twin/data/calibration.json` (vLLM on H100 SXM: Llama-2-7B on one GPU, Llama-2-70B
 * on four, Mixtral-8x7B on two), rounded to three digits. `deno task twin:check` prints their
 * errors; `docs/twin.md` keeps the table.
 */
export const HOPPER_VLLM: Readonly<TwinCoefficients> = Object.freeze({
  memEfficiency: 0.674,
  moeEfficiency: 0.803,
  computeEfficiency: 0.788,
  attnEfficiency: 0.92,
  stepOverheadMs: 0.0584,
  perSeqUs: 10.4,
  allReduceUs: 6.87,
  linkEfficiency: 0.367,
  requestOverheadMs: 8.97,
});

/** Names of the coefficients, in a fixed order (for fitting and reports). */
export const COEFFICIENT_NAMES: readonly (keyof TwinCoefficients)[] = [
  "memEfficiency",
  "moeEfficiency",
  "computeEfficiency",
  "attnEfficiency",
  "stepOverheadMs",
  "perSeqUs",
  "allReduceUs",
  "linkEfficiency",
  "requestOverheadMs",
];

/**
 * Bounds each coefficient must stay within to mean what it says. No kernel streams HBM at the
 * datasheet's peak: a device-to-device copy or STREAM triad on an H100 SXM sustains about
 * 3.0–3.1 TB/s of its 3.35 (about 92%), so the bandwidth shares stop at 0.92; cuBLAS reaches
 * about 75–80% of dense BF16 peak on large GEMMs, so the compute share stops at 0.8.
 */
export const COEFFICIENT_BOUNDS: Readonly<Record<keyof TwinCoefficients, [number, number]>> = {
  memEfficiency: [0.2, 0.92],
  moeEfficiency: [0.1, 0.92],
  computeEfficiency: [0.1, 0.8],
  attnEfficiency: [0.1, 0.92],
  stepOverheadMs: [0, 20],
  perSeqUs: [0, 200],
  allReduceUs: [0, 200],
  linkEfficiency: [0.05, 0.92],
  requestOverheadMs: [0, 100],
};

/** vLLM's engine flags the twin reads. */
export interface VllmFlags {
  /** `--max-num-seqs`. */
  maxNumSeqs: number;
  /** `--max-num-batched-tokens`. */
  maxBatchedTokens: number;
  /** `--max-model-len`. */
  maxModelLen: number;
  /** `--gpu-memory-utilization`. */
  gpuMemoryUtilization: number;
  /** `--block-size`. */
  blockSize: number;
  /** Automatic prefix caching. */
  prefixCaching: boolean;
  /** Asynchronous scheduling: the next step is planned while this one runs. */
  asyncScheduling: boolean;
  /** KV blocks instead of what the memory budget leaves (`--num-gpu-blocks-override`). */
  numGpuBlocks?: number;
}

/** vLLM's defaults of the flags the twin reads (vLLM V1, 2025–2026). */
export const VLLM_DEFAULTS: Readonly<Omit<VllmFlags, "maxModelLen">> = Object.freeze({
  maxNumSeqs: 256,
  maxBatchedTokens: 8192,
  gpuMemoryUtilization: 0.9,
  blockSize: 16,
  prefixCaching: true,
  asyncScheduling: true,
});

/** A model served by vLLM on GPUs. */
export interface Deployment {
  /** The model. */
  model: ModelSpec;
  /** The GPU (each of `tp`). */
  gpu: GpuSpec;
  /** Tensor-parallel GPUs. */
  tp: number;
  /** vLLM's flags. */
  vllm: VllmFlags;
  /** The coefficients. */
  coefficients: TwinCoefficients;
}

/** Memory vLLM keeps besides weights and KV: CUDA context, NCCL buffers, CUDA graphs (bytes). */
const NON_TORCH_BYTES = 1.5 * 1024 ** 3;

/** Bytes of the weights one GPU holds. */
export function weightBytesPerGpu(d: Pick<Deployment, "model" | "tp">): number {
  return (d.model.totalParams * d.model.dtypeBytes) / d.tp;
}

/** KV-cache bytes of one token on one GPU (KV heads replicated when fewer than GPUs). */
export function kvBytesPerTokenPerGpu(d: Pick<Deployment, "model" | "tp">): number {
  const shards = Math.min(d.tp, d.model.kvHeads);
  return d.model.kvBytesPerToken / shards;
}

/**
 * The peak of activations vLLM's profiling forward pass reserves (bytes per GPU): a step of
 * `maxBatchedTokens` through the widest layer, and float32 logits for `maxNumSeqs` samples.
 */
export function activationBytesPerGpu(d: Deployment): number {
  const m = d.model;
  const widest = m.hidden * 4 + (2 * m.config.intermediate_size * m.expertsPerToken) / d.tp;
  return d.vllm.maxBatchedTokens * widest * m.dtypeBytes + d.vllm.maxNumSeqs * m.vocab * 4;
}

/**
 * KV blocks vLLM's memory budget leaves: GPU memory × utilisation, less the weights, the
 * activation peak and the memory outside PyTorch, in blocks of `blockSize` tokens (or the
 * override, when given). Throws `RangeError` when the weights do not fit.
 */
export function kvBlocks(d: Deployment): number {
  if (d.vllm.numGpuBlocks !== undefined) return d.vllm.numGpuBlocks;
  const budget = d.gpu.memoryBytes * d.vllm.gpuMemoryUtilization - weightBytesPerGpu(d) -
    activationBytesPerGpu(d) - NON_TORCH_BYTES;
  const perBlock = kvBytesPerTokenPerGpu(d) * d.vllm.blockSize;
  if (budget < perBlock) {
    throw new RangeError(
      `${d.model.name} on ${d.tp} × ${d.gpu.title}: the weights (${
        (weightBytesPerGpu(d) / 1e9).toFixed(1)
      } GB a GPU) leave no memory for the KV cache`,
    );
  }
  return Math.floor(budget / perBlock);
}

/** Where a step's time goes (seconds), for `serve --explain` and the twin's own tests. */
export interface StepBreakdown {
  /** The linear layers. */
  linear: number;
  /** Attention. */
  attention: number;
  /** All-reduces. */
  allReduce: number;
  /** Overheads. */
  overhead: number;
  /** The whole step. */
  total: number;
}

/** The time of one step of `shape` on a deployment, and where it goes. */
export function stepBreakdown(d: Deployment, s: StepShape): StepBreakdown {
  const m = d.model, g = d.gpu, c = d.coefficients, tp = d.tp;
  const bytes = m.dtypeBytes;
  const flops = g.denseFlops, bw = g.memoryBandwidth;
  // Linear layers: every expert a token of the step is routed to is read once.
  const touched = m.experts > 1
    ? m.experts * (1 - Math.pow(1 - m.expertsPerToken / m.experts, s.tokens))
    : 1;
  const headParams = m.lmHeadParams || m.embeddingParams; // a tied head reads the embedding
  const moe = m.experts > 1;
  const denseParams = m.layers * (m.attnParamsPerLayer + m.routerParamsPerLayer +
        (moe ? 0 : m.expertParams)) + headParams;
  const expertBytes = moe ? (m.layers * touched * m.expertParams * bytes) / tp : 0;
  const linFlops = (2 * (m.layers * m.activeLayerParams * s.tokens + headParams * s.sampled)) /
    tp;
  const linear = Math.max(
    linFlops / (flops * c.computeEfficiency),
    (denseParams * bytes) / tp / (bw * c.memEfficiency) + expertBytes / (bw * c.moeEfficiency),
  );
  // Attention: the new tokens against their context, reading every sequence's KV.
  const attnFlops = (4 * m.layers * m.heads * m.headDim * s.attnWork) / tp;
  const kvBytes = kvBytesPerTokenPerGpu(d) * s.kvTokens;
  const attention = Math.max(
    attnFlops / (flops * c.computeEfficiency),
    kvBytes / (bw * c.attnEfficiency),
  );
  const allReduce = tp > 1
    ? 2 * m.layers *
      (c.allReduceUs * 1e-6 +
        ((2 * (tp - 1)) / tp) * s.tokens * m.hidden * bytes / (g.linkBandwidth * c.linkEfficiency))
    : 0;
  const overhead = c.stepOverheadMs * 1e-3 + c.perSeqUs * 1e-6 * s.seqs;
  return {
    linear,
    attention,
    allReduce,
    overhead,
    total: linear + attention + allReduce + overhead,
  };
}

/** The step cost of a deployment (ms), for the engine core. */
export function deploymentCost(d: Deployment): StepCost {
  return (s) => stepBreakdown(d, s).total * 1000;
}
