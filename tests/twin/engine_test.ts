import assert from "node:assert/strict";
import {
  DEFAULT_ENGINE,
  type EngineConfig,
  EngineCore,
  EngineDriver,
  predictSaturation,
  Seq,
} from "../../twin/engine.ts";
import { FakeClock } from "../../util/clock.ts";

const CFG: EngineConfig = {
  maxNumSeqs: 8,
  maxBatchedTokens: 2048,
  stepBaseMs: 4,
  stepPerSeqMs: 0.1,
  stepPerPrefillTokenMs: 0.01,
  blockSize: 16,
  numBlocks: 4096,
};

/** A sequence that records its token times. */
function recorded(prompt: number, output: number, cached = 0, arrivedAt = 0) {
  const times: number[] = [];
  let doneAt = -1;
  const seq = new Seq(prompt, cached, output, arrivedAt, {
    token: (_i, at) => times.push(at),
    done: (at) => doneAt = at,
  });
  return { seq, times, doneAt: () => doneAt };
}

/** Run a core in virtual time until idle; returns the end time. */
function drain(core: EngineCore, now = 0): number {
  for (;;) {
    const ms = core.beginStep(now);
    if (ms === null) return now;
    now += ms;
    core.endStep(now);
  }
}

const close = (a: number, b: number, eps = 1e-9) => Math.abs(a - b) <= eps;

Deno.test("batch of one: TTFT is one prefill step, TPOT is base + one sequence", () => {
  const core = new EngineCore(CFG);
  const r = recorded(100, 10);
  core.add(r.seq);
  drain(core);
  // Prefill step: 4 + 0.1 × 1 + 0.01 × 100 = 5.1 ms; then 9 decode steps of 4.1 ms.
  assert.ok(close(r.times[0], 5.1), `TTFT ${r.times[0]}`);
  for (let i = 1; i < 10; i++) assert.ok(close(r.times[i] - r.times[i - 1], 4.1));
  assert.ok(close(r.doneAt(), 5.1 + 9 * 4.1));
  assert.equal(core.usedBlocks, 0, "blocks freed at the end");
});

Deno.test("a full batch decodes at base + per-sequence × batch; the next request queues", () => {
  const core = new EngineCore(CFG);
  const rs = Array.from({ length: 9 }, () => recorded(16, 5));
  for (const r of rs) core.add(r.seq);
  drain(core);
  // 8 admitted together: prefill 8 × 16 tokens in one step: 4 + 0.8 + 1.28 = 6.08 ms.
  for (const r of rs.slice(0, 8)) {
    assert.ok(close(r.times[0], 6.08), `TTFT ${r.times[0]}`);
    assert.ok(close(r.times[1] - r.times[0], 4.8), `TPOT ${r.times[1] - r.times[0]}`);
  }
  // The ninth waits for a slot: admitted after the first eight finish.
  const ninth = rs[8];
  assert.ok(ninth.times[0] > rs[0].doneAt(), "queued until a slot was free");
  assert.ok(close(ninth.times[0], rs[0].doneAt() + 4 + 0.1 + 0.16));
});

Deno.test("chunked prefill: a long prompt is spread over steps within the token budget", () => {
  const core = new EngineCore({ ...CFG, maxBatchedTokens: 256 });
  const r = recorded(1000, 2);
  core.add(r.seq);
  drain(core);
  // ceil(1000 / 256) = 4 prefill steps: 3 full chunks and one of 232 tokens.
  const expected = 3 * (4 + 0.1 + 2.56) + (4 + 0.1 + 2.32);
  assert.ok(close(r.times[0], expected), `TTFT ${r.times[0]} vs ${expected}`);
  assert.equal(core.prefillTokens, 1000);
});

Deno.test("cached prompt tokens are not prefilled; a fully cached prompt still computes one", () => {
  const core = new EngineCore(CFG);
  const half = recorded(512, 1, 256);
  const all = recorded(512, 1, 512);
  core.add(half.seq);
  drain(core);
  core.add(all.seq);
  const t = drain(core, 1000);
  assert.ok(close(half.times[0], 4 + 0.1 + 2.56));
  assert.ok(close(all.times[0] - 1000, 4 + 0.1 + 0.01));
  assert.equal(core.prefillTokens, 256 + 1);
  assert.ok(t > 1000);
});

Deno.test("a KV cache too small for the batch preempts the newest sequence; all still finish", () => {
  // 12 blocks of 16 tokens: four sequences of 32-token prompts fill 12 blocks at admission
  // (3 blocks each); growing past 48 tokens needs a fourth block, so the newest is preempted.
  const core = new EngineCore({ ...CFG, numBlocks: 12 });
  const rs = Array.from({ length: 4 }, () => recorded(32, 40));
  for (const r of rs) core.add(r.seq);
  drain(core);
  assert.ok(core.preemptions > 0, "no preemption");
  for (const r of rs) {
    assert.equal(r.times.length, 40, "every token generated once");
    assert.ok(r.doneAt() > 0);
  }
  assert.ok(rs.some((r) => r.seq.preemptions > 0));
  assert.equal(core.usedBlocks, 0);
  // Recomputation is prefill again: more prefill than the prompts alone.
  assert.ok(core.prefillTokens > 4 * 32, `prefill ${core.prefillTokens}`);
});

Deno.test("a cancelled sequence leaves the batch and frees its blocks", () => {
  const core = new EngineCore(CFG);
  const a = recorded(64, 100), b = recorded(64, 3);
  core.add(a.seq);
  core.add(b.seq);
  let now = 0;
  for (let i = 0; i < 2; i++) {
    now += core.beginStep(now)!;
    core.endStep(now);
  }
  core.cancel(a.seq);
  drain(core, now);
  assert.equal(a.times.length, 2);
  assert.equal(b.times.length, 3);
  assert.equal(core.usedBlocks, 0);
});

Deno.test("the saturation prediction matches the closed form when the budget does not bind", () => {
  for (const [isl, osl] of [[128, 128], [512, 64], [32, 256]]) {
    const p = predictSaturation(CFG, isl, osl);
    const b = CFG.maxNumSeqs;
    const step = CFG.stepBaseMs + CFG.stepPerSeqMs * b + CFG.stepPerPrefillTokenMs * b * isl / osl;
    const want = (b / step) * 1000;
    const err = Math.abs(p.outputTokensPerSecond - want) / want;
    assert.ok(err < 0.03, `isl ${isl} osl ${osl}: ${p.outputTokensPerSecond} vs ${want}`);
    assert.ok(Math.abs(p.meanBatch - b) < 0.5, `mean batch ${p.meanBatch}`);
  }
  // The defaults, as `serve --explain` states them.
  const d = predictSaturation(DEFAULT_ENGINE, 512, 128);
  assert.ok(d.outputTokensPerSecond > 0 && d.requestsPerSecond > 0);
});

Deno.test("the driver runs steps back to back on a clock and stops when idle", async () => {
  const clock = new FakeClock();
  const steps: [number, number][] = [];
  const driver = new EngineDriver(
    new EngineCore(CFG),
    () => clock.now(),
    async (d) => {
      await clock.sleepUntil(d);
      return true;
    },
    (_s, start, end) => steps.push([start, end]),
  );
  const r = recorded(100, 3);
  driver.submit(r.seq);
  await clock.run(
    new Promise<void>((resolve) => {
      const check = () => (r.doneAt() >= 0 ? resolve() : setTimeout(check, 0));
      check();
    }),
  );
  assert.deepEqual(r.times.map((t) => +t.toFixed(6)), [5.1, 9.2, 13.3]);
  for (let i = 1; i < steps.length; i++) assert.equal(steps[i][0], steps[i - 1][1]);
  assert.equal(clock.pending, 0, "no step scheduled once idle");
});

Deno.test("the driver flushes gathered output once per yield: steps run back to back share one write", async () => {
  const cases: [((d: number) => boolean) | undefined, number[]][] = [
    [() => true, [5]], // every step already due: one run, one write at its end
    [undefined, [1, 1, 1, 1, 1]], // steps take time: a write before each wait, and at the end
  ];
  for (const [due, expected] of cases) {
    const clock = new FakeClock();
    const writes: number[] = [];
    let pending = 0;
    let finished = false;
    const flush = () => {
      writes.push(pending);
      pending = 0;
    };
    const driver: EngineDriver = new EngineDriver(
      new EngineCore(CFG),
      () => clock.now(),
      async (d) => {
        await clock.sleepUntil(d);
        return true;
      },
      undefined,
      due,
    );
    driver.submit(
      new Seq(16, 0, 5, 0, {
        token: () => {
          if (pending === 0) driver.beforeYield(flush);
          pending++;
        },
        done: () => finished = true,
      }),
    );
    await clock.run(
      new Promise<void>((resolve) => {
        const check = () => (finished && writes.length ? resolve() : setTimeout(check, 0));
        check();
      }),
    );
    assert.deepEqual(writes, expected, due ? "due steps" : "timed steps");
  }
});

Deno.test("a sequence stamped later than the engine's clock still runs when nothing else does", () => {
  // On real timers the model's timeline can lag the arrivals' clock; such a sequence must not
  // wait for a step that never comes.
  for (const admissionLag of [0, 1] as const) {
    const core = new EngineCore({ ...CFG, admissionLag });
    const r = recorded(32, 2, 0, 50);
    core.add(r.seq);
    assert.equal(drain(core, 10) > 10, true, `lag ${admissionLag}: never ran`);
    assert.equal(r.times.length, 2);
  }
});

/** A sequence with block hashes: `shared` full blocks common to every prompt, then its own. */
function hashed(prompt: number, output: number, shared: number, own: number, arrivedAt = 0) {
  const blocks = Math.floor(prompt / 16);
  const hashes = Array.from({ length: blocks }, (_, i) => (i < shared ? i + 1 : own * 1000 + i));
  const times: number[] = [];
  const seq = new Seq(prompt, 0, output, arrivedAt, {
    token: (_i, at) => times.push(at),
    done: () => {},
  }, hashes);
  return { seq, times };
}

Deno.test("prefix caching: a later prompt reuses the full blocks an earlier one registered", () => {
  const core = new EngineCore({ ...CFG, prefixCaching: true });
  const first = hashed(160, 2, 8, 1);
  core.add(first.seq);
  drain(core);
  const second = hashed(160, 2, 8, 2);
  core.add(second.seq);
  const before = core.prefillTokens;
  drain(core, 1000);
  assert.equal(second.seq.cached, 128, "8 shared blocks of 16 tokens");
  assert.equal(core.prefillTokens - before, 32, "only the rest is prefilled");
  assert.equal(core.hitTokens, 128);
  assert.equal(core.queriedTokens, 320);
  // Without prefix caching the same prompts are prefilled whole.
  const off = new EngineCore(CFG);
  off.add(hashed(160, 2, 8, 1).seq);
  drain(off);
  off.add(hashed(160, 2, 8, 2).seq);
  drain(off, 1000);
  assert.equal(off.prefillTokens, 320);
});

Deno.test("asynchronous scheduling: an arrival during a step runs in the step after next", () => {
  for (const [lag, steps] of [[0, 1], [1, 2]] as const) {
    const core = new EngineCore({ ...CFG, admissionLag: lag });
    const a = recorded(16, 20);
    core.add(a.seq);
    let now = 0;
    now += core.beginStep(now)!; // a's prefill
    core.endStep(now);
    const start = now;
    now += core.beginStep(now)!; // a decodes; b arrives during this step
    const b = recorded(16, 1, 0, start + 1);
    core.add(b.seq);
    core.endStep(now);
    let n = 0;
    while (b.times.length === 0) {
      now += core.beginStep(now)!;
      core.endStep(now);
      n++;
    }
    assert.equal(n, steps, `lag ${lag}`);
  }
});
