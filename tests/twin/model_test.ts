import assert from "node:assert/strict";
import { BUILTIN_MODELS, builtinModel, modelSpec } from "../../twin/model.ts";
import { gpuNamed } from "../../twin/gpu.ts";

const within = (x: number, want: number, tol: number) => Math.abs(x - want) / want <= tol;

Deno.test("model: parameter counts match the published sizes of the built-in models", () => {
  // Published sizes (model cards): Llama-2-7B 6.74 B, Llama-2-70B 68.98 B, Llama-3.1-8B 8.03 B,
  // Mixtral-8x7B 46.7 B in all with 12.9 B active per token.
  const cases: [string, number][] = [
    ["meta-llama/Llama-2-7b-hf", 6.74e9],
    ["meta-llama/Llama-2-70b-hf", 68.98e9],
    ["meta-llama/Llama-3.1-8B-Instruct", 8.03e9],
    ["mistralai/Mixtral-8x7B-v0.1", 46.7e9],
  ];
  for (const [name, want] of cases) {
    const m = modelSpec(BUILTIN_MODELS[name], name);
    assert.ok(within(m.totalParams, want, 0.01), `${name}: ${m.totalParams}`);
  }
  const mixtral = modelSpec(BUILTIN_MODELS["mistralai/Mixtral-8x7B-v0.1"]);
  const active = mixtral.layers * mixtral.activeLayerParams + mixtral.embeddingParams +
    mixtral.lmHeadParams;
  assert.ok(within(active, 12.9e9, 0.02), `active ${active}`);
});

Deno.test("model: KV bytes per token follow the KV heads (grouped-query attention is smaller)", () => {
  const l2 = modelSpec(BUILTIN_MODELS["meta-llama/Llama-2-7b-hf"]);
  const l3 = modelSpec(BUILTIN_MODELS["meta-llama/Llama-3.1-8B-Instruct"]);
  // 2 (K, V) × 32 layers × heads × 128 × 2 bytes.
  assert.equal(l2.kvBytesPerToken, 2 * 32 * 32 * 128 * 2);
  assert.equal(l3.kvBytesPerToken, 2 * 32 * 8 * 128 * 2);
  assert.equal(l2.dtypeBytes, 2);
});

Deno.test("model: a bad config names the key; built-in names match with or without the organisation", () => {
  assert.throws(
    () => modelSpec({ ...BUILTIN_MODELS["meta-llama/Llama-2-7b-hf"], hidden_size: 0 }),
    /hidden_size/,
  );
  assert.throws(
    () => modelSpec({ ...BUILTIN_MODELS["meta-llama/Llama-2-7b-hf"], torch_dtype: "int3" }),
    /torch_dtype/,
  );
  assert.equal(builtinModel("llama-3.1-8b-instruct")?.name, "meta-llama/Llama-3.1-8B-Instruct");
  assert.equal(builtinModel("nope"), undefined);
  assert.equal(gpuNamed("H100")?.name, "h100-sxm");
  assert.equal(gpuNamed("a100")?.name, "a100-80gb");
  assert.equal(gpuNamed("tpu"), undefined);
});
