/**
 * A model from its Hugging Face `config.json`: the numbers the engine twin's step time needs —
 * weight bytes, KV-cache bytes per token, FLOPs per token of the linear layers and of attention,
 * and, for a mixture of experts, how many experts a step reads.
 *
 * Dense models (`LlamaForCausalLM`, `MistralForCausalLM`, `Qwen2ForCausalLM`…) and mixtures of
 * experts (`MixtralForCausalLM`, `num_local_experts` / `num_experts_per_tok`) are read from the
 * same keys; a gated MLP (three matrices: gate, up, down) is assumed, as every one of those
 * families has.
 *
 * @module
 */

/** The keys of a `config.json` the twin reads. */
export interface ModelConfig {
  /** Width of the residual stream. */
  hidden_size: number;
  /** Width of each MLP (of each expert, for a mixture). */
  intermediate_size: number;
  /** Decoder layers. */
  num_hidden_layers: number;
  /** Query heads. */
  num_attention_heads: number;
  /** Key/value heads (grouped-query attention); default: one per query head. */
  num_key_value_heads?: number;
  /** Width of a head; default hidden_size / num_attention_heads. */
  head_dim?: number;
  /** Vocabulary. */
  vocab_size: number;
  /** Longest context the model was trained for. */
  max_position_embeddings?: number;
  /** Experts per MoE layer (absent or 0: dense). */
  num_local_experts?: number;
  /** Experts each token is routed to. */
  num_experts_per_tok?: number;
  /** Weight type (`float16`, `bfloat16`, `float32`). */
  torch_dtype?: string;
  /** True when the output projection is the embedding matrix. */
  tie_word_embeddings?: boolean;
  /** Architecture names (informational). */
  architectures?: string[];
}

/** A model's numbers, derived once from its config. */
export interface ModelSpec {
  /** Its name (the config's source, or a built-in name). */
  name: string;
  /** The config it came from. */
  config: ModelConfig;
  /** Bytes per weight and per cached K or V element. */
  dtypeBytes: number;
  /** Decoder layers. */
  layers: number;
  /** Residual width. */
  hidden: number;
  /** Query heads. */
  heads: number;
  /** Key/value heads. */
  kvHeads: number;
  /** Head width. */
  headDim: number;
  /** Vocabulary. */
  vocab: number;
  /** Experts per layer (1 for a dense model). */
  experts: number;
  /** Experts per token (1 for a dense model). */
  expertsPerToken: number;
  /** Parameters of one layer's attention projections (Q, K, V, O). */
  attnParamsPerLayer: number;
  /** Parameters of one expert's MLP (the dense MLP for a dense model). */
  expertParams: number;
  /** Router parameters of one layer (0 for a dense model). */
  routerParamsPerLayer: number;
  /** Embedding parameters. */
  embeddingParams: number;
  /** Output projection parameters (0 when tied to the embedding). */
  lmHeadParams: number;
  /** Every parameter. */
  totalParams: number;
  /** Parameters one token passes through in the layers (attention + its experts' MLPs). */
  activeLayerParams: number;
  /** KV-cache bytes of one token, all layers, all KV heads. */
  kvBytesPerToken: number;
  /** Longest context. */
  maxPositions: number;
}

const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  fp8: 1,
  float8_e4m3fn: 1,
};

/** Check a parsed `config.json` and derive the model's numbers. Throws `Error` naming the key. */
export function modelSpec(config: ModelConfig, name = "model"): ModelSpec {
  const need = (k: keyof ModelConfig) => {
    const v = config[k];
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw new Error(`${name}: config.json needs a positive number for ${k}`);
    }
    return v;
  };
  const hidden = need("hidden_size");
  const inter = need("intermediate_size");
  const layers = need("num_hidden_layers");
  const heads = need("num_attention_heads");
  const vocab = need("vocab_size");
  const kvHeads = config.num_key_value_heads ?? heads;
  const headDim = config.head_dim ?? hidden / heads;
  const experts = Math.max(1, config.num_local_experts ?? 1);
  const expertsPerToken = experts > 1 ? Math.max(1, config.num_experts_per_tok ?? 2) : 1;
  const dtype = (config.torch_dtype ?? "bfloat16").toLowerCase();
  const dtypeBytes = DTYPE_BYTES[dtype];
  if (dtypeBytes === undefined) throw new Error(`${name}: unknown torch_dtype ${dtype}`);
  // Q and O are hidden × heads·headDim; K and V hidden × kvHeads·headDim.
  const attnParamsPerLayer = hidden * headDim * (2 * heads + 2 * kvHeads);
  // A gated MLP: gate and up (hidden → inter), down (inter → hidden).
  const expertParams = 3 * hidden * inter;
  const routerParamsPerLayer = experts > 1 ? hidden * experts : 0;
  const embeddingParams = vocab * hidden;
  const lmHeadParams = config.tie_word_embeddings ? 0 : vocab * hidden;
  const perLayer = attnParamsPerLayer + experts * expertParams + routerParamsPerLayer;
  return {
    name,
    config,
    dtypeBytes,
    layers,
    hidden,
    heads,
    kvHeads,
    headDim,
    vocab,
    experts,
    expertsPerToken,
    attnParamsPerLayer,
    expertParams,
    routerParamsPerLayer,
    embeddingParams,
    lmHeadParams,
    totalParams: layers * perLayer + embeddingParams + lmHeadParams,
    activeLayerParams: attnParamsPerLayer + expertsPerToken * expertParams + routerParamsPerLayer,
    kvBytesPerToken: 2 * layers * kvHeads * headDim * dtypeBytes,
    maxPositions: config.max_position_embeddings ?? 4096,
  };
}

/**
 * Models the twin knows by name, as their public `config.json` files state them (Hugging Face
 * model cards of each repository).
 */
export const BUILTIN_MODELS: Readonly<Record<string, ModelConfig>> = {
  // meta-llama/Llama-3.1-8B-Instruct config.json
  "meta-llama/Llama-3.1-8B-Instruct": {
    architectures: ["LlamaForCausalLM"],
    hidden_size: 4096,
    intermediate_size: 14336,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: 8,
    vocab_size: 128256,
    max_position_embeddings: 131072,
    torch_dtype: "bfloat16",
    tie_word_embeddings: false,
  },
  // meta-llama/Llama-3.1-70B-Instruct config.json
  "meta-llama/Llama-3.1-70B-Instruct": {
    architectures: ["LlamaForCausalLM"],
    hidden_size: 8192,
    intermediate_size: 28672,
    num_hidden_layers: 80,
    num_attention_heads: 64,
    num_key_value_heads: 8,
    vocab_size: 128256,
    max_position_embeddings: 131072,
    torch_dtype: "bfloat16",
    tie_word_embeddings: false,
  },
  // meta-llama/Llama-2-7b-hf config.json
  "meta-llama/Llama-2-7b-hf": {
    architectures: ["LlamaForCausalLM"],
    hidden_size: 4096,
    intermediate_size: 11008,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: 32,
    vocab_size: 32000,
    max_position_embeddings: 4096,
    torch_dtype: "float16",
    tie_word_embeddings: false,
  },
  // meta-llama/Llama-2-70b-hf config.json
  "meta-llama/Llama-2-70b-hf": {
    architectures: ["LlamaForCausalLM"],
    hidden_size: 8192,
    intermediate_size: 28672,
    num_hidden_layers: 80,
    num_attention_heads: 64,
    num_key_value_heads: 8,
    vocab_size: 32000,
    max_position_embeddings: 4096,
    torch_dtype: "float16",
    tie_word_embeddings: false,
  },
  // mistralai/Mixtral-8x7B-v0.1 config.json
  "mistralai/Mixtral-8x7B-v0.1": {
    architectures: ["MixtralForCausalLM"],
    hidden_size: 4096,
    intermediate_size: 14336,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: 8,
    vocab_size: 32000,
    max_position_embeddings: 32768,
    num_local_experts: 8,
    num_experts_per_tok: 2,
    torch_dtype: "bfloat16",
    tie_word_embeddings: false,
  },
  // Qwen/Qwen2.5-7B-Instruct config.json
  "Qwen/Qwen2.5-7B-Instruct": {
    architectures: ["Qwen2ForCausalLM"],
    hidden_size: 3584,
    intermediate_size: 18944,
    num_hidden_layers: 28,
    num_attention_heads: 28,
    num_key_value_heads: 4,
    vocab_size: 152064,
    max_position_embeddings: 32768,
    torch_dtype: "bfloat16",
    tie_word_embeddings: false,
  },
  // mistralai/Mistral-7B-Instruct-v0.3 config.json
  "mistralai/Mistral-7B-Instruct-v0.3": {
    architectures: ["MistralForCausalLM"],
    hidden_size: 4096,
    intermediate_size: 14336,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: 8,
    vocab_size: 32768,
    max_position_embeddings: 32768,
    torch_dtype: "bfloat16",
    tie_word_embeddings: false,
  },
};

/** The default model of the embedded server's twin. */
export const DEFAULT_MODEL = "meta-llama/Llama-3.1-8B-Instruct";

/** A built-in model by name (case-insensitive, with or without its organisation), or undefined. */
export function builtinModel(name: string): { name: string; config: ModelConfig } | undefined {
  const key = name.trim().toLowerCase();
  for (const [n, config] of Object.entries(BUILTIN_MODELS)) {
    const l = n.toLowerCase();
    if (l === key || l.slice(l.indexOf("/") + 1) === key) return { name: n, config };
  }
  return undefined;
}
