/**
 * `fakeai-bench serve`: run the embedded server in the foreground.
 *
 * @module
 */

import { addSecret } from "../util/redact.ts";
import { startServer } from "./mod.ts";
import { deploymentOf, engineConfig, replicasOf, type ServerOptions } from "./options.ts";
import { predictSaturation } from "../twin/engine.ts";
import { type Deployment, kvBlocks, stepBreakdown, weightBytesPerGpu } from "../twin/timing.ts";

const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM"];

/** Longest a stop waits for requests in flight before the server exits anyway (ms). */
export const SHUTDOWN_DEADLINE_MS = 5000;

/**
 * Start the server, print `Listening on http://HOST:PORT/` as the first line of
 * stdout, log nothing per request, and stop gracefully on SIGINT, SIGTERM or
 * the abort signal.
 *
 * @param opts server options.
 * @param signal optional abort signal that stops the server.
 * @returns the exit code, 0 after a clean stop.
 */
export async function serveCommand(opts: ServerOptions, signal?: AbortSignal): Promise<number> {
  for (const k of opts.apiKeys) addSecret(k);
  if (opts.explain) {
    console.log(explainText(opts));
    return 0;
  }
  const server = await startServer(opts);
  if (opts.profileNote) console.error(opts.profileNote);
  const host = opts.host.includes(":") && !opts.host.startsWith("[") ? `[${opts.host}]` : opts.host;
  const line = `Listening on http://${host}:${server.port}/\n`;
  await Deno.stdout.write(new TextEncoder().encode(line));
  // A stop asks the server to finish what it is serving; it exits at the deadline whatever its
  // clients do (a half-sent request, a stream nobody reads), or at once on a second signal.
  let stopping = false;
  let forced: () => void = () => {};
  const deadline = new Promise<void>((r) => forced = r);
  let deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    if (stopping) return forced();
    stopping = true;
    void server.shutdown();
    deadlineTimer = setTimeout(forced, SHUTDOWN_DEADLINE_MS);
  };
  // The embedded server's runner passes its PID: once it is gone (even by SIGKILL), so is this.
  const orphanWatch = opts.parentPid > 0
    ? setInterval(() => {
      if (Deno.ppid !== opts.parentPid) stop();
    }, 500)
    : undefined;
  const added: Deno.Signal[] = [];
  for (const sig of SIGNALS) {
    try {
      Deno.addSignalListener(sig, stop);
      added.push(sig);
    } catch {
      // signal not supported on this platform
    }
  }
  signal?.addEventListener("abort", stop, { once: true });
  if (signal?.aborted) stop();
  try {
    await Promise.race([server.finished, deadline]);
  } finally {
    clearTimeout(deadlineTimer);
    clearInterval(orphanWatch);
    for (const sig of added) Deno.removeSignalListener(sig, stop);
    signal?.removeEventListener("abort", stop);
  }
  return 0;
}

/** ISL/OSL pairs `serve --explain` states the saturation of. */
const EXPLAIN_SHAPES: readonly [number, number][] = [[128, 128], [512, 128], [1024, 256], [
  2048,
  64,
]];

/**
 * The engine model's own prediction, as `serve --explain` prints it: TPOT at batch 1 and at
 * `max-num-seqs`, and saturation throughput per replica and for all replicas at a few ISL/OSL.
 */
export function explainText(opts: ServerOptions): string {
  const replicas = replicasOf(opts);
  const c = engineConfig(opts);
  const plural = replicas === 1 ? "" : "s";
  const lines = opts.profile === "twin" ? twinLines(deploymentOf(opts), replicas) : [
    `engine model: max-num-seqs ${c.maxNumSeqs}, step = ${c.stepBaseMs} ms + ` +
    `${c.stepPerSeqMs} ms × sequences + ${c.stepPerPrefillTokenMs} ms × prefill tokens, ` +
    `budget ${c.maxBatchedTokens} tokens/step, ${c.numBlocks} KV blocks of ${c.blockSize} ` +
    `tokens per replica, ${replicas} replica${plural}` +
    (opts.profile === "engine" ? "" : " (not in use: --profile constant)"),
    `TPOT without prefill: ${(c.stepBaseMs + c.stepPerSeqMs).toFixed(2)} ms at batch 1, ` +
    `${(c.stepBaseMs + c.stepPerSeqMs * c.maxNumSeqs).toFixed(2)} ms at batch ${c.maxNumSeqs}`,
  ];
  for (const [isl, osl] of EXPLAIN_SHAPES) {
    const p = predictSaturation(c, isl, osl);
    lines.push(
      `saturation at ISL ${isl} / OSL ${osl}: ${p.outputTokensPerSecond.toFixed(0)} output ` +
        `tokens/s, ${p.requestsPerSecond.toFixed(2)} req/s per replica ` +
        `(${(p.outputTokensPerSecond * replicas).toFixed(0)} tokens/s, ` +
        `${(p.requestsPerSecond * replicas).toFixed(2)} req/s in all); TPOT ` +
        `${p.tpotMs.toFixed(2)} ms`,
    );
  }
  return lines.join("\n");
}

/** The twin's deployment in a few lines: what it is, its memory, its decode step. */
function twinLines(d: Deployment, replicas: number): string[] {
  const blocks = kvBlocks(d);
  const decode = (batch: number, context: number) =>
    stepBreakdown(d, {
      tokens: batch,
      seqs: batch,
      sampled: batch,
      prefillTokens: 0,
      attnWork: batch * (context + 1),
      kvTokens: batch * (context + 1),
    }).total * 1000;
  const c = d.coefficients;
  return [
    `twin: ${d.model.name} on ${d.tp} × ${d.gpu.title} under vLLM, ${replicas} ` +
    `replica${replicas === 1 ? "" : "s"}; max-num-seqs ${d.vllm.maxNumSeqs}, ` +
    `max-num-batched-tokens ${d.vllm.maxBatchedTokens}, max-model-len ${d.vllm.maxModelLen}`,
    `memory per GPU: weights ${(weightBytesPerGpu(d) / 1e9).toFixed(1)} GB, KV cache ` +
    `${blocks} blocks of ${d.vllm.blockSize} tokens (${blocks * d.vllm.blockSize} tokens)`,
    `decode step at context 1024: ${decode(1, 1024).toFixed(2)} ms at batch 1, ` +
    `${decode(d.vllm.maxNumSeqs, 1024).toFixed(2)} ms at batch ${d.vllm.maxNumSeqs}`,
    `coefficients: weights ${c.memEfficiency} and experts ${c.moeEfficiency} of peak ` +
    `bandwidth, attention ${c.attnEfficiency}, compute ${c.computeEfficiency}; ` +
    `${c.stepOverheadMs} ms a step, ${c.perSeqUs} µs a sequence, ${c.allReduceUs} µs an ` +
    `all-reduce, ${c.requestOverheadMs} ms a request`,
  ];
}
