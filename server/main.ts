/**
 * `fakeai-bench serve`: run the embedded server in the foreground.
 *
 * @module
 */

import { startServer } from "./mod.ts";
import { engineConfig, type ServerOptions } from "./options.ts";
import { predictSaturation } from "../twin/engine.ts";

const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM"];

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
  if (opts.explain) {
    console.log(explainText(opts));
    return 0;
  }
  const server = await startServer(opts);
  if (opts.profileNote) console.error(opts.profileNote);
  const host = opts.host.includes(":") && !opts.host.startsWith("[") ? `[${opts.host}]` : opts.host;
  const line = `Listening on http://${host}:${server.port}/\n`;
  await Deno.stdout.write(new TextEncoder().encode(line));
  const stop = () => {
    void server.shutdown();
  };
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
    await server.finished;
  } finally {
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
  const c = engineConfig(opts);
  const tpot1 = c.stepBaseMs + c.stepPerSeqMs;
  const tpotFull = c.stepBaseMs + c.stepPerSeqMs * c.maxNumSeqs;
  const lines = [
    `engine model: max-num-seqs ${c.maxNumSeqs}, step = ${c.stepBaseMs} ms + ` +
    `${c.stepPerSeqMs} ms × sequences + ${c.stepPerPrefillTokenMs} ms × prefill tokens, ` +
    `budget ${c.maxBatchedTokens} tokens/step, ${c.numBlocks} KV blocks of ${c.blockSize} ` +
    `tokens per replica, ${opts.workers} replica${opts.workers === 1 ? "" : "s"}` +
    (opts.profile === "engine" ? "" : " (not in use: --profile constant)"),
    `TPOT without prefill: ${tpot1.toFixed(2)} ms at batch 1, ${tpotFull.toFixed(2)} ms at ` +
    `batch ${c.maxNumSeqs}`,
  ];
  for (const [isl, osl] of EXPLAIN_SHAPES) {
    const p = predictSaturation(c, isl, osl);
    lines.push(
      `saturation at ISL ${isl} / OSL ${osl}: ${p.outputTokensPerSecond.toFixed(0)} output ` +
        `tokens/s, ${p.requestsPerSecond.toFixed(2)} req/s per replica ` +
        `(${(p.outputTokensPerSecond * opts.workers).toFixed(0)} tokens/s, ` +
        `${(p.requestsPerSecond * opts.workers).toFixed(2)} req/s in all); TPOT ` +
        `${p.tpotMs.toFixed(2)} ms`,
    );
  }
  return lines.join("\n");
}
