import assert from "node:assert/strict";
import { join } from "node:path";
import {
  loadModelConfig,
  readTwinFile,
  resolveDeployment,
  TWIN_FILE_FORMAT,
} from "../../twin/deployment.ts";
import { BUILTIN_MODELS } from "../../twin/model.ts";
import { HOPPER_VLLM, kvBlocks } from "../../twin/timing.ts";

Deno.test("deployment: a config.json file (or its folder) is read; a bad one names the problem", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cfg = { ...BUILTIN_MODELS["meta-llama/Llama-2-7b-hf"], _name_or_path: "my/model" };
    await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(cfg));
    assert.equal(loadModelConfig(join(dir, "config.json")).name, "my/model");
    assert.equal(loadModelConfig(dir).config.hidden_size, 4096);
    await Deno.writeTextFile(join(dir, "bad.json"), JSON.stringify({ hidden_size: 1 }));
    assert.throws(
      () => loadModelConfig(join(dir, "bad.json")),
      /--model-config: .*intermediate_size/,
    );
    await Deno.writeTextFile(join(dir, "text.json"), "not json");
    assert.throws(() => loadModelConfig(join(dir, "text.json")), /not JSON/);
    assert.throws(
      () => loadModelConfig(join(dir, "missing.json")),
      /neither a file nor a built-in/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deployment: a twin file's coefficients are checked against their bounds", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = join(dir, "twin.json");
    await Deno.writeTextFile(
      good,
      JSON.stringify({ format: TWIN_FILE_FORMAT, coefficients: HOPPER_VLLM }),
    );
    assert.deepEqual(readTwinFile(good).coefficients, HOPPER_VLLM);
    const bad = join(dir, "bad.json");
    await Deno.writeTextFile(
      bad,
      JSON.stringify({
        format: TWIN_FILE_FORMAT,
        coefficients: { ...HOPPER_VLLM, memEfficiency: 1.5 },
      }),
    );
    assert.throws(() => readTwinFile(bad), /memEfficiency must be a number in/);
    await Deno.writeTextFile(bad, JSON.stringify({ coefficients: HOPPER_VLLM }));
    assert.throws(() => readTwinFile(bad), /not a twin file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deployment: vLLM's defaults fill what is not given; what vLLM would refuse is refused", () => {
  const d = resolveDeployment({ model: "llama-3.1-8b-instruct", gpu: "H100", tp: 1 });
  assert.equal(d.vllm.maxNumSeqs, 256);
  assert.equal(d.vllm.maxBatchedTokens, 8192);
  assert.equal(d.vllm.maxModelLen, 131072);
  assert.equal(d.gpu.name, "h100-sxm");
  const small = resolveDeployment({
    model: "llama-3.1-8b-instruct",
    gpu: "h100-sxm",
    tp: 1,
    maxNumSeqs: 32,
    maxModelLen: 8192,
    gpuMemoryUtilization: 0.5,
  });
  assert.equal(small.vllm.maxNumSeqs, 32);
  assert.ok(kvBlocks(small) < kvBlocks(d));
  assert.throws(
    () => resolveDeployment({ model: "llama-2-7b-hf", gpu: "h100", tp: 3 }),
    /--tp: .*not divisible/,
  );
  assert.throws(
    () => resolveDeployment({ model: "llama-2-7b-hf", gpu: "tpu", tp: 1 }),
    /--gpu: unknown GPU/,
  );
  assert.throws(
    () => resolveDeployment({ model: "llama-2-70b-hf", gpu: "l40s", tp: 1 }),
    /--model-config: .*leave no memory/,
  );
  assert.throws(
    () => resolveDeployment({ model: "llama-2-7b-hf", gpu: "h100", tp: 1, maxModelLen: 8192 }),
    /--max-model-len: 8192 is longer than/,
  );
  assert.throws(
    () =>
      resolveDeployment({
        model: "llama-3.1-8b-instruct",
        gpu: "h100",
        tp: 1,
        gpuMemoryUtilization: 0.25,
      }),
    /--max-model-len: 131072 tokens do not fit/,
  );
});
