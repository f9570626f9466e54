/**
 * `deno bench bench/engine_bench.ts`: the embedded server's scheduling work per generated
 * token, without HTTP: the engine model's steps at 256 running sequences against the constant
 * profile's per-token deadlines through the server's shared timer heap, in the same run.
 *
 * @module
 */

import { EngineCore, Seq } from "../twin/engine.ts";
import { Clock } from "../server/timing.ts";

const STREAMS = 256;
const TOKENS = 100;

Deno.bench({
  name: "engine model: 256 sequences × 100 tokens, every step planned and applied",
  group: "per 25,600 tokens",
  baseline: true,
  fn() {
    const core = new EngineCore({
      maxNumSeqs: STREAMS,
      maxBatchedTokens: 65536,
      stepBaseMs: 1,
      stepPerSeqMs: 0.01,
      stepPerPrefillTokenMs: 0.001,
      blockSize: 16,
      numBlocks: 65536,
    });
    let tokens = 0;
    for (let i = 0; i < STREAMS; i++) {
      core.add(new Seq(64, 0, TOKENS, 0, { token: () => tokens++, done: () => {} }));
    }
    let now = 0;
    for (;;) {
      const ms = core.beginStep(now);
      if (ms === null) break;
      now += ms;
      core.endStep(now);
    }
    if (tokens !== STREAMS * TOKENS) throw new Error(`${tokens} tokens`);
  },
});

Deno.bench({
  name: "constant profile: 256 streams × 100 token deadlines through the timer heap",
  group: "per 25,600 tokens",
  async fn() {
    const clock = new Clock(performance.now(), 0, 0);
    const start = performance.now() - 1; // every deadline already due: the heap work only
    const waits: Promise<boolean>[] = [];
    for (let k = 0; k < TOKENS; k++) {
      for (let s = 0; s < STREAMS; s++) waits.push(clock.sleepUntil(start + k * 1e-6));
    }
    await Promise.all(waits);
    clock.close();
  },
});
