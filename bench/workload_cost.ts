/**
 * What a workload costs the client: the time to build a prompt of exact length in each
 * tokenizer (done before the load, never inside a timed send), and the client's request rate
 * with a distinct prebuilt body per request against the same rate with one reused body,
 * measured side by side in alternating rounds.
 *
 * Run alone: `deno run -A bench/workload_cost.ts '{"url":"http://127.0.0.1:PORT"}'` prints
 * one JSON line (`seconds` and `rounds` optional).
 *
 * @module
 */

import { ChatClient, type RequestBody } from "../net/client.ts";
import { loadTokenizer, wordTokenizer } from "../workload/tokenizer.ts";
import { textOfTokens } from "../workload/corpus.ts";

/** Microseconds to build one prompt of `tokens` tokens, per tokenizer. */
export async function promptBuildCost(
  tokens = 1024,
  prompts = 40,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of ["words", "o200k_base", "cl100k_base", "llama3"]) {
    const tok = await loadTokenizer(name);
    textOfTokens(tok, tokens, 1, 0); // load and warm the tokenizer
    const t0 = performance.now();
    for (let i = 1; i <= prompts; i++) textOfTokens(tok, tokens, 1, i);
    out[name] = ((performance.now() - t0) * 1000) / prompts;
  }
  return out;
}

async function closedRate(
  url: string,
  bodies: (i: number) => RequestBody,
  seconds: number,
  concurrency: number,
): Promise<number> {
  const client = new ChatClient({ baseUrl: url, timeoutMs: 10_000 });
  let n = 0, i = 0;
  const end = performance.now() + seconds * 1000;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const r = await client.chat(bodies(i++));
          if (r.outcome === "ok") n++;
        }
      }),
    );
  } finally {
    client.close();
  }
  return n / seconds;
}

/**
 * Requests/s with one reused 512-token body against a distinct prebuilt 512-token body per
 * request (each serialised once, before its send), best of `rounds` alternating rounds.
 */
export async function bodyCost(
  url: string,
  seconds = 2,
  rounds = 3,
): Promise<{ fixed: number; distinct: number; ratio: number }> {
  const tok = wordTokenizer(true);
  const prompts = Array.from({ length: 2000 }, (_, k) => textOfTokens(tok, 512, 1, k).text);
  const body = (text: string): RequestBody => ({
    model: "m",
    messages: [{ role: "user", content: text }],
    max_tokens: 4,
    stream: false,
  });
  const fixedBody = body(prompts[0]);
  const distinct = prompts.map(body);
  let bestFixed = 0, bestDistinct = 0;
  for (let r = 0; r < rounds; r++) {
    bestFixed = Math.max(bestFixed, await closedRate(url, () => fixedBody, seconds, 50));
    bestDistinct = Math.max(
      bestDistinct,
      await closedRate(url, (i) => distinct[i % distinct.length], seconds, 50),
    );
  }
  return { fixed: bestFixed, distinct: bestDistinct, ratio: bestDistinct / bestFixed };
}

if (import.meta.main) {
  const spec = JSON.parse(Deno.args[0] ?? "{}") as {
    url?: string;
    seconds?: number;
    rounds?: number;
  };
  const build = await promptBuildCost();
  const bodies = spec.url ? await bodyCost(spec.url, spec.seconds ?? 2, spec.rounds ?? 3) : null;
  console.log(JSON.stringify({ build_us_per_1024_token_prompt: build, bodies }));
}
