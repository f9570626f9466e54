import assert from "node:assert/strict";
import { resolveDeployment } from "../../twin/deployment.ts";
import { type SimRequest, simulate, simulateStages } from "../../twin/sim.ts";

const D = resolveDeployment({ model: "llama-2-7b-hf", gpu: "h100-sxm", tp: 1 });

function burst(n: number, prompt: number, output: number, everyMs = 0): SimRequest[] {
  return Array.from(
    { length: n },
    (_, i) => ({ atMs: i * everyMs, prompt, output, blockHashes: null }),
  );
}

Deno.test("sim: one request's TTFT is the API overhead plus one prefill step; E2E adds a step per token", () => {
  const [r] = simulate(D, burst(1, 512, 64));
  assert.equal(r.outcome, "ok");
  assert.ok(r.ttft! * 1000 > D.coefficients.requestOverheadMs);
  const perToken = (r.e2e! - r.ttft!) / 63;
  assert.ok(perToken > 0.003 && perToken < 0.02, `decode ${perToken}`);
});

Deno.test("sim: latency grows with load; a client timeout ends requests the queue held too long", () => {
  const light = simulate(D, burst(20, 512, 128, 1000));
  const heavy = simulate(D, burst(200, 512, 128, 10));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(heavy.map((r) => r.e2e!)) > 1.5 * mean(light.map((r) => r.e2e!)));
  const timed = simulate(D, burst(2000, 1024, 1024, 1), { timeoutS: 20 });
  assert.ok(timed.some((r) => r.outcome === "timeout"));
  assert.ok(timed.every((r) => r.outcome !== "unfinished"));
});

Deno.test("sim: stages run one after another, the next after the last request of the one before and the interval", () => {
  const stages = [burst(5, 256, 32, 100), burst(5, 256, 32, 100)];
  const [a, b] = simulateStages(D, stages, { intervalMs: 1000 });
  // Send times stay relative to each stage's start.
  assert.deepEqual(b.map((r) => r.atMs), [0, 100, 200, 300, 400]);
  // The second stage meets an idle engine: its first request is as fast as the first stage's.
  assert.ok(Math.abs(b[0].ttft! - a[0].ttft!) < 0.002, `${a[0].ttft} ${b[0].ttft}`);
  // The same requests alone, overlapping, are slower than staged.
  const overlapped = simulate(D, [...stages[0], ...stages[1]]);
  assert.ok(overlapped[5].ttft! > b[0].ttft!);
});

Deno.test("sim: a request longer than max-model-len or the KV cache is rejected, not run", () => {
  const [r] = simulate(D, burst(1, 4000, 200));
  assert.equal(r.outcome, "rejected");
});
