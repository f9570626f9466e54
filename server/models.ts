/**
 * The model list served at `GET /v1/models`, with FakeAI's model ids.
 *
 * @module
 */

/** Model ids listed by the server (chat requests accept any model id, as FakeAI). */
export const MODEL_IDS: readonly string[] = [
  "meta-llama/Llama-3.1-8B-Instruct",
  "meta-llama/Llama-3.1-70B-Instruct",
  "openai/gpt-oss-120b",
  "openai/gpt-oss-20b",
  "deepseek-ai/DeepSeek-R1",
  "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
  "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
  "mistralai/Mistral-7B-Instruct-v0.3",
  "Qwen/Qwen2.5-7B-Instruct",
  "gpt-4o",
  "gpt-4o-mini",
  "gpt-3.5-turbo",
  "sentence-transformers/all-mpnet-base-v2",
];

const CREATED = 1_700_000_000;

function ownerOf(id: string): string {
  const slash = id.indexOf("/");
  return slash > 0 ? id.slice(0, slash) : "openai";
}

/** A `/v1/models` body listing `first` (a twin's model) ahead of FakeAI's ids. */
export function modelsBody(first?: string): string {
  const ids = first ? [first, ...MODEL_IDS.filter((id) => id !== first)] : MODEL_IDS;
  return JSON.stringify({
    object: "list",
    data: ids.map((id) => ({
      id,
      object: "model",
      created: CREATED,
      owned_by: ownerOf(id),
      root: id,
      parent: null,
    })),
  });
}

/** The `/v1/models` response body, serialised once. */
export const MODELS_BODY: string = modelsBody();
