/**
 * The twin over HTTP against the twin in virtual time: the same requests, at the same send
 * times, through `serve` (real timers, real sockets) and through `twin/sim.ts`, agree on TTFT
 * and end-to-end latency. The server runs as a child process, so the client's work does not
 * share its event loop.
 */
import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { spawnServe } from "../e2e/_run.ts";
import { resolveDeployment } from "../../twin/deployment.ts";
import { type SimRequest, simulate } from "../../twin/sim.ts";
import { blockKeys } from "../../server/kv_cache.ts";
import { tokenIds } from "../../server/tokenizer.ts";
import { Prng } from "../../util/prng.ts";
import { ChatClient } from "../../net/client.ts";

const WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split(" ");

function words(rng: Prng, n: number): string {
  return Array.from({ length: n }, () => WORDS[rng.int(WORDS.length)]).join(" ");
}

interface Timed {
  sentMs: number;
  ttftMs: number;
  e2eMs: number;
}

/** Stream one completion through the tool's own client; times from the send. */
async function stream(
  client: ChatClient,
  prompt: string,
  maxTokens: number,
  t0: number,
): Promise<Timed> {
  const rec = await client.chat({ model: "m", prompt, max_tokens: maxTokens, stream: true });
  assert.equal(rec.outcome, "ok", rec.error ?? "");
  return { sentMs: rec.tSend * 1000 - t0, ttftMs: rec.ttft! * 1000, e2eMs: rec.e2e * 1000 };
}

openTest(
  "twin: over HTTP it agrees with the virtual-time twin within 5% (TTFT and E2E means)",
  async () => {
    const args = ["--model-config", "llama-2-7b-hf", "--max-model-len", "4096"];
    const server = await spawnServe(args);
    const client = new ChatClient({
      baseUrl: server.url,
      timeoutMs: 30_000,
      endpoint: "completions",
    });
    try {
      const rng = new Prng(11);
      // Four groups share a 400-word system prompt; each request adds its own 1400 words.
      const systems = Array.from({ length: 4 }, () => words(rng, 400));
      const prompts = Array.from({ length: 48 }, (_, i) => `${systems[i % 4]} ${words(rng, 1400)}`);
      const output = 96;
      // Warm the server's code paths (not its cache: these prompts share nothing with the rest).
      for (let i = 0; i < 3; i++) await stream(client, words(rng, 50), 8, performance.now());
      const t0 = performance.now();
      const gapMs = 125; // 8 requests/s, open loop
      const runs = prompts.map(async (p, i) => {
        const due = t0 + i * gapMs;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        return stream(client, p, output, t0);
      });
      const measured = await Promise.all(runs);
      // The same requests, at the send times they had, in virtual time.
      const d = resolveDeployment({
        model: "llama-2-7b-hf",
        gpu: "h100-sxm",
        tp: 1,
        maxModelLen: 4096,
      });
      const requests: SimRequest[] = prompts.map((p, i) => {
        const ids = tokenIds(p);
        return {
          atMs: measured[i].sentMs,
          prompt: ids.length,
          output,
          blockHashes: blockKeys(ids, 16),
        };
      });
      const predicted = simulate(d, requests);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const ttft = [
        mean(measured.map((m) => m.ttftMs)),
        mean(predicted.map((r) => r.ttft! * 1000)),
      ];
      const e2e = [mean(measured.map((m) => m.e2eMs)), mean(predicted.map((r) => r.e2e! * 1000))];
      const err = ([m, p]: number[]) => Math.abs(p - m) / m;
      assert.ok(predicted.every((r) => r.outcome === "ok"));
      assert.ok(
        err(ttft) < 0.05,
        `TTFT mean: HTTP ${ttft[0].toFixed(2)} ms, sim ${ttft[1].toFixed(2)} ms`,
      );
      assert.ok(
        err(e2e) < 0.05,
        `E2E mean: HTTP ${e2e[0].toFixed(2)} ms, sim ${e2e[1].toFixed(2)} ms`,
      );
      // The prefix cache is the twin's: later requests of a group hit their system prompt.
      assert.ok(predicted.slice(4).every((r) => r.cached >= 384), "shared blocks cached");
    } finally {
      client.close();
      await server.stop();
    }
  },
);
