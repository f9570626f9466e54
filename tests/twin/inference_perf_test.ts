import assert from "node:assert/strict";
import {
  constantArrivals,
  drawLengths,
  parseInferencePerfConfig,
  poissonArrivals,
  randomPrompts,
  retokenized,
  sharedPrefixPrompts,
  STAGE_LEAD_MS,
  stageSchedules,
} from "../../twin/inference_perf.ts";
import { Prng } from "../../util/prng.ts";

const CONFIG = `
api:
  type: completion
  streaming: true
server:
  type: vllm
  model_name: meta-llama/Llama-2-7b-hf
  ignore_eos: true
data:
  type: shared_prefix
  shared_prefix:
    num_groups: 4
    num_prompts_per_group: 5
    system_prompt_len: 100
    question_len: 300
    output_len: 50
load:
  type: constant
  stages:
    - rate: 5
      duration: 20
    - rate: 10
      duration: 10
`;

Deno.test("inference-perf: the config's api, server, data and load are read; defaults as inference-perf's", () => {
  const c = parseInferencePerfConfig(CONFIG);
  assert.equal(c.api, "completion");
  assert.equal(c.streaming, true);
  assert.equal(c.ignoreEos, true);
  assert.equal(c.model, "meta-llama/Llama-2-7b-hf");
  assert.equal(c.load.interval, 1);
  assert.deepEqual(c.load.stages, [{ rate: 5, duration: 20 }, { rate: 10, duration: 10 }]);
  assert.equal(c.data.type, "shared_prefix");
  const aliases = parseInferencePerfConfig(
    "data: {type: shared_prefix, shared_prefix: {num_unique_system_prompts: 3, num_users_per_system_prompt: 2}}\nload: {stages: [{rate: 1, duration: 1}]}",
  );
  assert.ok(aliases.data.type === "shared_prefix" && aliases.data.sharedPrefix.numGroups === 3);
  assert.ok(
    aliases.data.type === "shared_prefix" && aliases.data.sharedPrefix.numPromptsPerGroup === 2,
  );
  for (
    const [text, error] of [
      [
        "data: {type: shared_prefix}\nload: {type: trace_replay, stages: [{rate: 1, duration: 1}]}",
        /load.type: "trace_replay" is not supported/,
      ],
      ["data: {type: shared_prefix}\nload: {stages: []}", /load.stages: must list/],
      ["data: {type: cnn_dailymail}\nload: {stages: [{rate: 1, duration: 1}]}", /data.type/],
      [
        "data: {type: random, input_distribution: {mean: 10}, output_distribution: {mean: 10}}\nload: {stages: [{rate: 1, duration: 1}]}",
        /total_count: is required/,
      ],
      ["data: {type: shared_prefix}\nload: {stages: [{rate: -1, duration: 1}]}", /rate/],
      ["[1, 2", /not YAML/],
    ] as const
  ) assert.throws(() => parseInferencePerfConfig(text), error);
});

Deno.test("inference-perf: constant arrivals are rate × duration requests ending exactly at the duration", () => {
  const rng = new Prng(7);
  const t = constantArrivals(5, 60, rng);
  assert.equal(t.length, 300);
  assert.ok(Math.abs(t[t.length - 1] - 60_000) < 1e-6);
  for (let i = 1; i < t.length; i++) assert.ok(t[i] > t[i - 1]);
  // Exponential gaps: their coefficient of variation is near 1 (not evenly spaced).
  const gaps = t.map((x, i) => x - (i ? t[i - 1] : 0));
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
  assert.ok(sd / mean > 0.8 && sd / mean < 1.2, `cv ${sd / mean}`);
  const p = poissonArrivals(8, 100, new Prng(3));
  assert.equal(p.length, 800);
  for (let i = 1; i < p.length; i++) assert.ok(p[i] >= p[i - 1]);
});

Deno.test("inference-perf: shared-prefix prompts share their group's system prompt blocks and nothing else", () => {
  const c = parseInferencePerfConfig(CONFIG);
  assert.ok(c.data.type === "shared_prefix");
  const prompts = sharedPrefixPrompts(c.data.sharedPrefix, new Prng(1));
  assert.equal(prompts.length, 20);
  // The server counts a BOS token and the decoded text's growth on re-tokenization.
  const shared = 1 + retokenized(100);
  for (const p of prompts) {
    assert.equal(p.shared, shared);
    assert.equal(p.prompt, shared + retokenized(300));
    assert.ok(p.prompt > 400 && p.prompt < 430, `${p.prompt}`);
    assert.equal(p.output, 50);
    assert.equal(p.blockHashes.length, Math.floor(p.prompt / 16));
  }
  const byGroup = Map.groupBy(prompts, (p) => p.group);
  assert.equal(byGroup.size, 4);
  const fullShared = Math.floor(shared / 16); // whole blocks of the system prompt
  for (const group of byGroup.values()) {
    for (const p of group) {
      assert.deepEqual(
        p.blockHashes.slice(0, fullShared),
        group[0].blockHashes.slice(0, fullShared),
      );
      if (p !== group[0]) {
        assert.notEqual(p.blockHashes[fullShared], group[0].blockHashes[fullShared]);
      }
    }
  }
  const [a, b] = [...byGroup.values()];
  assert.notEqual(a[0].blockHashes[0], b[0].blockHashes[0]);
  // Shuffled once: groups interleave.
  assert.ok(prompts.slice(0, 5).some((p) => p.group !== prompts[0].group));
});

Deno.test("inference-perf: stages start a second in, and each stage takes data from index 0 again", () => {
  const c = parseInferencePerfConfig(CONFIG);
  const s = stageSchedules(c, 20, new Prng(2));
  assert.deepEqual(s.map((x) => x.length), [100, 100]);
  assert.ok(
    s[0][0].atMs > STAGE_LEAD_MS && Math.abs(s[0][99].atMs - (STAGE_LEAD_MS + 20_000)) < 1e-6,
  );
  assert.deepEqual(s[1].slice(0, 3).map((r) => r.prompt), [0, 1, 2]);
  assert.equal(s[1][25].prompt, 5);
});

Deno.test("inference-perf: lengths are drawn, clipped and rounded as generate_distribution does", () => {
  const rng = new Prng(9);
  const normal = drawLengths(
    { min: 100, max: 200, mean: 150, stdDev: 30, type: "normal" },
    5000,
    rng,
  );
  const mean = normal.reduce((a, b) => a + b, 0) / normal.length;
  assert.ok(Math.abs(mean - 150) < 2, `mean ${mean}`);
  assert.ok(normal.every((x) => Number.isInteger(x) && x >= 100 && x <= 200));
  assert.ok(normal.filter((x) => x === 200).length > 10, "clipped at max");
  assert.deepEqual(drawLengths({ min: 1, max: 9, mean: 5.7, stdDev: 1, type: "fixed" }, 3, rng), [
    5,
    5,
    5,
  ]);
  const uni = drawLengths({ min: 10, max: 20, mean: 0, stdDev: 0, type: "uniform" }, 2000, rng);
  assert.ok(uni.every((x) => x >= 10 && x <= 20) && new Set(uni).size === 11);
  const rp = randomPrompts(
    { min: 50, max: 60, mean: 55, stdDev: 2, type: "normal", totalCount: 30 },
    { min: 5, max: 5, mean: 5, stdDev: 0, type: "normal" },
    rng,
  );
  assert.equal(rp.length, 30);
  assert.ok(rp.every((p) => p.output === 5 && p.group === -1));
  assert.notEqual(rp[0].blockHashes[0], rp[1].blockHashes[0], "random prompts share no block");
});
