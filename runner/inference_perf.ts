/**
 * An inference-perf config run against a server, as inference-perf would run it
 * (`twin/inference_perf.ts` has its definitions): the same data set in the same order, each
 * stage's arrivals on its schedule from one second after the stage starts, the next stage once
 * every request of the one before has finished, `load.interval` seconds later. Prompts are text
 * of exactly the generator's token counts in the target's tokenizer: for `shared_prefix`, each
 * group's system prompt, a space, and the prompt's question, as inference-perf joins them.
 * Each stage is one open-loop test.
 *
 * @module
 */

import type { SuiteName, TestResult } from "../measure/result.ts";
import type { RequestBody } from "../net/client.ts";
import { Prng } from "../util/prng.ts";
import { promptTextsApart } from "../workload/apart.ts";
import {
  configPrompts,
  type InferencePerfConfig,
  STAGE_LEAD_MS,
  stageSchedules,
} from "../twin/inference_perf.ts";
import { type SuiteContext, testRig } from "./runner.ts";
import type { Payload } from "../workload/payload.ts";

/** The body of one request: the config's API, its streaming, `ignore_eos` when it asks. */
export function inferencePerfBody(
  config: InferencePerfConfig,
  model: string,
  prompt: string,
  maxTokens: number,
): RequestBody {
  const base: RequestBody = { model, max_tokens: maxTokens, stream: config.streaming };
  if (config.ignoreEos) base.ignore_eos = true;
  return config.api === "chat"
    ? { ...base, messages: [{ role: "user", content: prompt }] }
    : { ...base, prompt };
}

/** Run an inference-perf config: one test of `suite` per stage, in order. */
export async function runInferencePerf(
  ctx: SuiteContext,
  config: InferencePerfConfig,
  suite: SuiteName,
  source: string,
): Promise<TestResult[]> {
  const model = ctx.target.modelOverride ?? config.model ?? ctx.target.models[0] ?? "model";
  const rng = new Prng(ctx.seed);
  const prompts = configPrompts(config, rng);
  const { texts, tokenizer, reason } = await promptTextsApart(
    ctx.workerEntry ?? null,
    prompts,
    { spec: "auto", model, embedded: ctx.target.embedded },
    ctx.seed,
  );
  const stages = stageSchedules(config, prompts.length, rng);
  const tests: TestResult[] = [];
  for (const [k, stage] of config.load.stages.entries()) {
    if (ctx.stop.aborted) break;
    const name = `inference-perf stage ${k + 1}: ${stage.rate}/s for ${stage.duration} s`;
    const payload: Payload = {
      label: "inference-perf",
      model,
      messages: [],
      max_tokens: prompts[0]?.output ?? 0,
      stream: config.streaming,
    };
    const schedule = stages[k];
    const rig = testRig(
      ctx,
      {
        suite,
        name,
        payload,
        warmup: 0,
        wire: { endpoint: config.api === "chat" ? "chat" : "completions" },
      },
      schedule.length,
    );
    rig.counting();
    const start = ctx.clock.now();
    let done = 0;
    const inFlight: Promise<void>[] = [];
    for (const r of schedule) {
      const intended = start + r.atMs;
      await ctx.clock.sleepUntil(intended, ctx.stop);
      if (ctx.stop.aborted) break;
      const p = prompts[r.prompt];
      const body = inferencePerfBody(config, rig.model, texts[r.prompt], p.output);
      inFlight.push(
        rig.client.chat(body, { signal: ctx.abort, tIntendedMs: intended }).then((rec) => {
          rig.agg.add(rec);
          rig.progress.update(++done);
        }),
      );
    }
    // The next stage starts once every request of this one has finished.
    await Promise.all(inFlight);
    rig.close();
    const result = await rig.result(ctx.stop.aborted, {
      kind: "open",
      rate: stage.rate,
      duration_s: stage.duration,
      requests: null,
      arrival: config.load.type,
      max_in_flight: null,
      warmup: 0,
    });
    result.extra.scenario = source;
    result.extra.offered_rate = stage.rate;
    result.notes.push(
      `inference-perf ${config.data.type} data, ${config.load.type} load; prompts built in ` +
        `${tokenizer} (${reason}); the schedule starts ${STAGE_LEAD_MS / 1000} s into the stage`,
    );
    tests.push(result);
    if (k < config.load.stages.length - 1 && !ctx.stop.aborted) {
      await ctx.clock.sleepUntil(ctx.clock.now() + config.load.interval * 1000, ctx.stop);
    }
  }
  return tests;
}
