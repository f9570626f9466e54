import assert from "node:assert/strict";
import { buildWorkloadApart, checkTokenizerApart, promptTextsApart } from "../../workload/apart.ts";
import {
  buildWorkload,
  defaultWorkload,
  loadedTokenizer,
  type WorkloadSpec,
  workloadTokenizer,
} from "../../workload/workload.ts";
import { promptTexts } from "../../workload/inference_perf.ts";
import { loadTokenizer } from "../../workload/tokenizer.ts";
import { UsageError } from "../../util/errors.ts";
import type { PromptSpec } from "../../twin/inference_perf.ts";

/** The program's entry, whose workers answer build requests. */
const ENTRY = new URL("../../main.ts", import.meta.url).href;

const CTX = { count: 12, seed: 7, model: "gpt-4o", embedded: false };

function spec(over: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return { ...defaultWorkload(), isl: { kind: "constant", value: 96 }, ...over };
}

Deno.test("a workload whose tokenizer is a library's is built in a worker, as it is built here", async () => {
  const apart = await buildWorkloadApart(ENTRY, spec(), CTX);
  const here = await buildWorkload(spec(), CTX);
  assert.deepEqual(apart.items, here.items, "the same prompts for the same seed");
  assert.deepEqual(apart.info, here.info);
  assert.deepEqual(apart.tokenizer, { name: "o200k_base", exact: true });
  // The worker kept the tokenizer: it arrives by name, and loads here only when asked.
  assert.equal(loadedTokenizer(apart), null);
  assert.notEqual(loadedTokenizer(here), null);
  const tok = await workloadTokenizer(apart);
  assert.equal(loadedTokenizer(apart), tok);
  for (const it of apart.items) assert.equal(tok.count(it.turns[0]), it.turnTokens[0]);
});

Deno.test("a workload of words, or without the program's entry, is built in this thread", async () => {
  const words = await buildWorkloadApart(ENTRY, spec({ tokenizer: "words" }), CTX);
  assert.notEqual(loadedTokenizer(words), null);
  assert.equal(words.tokenizer.name, "words");
  const embedded = await buildWorkloadApart(ENTRY, spec(), { ...CTX, embedded: true });
  assert.notEqual(loadedTokenizer(embedded), null, "the embedded server counts words");
  const noEntry = await buildWorkloadApart(null, spec(), CTX);
  assert.equal(loadedTokenizer(noEntry)?.name, "o200k_base");
});

Deno.test("a build that fails in the worker fails here with the same class and message", async () => {
  const bad = spec({ sharedPrefix: 200 });
  const here = await buildWorkload(bad, CTX).then(() => null, (err) => err);
  assert.ok(here instanceof UsageError);
  await assert.rejects(
    () => buildWorkloadApart(ENTRY, bad, CTX),
    (err: unknown) => err instanceof UsageError && err.message === here.message,
  );
});

Deno.test("inference-perf prompt texts are made in a worker, the same as here", async () => {
  const prompt = (index: number, group: number, sharedLen: number, ownLen: number) => ({
    prompt: sharedLen + ownLen,
    output: 8,
    shared: sharedLen,
    group,
    index,
    ownLen,
    sharedLen,
    blockHashes: [],
  });
  const prompts: PromptSpec[] = [prompt(0, -1, 0, 40), prompt(1, 0, 30, 20), prompt(2, 0, 30, 25)];
  const choice = { spec: "auto", model: "gpt-4o-mini", embedded: false };
  const apart = await promptTextsApart(ENTRY, prompts, choice, 5);
  const tok = await loadTokenizer("o200k_base");
  assert.deepEqual(apart.texts, promptTexts(prompts, tok, 5));
  assert.equal(apart.tokenizer, "o200k_base");
  assert.match(apart.reason, /gpt-4o-mini/);
  assert.equal(tok.count(apart.texts[0]), 40);
});

Deno.test("a --tokenizer is checked in a worker: its name back, its errors as they are here", async () => {
  assert.deepEqual(await checkTokenizerApart(ENTRY, "o200k_base"), {
    name: "o200k_base",
    exact: true,
  });
  assert.deepEqual(await checkTokenizerApart(ENTRY, "words"), { name: "words", exact: true });
  await assert.rejects(
    () => checkTokenizerApart(ENTRY, "no-such-tokenizer"),
    (err: unknown) =>
      err instanceof UsageError && /not a tokenizer name or a path/.test(err.message),
  );
  await assert.rejects(
    () => checkTokenizerApart(ENTRY, "/nonexistent/tokenizer.json"),
    (err: unknown) => err instanceof UsageError && /does not exist/.test(err.message),
  );
});
