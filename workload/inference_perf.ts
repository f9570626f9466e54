/**
 * The texts of an inference-perf config's prompts: exactly the generator's token counts in the
 * target's tokenizer; for `shared_prefix`, each group's system prompt, a space, and the
 * prompt's question, as inference-perf joins them (`twin/inference_perf.ts` has the generator).
 *
 * @module
 */

import { combine32 } from "../util/prng.ts";
import type { PromptSpec } from "../twin/inference_perf.ts";
import type { Tokenizer } from "./tokenizer.ts";
import { textOfTokens } from "./corpus.ts";

/** The prompts' texts, one per data-set entry, in the generator's order. */
export function promptTexts(
  prompts: readonly PromptSpec[],
  tok: Tokenizer,
  seed: number,
): string[] {
  const systems = new Map<number, string>();
  return prompts.map((p) => {
    if (p.group < 0) return textOfTokens(tok, p.ownLen, seed, combine32(0x1f1f, p.index)).text;
    let system = systems.get(p.group);
    if (system === undefined) {
      system = p.sharedLen > 0
        ? textOfTokens(tok, p.sharedLen, seed, combine32(0x5151, p.group)).text
        : "";
      systems.set(p.group, system);
    }
    const question =
      textOfTokens(tok, p.ownLen, seed, combine32(combine32(0x9191, p.group), p.index)).text;
    return system ? `${system} ${question}` : question;
  });
}
