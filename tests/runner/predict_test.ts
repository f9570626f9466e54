import assert from "node:assert/strict";
import { Predictor } from "../../runner/predict.ts";
import type { SuiteContext } from "../../runner/runner.ts";
import type { WorkloadTestSpec } from "../../runner/spec.ts";
import { defaultWorkload } from "../../workload/workload.ts";
import { resolveDeployment } from "../../twin/deployment.ts";

const D = resolveDeployment({ model: "llama-3.1-8b-instruct", gpu: "h100-sxm", tp: 1 });
const never = new AbortController().signal;
const CTX: SuiteContext = {
  client: { baseUrl: "http://twin.invalid", apiKey: null, timeoutMs: 600_000, http: "native" },
  target: { models: [D.model.name], modelOverride: null, embedded: true, serverPid: null },
  quick: false,
  seed: 3,
  warmup: 0,
  clock: { now: () => 0, sleepUntil: () => Promise.resolve() },
  stop: never,
  abort: never,
  progress: () => ({ update() {}, finish() {} }),
  log: () => {},
};

function spec(
  name: string,
  load: WorkloadTestSpec["load"],
  extra: Partial<WorkloadTestSpec["workload"]> = {},
): WorkloadTestSpec {
  return {
    suite: "throughput",
    name,
    payload: { label: "p", model: D.model.name, messages: [], max_tokens: 64, stream: true },
    workload: {
      ...defaultWorkload(),
      isl: { kind: "constant", value: 512 },
      osl: { kind: "constant", value: 64 },
      ...extra,
    },
    load,
  };
}

Deno.test("predict: a closed loop keeps its lanes full; TPOT grows with them", async () => {
  const p = new Predictor(D, 600_000);
  const one = await p.test(
    CTX,
    spec("c1", { kind: "closed", requests: 16, concurrency: 1, warmup: 0 }),
  );
  const many = await p.test(
    CTX,
    spec("c16", { kind: "closed", requests: 64, concurrency: 16, warmup: 0 }),
  );
  assert.equal(one.metrics.successful_requests, 16);
  assert.equal(many.metrics.successful_requests, 64);
  assert.ok(
    many.metrics.tpot!.p50 > one.metrics.tpot!.p50,
    "a bigger batch decodes slower per token",
  );
  // One lane: requests follow each other, so the window is about 16 latencies.
  const w = one.metrics.window_s, e2e = one.metrics.latency!.mean;
  assert.ok(Math.abs(w - 16 * e2e) / w < 0.05, `window ${w} vs 16 × ${e2e}`);
  assert.equal(one.extra.predicted?.model, D.model.name);
});

Deno.test("predict: an open loop over a cap on in-flight requests queues them (queue delay, corrected latency)", async () => {
  const p = new Predictor(D, 600_000);
  const capped = await p.test(
    CTX,
    spec("cap", {
      kind: "open",
      rate: 50,
      duration_s: 4,
      requests: null,
      arrival: "constant",
      max_in_flight: 2,
      warmup: 0,
    }),
  );
  assert.ok(
    capped.metrics.queue_delay!.p99 > 0.1,
    `queue delay ${capped.metrics.queue_delay!.p99}`,
  );
  assert.equal(capped.extra.schedule_kept, false);
  assert.ok(capped.metrics.latency_corrected!.p99 > capped.metrics.latency!.p99);
  const free = await p.test(
    CTX,
    spec("free", {
      kind: "open",
      rate: 2,
      duration_s: 4,
      requests: null,
      arrival: "constant",
      max_in_flight: null,
      warmup: 0,
    }),
  );
  assert.equal(free.extra.schedule_kept, true);
  assert.equal(free.metrics.total_requests, 8);
});

Deno.test("predict: a session's turns re-send their history, which the prefix cache serves", async () => {
  const p = new Predictor(D, 600_000);
  const r = await p.test(
    CTX,
    spec("sessions", { kind: "closed", requests: 4, concurrency: 2, warmup: 0 }, {
      turns: 3,
      thinkTimeS: 0.5,
    }),
  );
  assert.equal(r.metrics.total_requests, 12);
  const turns = r.extra.workload!.per_turn!;
  assert.deepEqual(turns.map((t) => t.input_tokens_mean), [
    512,
    512 + 64 + 512,
    2 * (512 + 64) + 512,
  ]);
  assert.equal(turns[0].cached_tokens_mean, 0);
  assert.ok(turns[1].cached_tokens_mean! >= 496, "turn 2 finds turn 1's prompt cached");
  assert.ok(turns[2].cached_tokens_mean! >= turns[1].input_tokens_mean! - 16);
});

Deno.test("predict: images are prompt tokens by the model family's rule, charged to prefill", async () => {
  const p = new Predictor(D, 600_000);
  const load = { kind: "closed" as const, requests: 4, concurrency: 1, warmup: 0 };
  const text = await p.test(CTX, spec("text", load, { isl: { kind: "constant", value: 32 } }));
  const pics = await p.test(
    CTX,
    spec("pics", load, {
      isl: { kind: "constant", value: 32 },
      images: 2,
      imageSizes: [{ width: 1120, height: 1120 }],
    }),
  );
  // Qwen2-VL's rule (any model id not matched otherwise): 1120² → 40 × 40 blocks of 28 pixels.
  assert.equal(pics.extra.workload?.image_tokens?.per_request_mean, 2 * 1600);
  assert.ok(
    pics.metrics.ttft!.p50 > text.metrics.ttft!.p50 * 3,
    `TTFT ${text.metrics.ttft!.p50} → ${pics.metrics.ttft!.p50}`,
  );
});
