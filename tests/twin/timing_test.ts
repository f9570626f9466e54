import assert from "node:assert/strict";
import { BUILTIN_MODELS, modelSpec } from "../../twin/model.ts";
import { GPUS } from "../../twin/gpu.ts";
import {
  type Deployment,
  HOPPER_VLLM,
  kvBlocks,
  stepBreakdown,
  VLLM_DEFAULTS,
} from "../../twin/timing.ts";
import type { StepShape } from "../../twin/engine.ts";

function deployment(model: string, gpu = "h100-sxm", tp = 1): Deployment {
  return {
    model: modelSpec(BUILTIN_MODELS[model], model),
    gpu: GPUS[gpu],
    tp,
    vllm: { ...VLLM_DEFAULTS, maxModelLen: 4096 },
    coefficients: { ...HOPPER_VLLM },
  };
}

function decode(batch: number, context: number): StepShape {
  return {
    tokens: batch,
    seqs: batch,
    sampled: batch,
    prefillTokens: 0,
    attnWork: batch * (context + 1),
    kvTokens: batch * (context + 1),
  };
}

function prefill(tokens: number): StepShape {
  return {
    tokens,
    seqs: 1,
    sampled: 1,
    prefillTokens: tokens,
    attnWork: tokens * (tokens + 1) / 2,
    kvTokens: tokens,
  };
}

const L8 = "meta-llama/Llama-3.1-8B-Instruct";

Deno.test("timing: a small decode step reads the weights (memory-bound); a long prefill is compute-bound", () => {
  const d = deployment(L8);
  const c = d.coefficients;
  const bytes = (d.model.totalParams - d.model.embeddingParams) * d.model.dtypeBytes;
  const one = stepBreakdown(d, decode(1, 0));
  const weightsS = bytes / (d.gpu.memoryBandwidth * c.memEfficiency);
  assert.ok(Math.abs(one.linear - weightsS) / weightsS < 0.01, `${one.linear} vs ${weightsS}`);
  const big = stepBreakdown(d, prefill(8192));
  const flopsS = 2 * d.model.layers * d.model.activeLayerParams * 8192 /
    (d.gpu.denseFlops * c.computeEfficiency);
  assert.ok(big.linear >= flopsS * 0.99 && big.linear > one.linear * 5, `${big.linear}`);
});

Deno.test("timing: a step grows with the batch and the context; tensor parallelism shortens it and adds all-reduces", () => {
  const d = deployment(L8);
  const t = (s: StepShape) => stepBreakdown(d, s).total;
  assert.ok(t(decode(64, 1024)) > t(decode(8, 1024)));
  assert.ok(t(decode(64, 4096)) > t(decode(64, 1024)));
  const tp2 = deployment(L8, "h100-sxm", 2);
  const a = stepBreakdown(d, decode(32, 1024)), b = stepBreakdown(tp2, decode(32, 1024));
  assert.ok(b.linear < a.linear * 0.55 && b.allReduce > 0 && a.allReduce === 0);
});

Deno.test("timing: a faster GPU gives a shorter step; an MoE reads only the experts a small step touches", () => {
  const h100 = stepBreakdown(deployment(L8), decode(16, 512)).total;
  const h200 = stepBreakdown(deployment(L8, "h200"), decode(16, 512)).total;
  const a100 = stepBreakdown(deployment(L8, "a100-80gb"), decode(16, 512)).total;
  assert.ok(h200 < h100 && h100 < a100);
  const mix = deployment("mistralai/Mixtral-8x7B-v0.1", "h100-sxm", 2);
  const one = stepBreakdown(mix, decode(1, 512)).linear;
  const many = stepBreakdown(mix, decode(64, 512)).linear;
  // One token touches 2 of 8 experts; 64 tokens touch nearly all of them.
  assert.ok(many > one * 2.5, `${one} → ${many}`);
});

Deno.test("timing: KV blocks are what the memory budget leaves; weights that do not fit are refused", () => {
  const d = deployment(L8);
  const blocks = kvBlocks(d);
  const tokens = blocks * d.vllm.blockSize;
  // 80 GiB × 0.9 less 16 GB of weights and the reserves, at 128 KiB a token: 350–480 k tokens.
  assert.ok(tokens > 350_000 && tokens < 480_000, `${tokens} tokens`);
  const lower = kvBlocks({ ...d, vllm: { ...d.vllm, gpuMemoryUtilization: 0.5 } });
  assert.ok(lower < blocks / 2);
  assert.equal(kvBlocks({ ...d, vllm: { ...d.vllm, numGpuBlocks: 1234 } }), 1234);
  assert.throws(() => kvBlocks(deployment("meta-llama/Llama-2-70b-hf", "l40s")), RangeError);
  // Four GPUs hold a quarter of the weights each: room for the cache.
  assert.ok(kvBlocks(deployment("meta-llama/Llama-2-70b-hf", "h100-sxm", 4)) > 0);
});
