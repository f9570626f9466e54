/**
 * How each generating endpoint frames its answer, streamed and not, as the OpenAI API does:
 *
 * - `chat` (`/v1/chat/completions`): `chat.completion.chunk` events, a role-only first chunk,
 *   a finish chunk, a usage-only chunk when `stream_options.include_usage`, then `[DONE]`;
 * - `completions` (`/v1/completions`): `text_completion` chunks with `choices[].text`, the
 *   same finish, usage and `[DONE]`;
 * - `responses` (`/v1/responses`): named events (`response.created`, …,
 *   `response.output_text.delta`, …, `response.completed` with the usage), no `[DONE]`;
 * - `messages` (`/v1/messages`, Anthropic's Messages API): `message_start` (input usage),
 *   `content_block_start`, `ping`, one `content_block_delta` per token, `content_block_stop`,
 *   `message_delta` (stop reason and output usage), `message_stop`; no `[DONE]`.
 *
 * Reasoning models (DeepSeek-R1 ids) spend the first quarter of their tokens reasoning:
 * `reasoning_content` deltas in chat, a `reasoning` output item in responses.
 *
 * @module
 */

import { combine32, Prng } from "../util/prng.ts";
import { generatePieces, pieceJson, piecesToText } from "./tokenizer.ts";

/** The generating endpoints. */
export type GenerateKind = "chat" | "completions" | "responses" | "messages";

/** What a framer needs to know about one answer. */
export interface FrameInput {
  /** Which endpoint. */
  kind: GenerateKind;
  /** Response id (`chatcmpl-…`, `cmpl-…`, `resp_…`). */
  id: string;
  /** Model id, echoed. */
  model: string;
  /** The server's `system_fingerprint`. */
  fingerprint: string;
  /** Output tokens per choice. */
  n: number;
  /** Choices (non-streaming chat and completions). */
  choices: number;
  /** Seed of the generated text. */
  textSeed: number;
  /** Prompt tokens. */
  promptTokens: number;
  /** Prompt tokens served from the prefix cache. */
  cachedTokens: number;
  /** Send a usage chunk before `[DONE]` (chat and completions). */
  includeUsage: boolean;
  /** Leading tokens that are reasoning. */
  reasoning: number;
  /**
   * Chat only: answer with a call of this function instead of text; its arguments,
   * `{"query": "…"}`, are the answer's tokens, streamed as argument deltas.
   */
  toolCall?: { name: string; id: string } | null;
}

/** The bytes of one answer: opening events, one event per token, closing events, or a body. */
export interface Framer {
  /** Events before the first token (may be empty). */
  open(stamp: string): string;
  /** The event of token `k` (0-based). */
  token(k: number, stamp: string): string;
  /** A broken event, for the malformed-chunk fault. */
  malformed(): string;
  /** Events after the last token, end marker included. */
  close(stamp: string): string;
  /** The non-streaming body. */
  json(): string;
}

/** Tokens of `n` that a reasoning model spends reasoning (none for other models). */
export function reasoningTokens(model: string, n: number): number {
  return /deepseek-r1|qwq/i.test(model) && n > 1 ? Math.max(1, Math.floor(n / 4)) : 0;
}

function usageChat(f: FrameInput, completion: number): string {
  const details = f.reasoning > 0 ? `{"reasoning_tokens":${f.reasoning * f.choices}}` : "null";
  return `{"prompt_tokens":${f.promptTokens},"completion_tokens":${completion},"total_tokens":${
    f.promptTokens + completion
  },"prompt_tokens_details":{"cached_tokens":${f.cachedTokens},"audio_tokens":0},"completion_tokens_details":${details}}`;
}

function usageResponses(f: FrameInput): string {
  return `{"input_tokens":${f.promptTokens},"input_tokens_details":{"cached_tokens":${f.cachedTokens}},"output_tokens":${f.n},"output_tokens_details":{"reasoning_tokens":${f.reasoning}},"total_tokens":${
    f.promptTokens + f.n
  }}`;
}

/** The framer of one answer. */
export function framer(f: FrameInput): Framer {
  return f.kind === "responses"
    ? responsesFramer(f)
    : f.kind === "messages"
    ? messagesFramer(f)
    : choiceFramer(f);
}

const END = "}\n\n";

/**
 * The pieces of a tool call's arguments: `{"query": "` with the first token, one token per
 * piece, `"}` with the last; joined they are the JSON arguments.
 */
export function toolArgPieces(f: FrameInput): string[] {
  const pieces = generatePieces(new Prng(combine32(f.textSeed, 0)), f.n);
  const out: string[] = [];
  for (let k = 0; k < f.n; k++) {
    // The piece as JSON string content (pieceJson is a JSON string literal of it).
    const w = pieceJson(pieces[k]).slice(1, -1);
    out.push((k === 0 ? '{"query": "' : "") + w + (k === f.n - 1 ? '"}' : ""));
  }
  return out;
}

function toolCallFramer(f: FrameInput): Framer {
  const call = f.toolCall!;
  const created = Math.floor(Date.now() / 1000);
  const head = `data: {"id":"${f.id}","object":"chat.completion.chunk","created":${created},` +
    `"model":${JSON.stringify(f.model)},"system_fingerprint":"${f.fingerprint}","choices":[`;
  let args: string[] | null = null;
  const all = () => (args ??= toolArgPieces(f));
  return {
    open: (stamp) =>
      head +
      `{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"${call.id}","type":"function","function":{"name":"${call.name}","arguments":""}}]},"finish_reason":null}]` +
      stamp + END,
    token: (k, stamp) =>
      head +
      `{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":${
        JSON.stringify(all()[k])
      }}}]},"finish_reason":null}]` + stamp + END,
    malformed: () => head + `{"index":0,"delta":{"tool_calls":[{"index":0,\n\n`,
    close: (stamp) =>
      head + `{"index":0,"delta":{},"finish_reason":"tool_calls"}]` + stamp + END +
      (f.includeUsage ? head + `],"usage":${usageChat(f, f.n)}` + stamp + END : "") +
      "data: [DONE]\n\n",
    json: () =>
      `{"id":"${f.id}","object":"chat.completion","created":${created},"model":${
        JSON.stringify(f.model)
      },"system_fingerprint":"${f.fingerprint}","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"${call.id}","type":"function","function":{"name":"${call.name}","arguments":${
        JSON.stringify(all().join(""))
      }}}]},"finish_reason":"tool_calls","logprobs":null}],"usage":${usageChat(f, f.n)}}`,
  };
}

function choiceFramer(f: FrameInput): Framer {
  if (f.kind === "chat" && f.toolCall) return toolCallFramer(f);
  const chat = f.kind === "chat";
  const created = Math.floor(Date.now() / 1000);
  const head = `data: {"id":"${f.id}","object":"${
    chat ? "chat.completion.chunk" : "text_completion"
  }","created":${created},"model":${
    JSON.stringify(f.model)
  },"system_fingerprint":"${f.fingerprint}","choices":[`;
  const tokenHead = chat ? head + `{"index":0,"delta":{"content":` : head + `{"index":0,"text":`;
  const reasonHead = head + `{"index":0,"delta":{"reasoning_content":`;
  const tokenTail = chat ? `},"finish_reason":null}]` : `,"logprobs":null,"finish_reason":null}]`;
  let pieces: Uint16Array | null = null;
  return {
    open: (stamp) =>
      chat
        ? head + `{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]` +
          stamp + END
        : "",
    token(k, stamp) {
      pieces ??= generatePieces(new Prng(combine32(f.textSeed, 0)), f.n);
      const h = k < f.reasoning ? reasonHead : tokenHead;
      const tail = k < f.reasoning ? `},"finish_reason":null}]` : tokenTail;
      return h + pieceJson(pieces[k]) + tail + stamp + END;
    },
    malformed: () => tokenHead + "\n\n",
    close: (stamp) =>
      head + (chat
        ? `{"index":0,"delta":{},"finish_reason":"length"}]`
        : `{"index":0,"text":"","logprobs":null,"finish_reason":"length"}]`) +
      stamp + END +
      (f.includeUsage ? head + `],"usage":${usageChat(f, f.n)}` + stamp + END : "") +
      "data: [DONE]\n\n",
    json() {
      let choices = "";
      for (let c = 0; c < f.choices; c++) {
        const ps = generatePieces(new Prng(combine32(f.textSeed, c)), f.n);
        const sep = c > 0 ? "," : "";
        if (chat) {
          const r = f.reasoning;
          const reasoning = r > 0
            ? `,"reasoning_content":${JSON.stringify(piecesToText(ps.subarray(0, r)))}`
            : "";
          choices += `${sep}{"index":${c},"message":{"role":"assistant","content":${
            JSON.stringify(piecesToText(ps.subarray(r)))
          }${reasoning}},"finish_reason":"length","logprobs":null}`;
        } else {
          choices += `${sep}{"index":${c},"text":${
            JSON.stringify(piecesToText(ps))
          },"logprobs":null,"finish_reason":"length"}`;
        }
      }
      return `{"id":"${f.id}","object":"${
        chat ? "chat.completion" : "text_completion"
      }","created":${Math.floor(Date.now() / 1000)},"model":${
        JSON.stringify(f.model)
      },"system_fingerprint":"${f.fingerprint}","choices":[${choices}],"usage":${
        usageChat(f, f.n * f.choices)
      }}`;
    },
  };
}

function responsesFramer(f: FrameInput): Framer {
  const created = Math.floor(Date.now() / 1000);
  const msgId = `msg_${f.id.slice(5)}`;
  const rsId = `rs_${f.id.slice(5)}`;
  const r = f.reasoning;
  let pieces: Uint16Array | null = null;
  const all = () => (pieces ??= generatePieces(new Prng(combine32(f.textSeed, 0)), f.n));
  let seq = 0;
  const ev = (type: string, rest: string, stamp = "") =>
    `event: ${type}\ndata: {"type":"${type}","sequence_number":${seq++},${rest}${stamp}${END}`;
  const response = (status: string, output: string, usage: string) =>
    `{"id":"${f.id}","object":"response","created_at":${created},"status":"${status}","model":${
      JSON.stringify(f.model)
    },"output":[${output}],"usage":${usage}}`;
  const reasoningItem = (status: string, text: string | null) =>
    `{"id":"${rsId}","type":"reasoning","status":"${status}","summary":[],"content":[${
      text === null ? "" : `{"type":"reasoning_text","text":${JSON.stringify(text)}}`
    }]}`;
  const messageItem = (status: string, text: string | null) =>
    `{"id":"${msgId}","type":"message","status":"${status}","role":"assistant","content":[${
      text === null ? "" : `{"type":"output_text","text":${JSON.stringify(text)},"annotations":[]}`
    }]}`;
  const outIndex = r > 0 ? 1 : 0;
  const texts = () => {
    const ps = all();
    return { reasoning: piecesToText(ps.subarray(0, r)), answer: piecesToText(ps.subarray(r)) };
  };
  const outputs = () => {
    const t = texts();
    return (r > 0 ? reasoningItem("completed", t.reasoning) + "," : "") +
      messageItem("completed", t.answer);
  };
  const openMessage = () =>
    ev(
      "response.output_item.added",
      `"output_index":${outIndex},"item":${messageItem("in_progress", null)}`,
    ) +
    ev(
      "response.content_part.added",
      `"item_id":"${msgId}","output_index":${outIndex},"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}`,
    );
  return {
    open(stamp) {
      const inProgress = response("in_progress", "", "null");
      return ev("response.created", `"response":${inProgress}`, stamp) +
        ev("response.in_progress", `"response":${inProgress}`, stamp) +
        (r > 0
          ? ev(
            "response.output_item.added",
            `"output_index":0,"item":${reasoningItem("in_progress", null)}`,
          )
          : openMessage());
    },
    token(k, stamp) {
      const piece = pieceJson(all()[k]);
      if (k < r) {
        return ev(
          "response.reasoning_text.delta",
          `"item_id":"${rsId}","output_index":0,"content_index":0,"delta":${piece}`,
          stamp,
        );
      }
      let pre = "";
      if (r > 0 && k === r) {
        pre = ev(
          "response.reasoning_text.done",
          `"item_id":"${rsId}","output_index":0,"content_index":0,"text":${
            JSON.stringify(texts().reasoning)
          }`,
        ) +
          ev(
            "response.output_item.done",
            `"output_index":0,"item":${reasoningItem("completed", texts().reasoning)}`,
          ) +
          openMessage();
      }
      return pre + ev(
        "response.output_text.delta",
        `"item_id":"${msgId}","output_index":${outIndex},"content_index":0,"delta":${piece}`,
        stamp,
      );
    },
    malformed: () => `event: response.output_text.delta\ndata: {"type":"response.output\n\n`,
    close(stamp) {
      const t = texts();
      return ev(
        "response.output_text.done",
        `"item_id":"${msgId}","output_index":${outIndex},"content_index":0,"text":${
          JSON.stringify(t.answer)
        }`,
      ) +
        ev(
          "response.content_part.done",
          `"item_id":"${msgId}","output_index":${outIndex},"content_index":0,"part":{"type":"output_text","text":${
            JSON.stringify(t.answer)
          },"annotations":[]}`,
        ) +
        ev(
          "response.output_item.done",
          `"output_index":${outIndex},"item":${messageItem("completed", t.answer)}`,
        ) +
        ev(
          "response.completed",
          `"response":${response("completed", outputs(), usageResponses(f))}`,
          stamp,
        );
    },
    json: () => response("completed", outputs(), usageResponses(f)),
  };
}

/**
 * Anthropic's usage object: `input_tokens` counts the prompt tokens not read from the cache,
 * `cache_read_input_tokens` those that were.
 */
function usageMessages(f: FrameInput, output: number): string {
  return `{"input_tokens":${
    f.promptTokens - f.cachedTokens
  },"cache_creation_input_tokens":0,"cache_read_input_tokens":${f.cachedTokens},"output_tokens":${output}}`;
}

function messagesFramer(f: FrameInput): Framer {
  let pieces: Uint16Array | null = null;
  const all = () => (pieces ??= generatePieces(new Prng(combine32(f.textSeed, 0)), f.n));
  const ev = (type: string, rest: string, stamp = "") =>
    `event: ${type}\ndata: {"type":"${type}"${rest}${stamp}${END}`;
  const message = (content: string, stop: string, usage: string) =>
    `{"id":"${f.id}","type":"message","role":"assistant","model":${
      JSON.stringify(f.model)
    },"content":[${content}],"stop_reason":${stop},"stop_sequence":null,"usage":${usage}}`;
  const deltaHead =
    `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":`;
  return {
    open: (stamp) =>
      ev("message_start", `,"message":${message("", "null", usageMessages(f, 0))}`, stamp) +
      ev("content_block_start", `,"index":0,"content_block":{"type":"text","text":""}`) +
      ev("ping", ""),
    token: (k, stamp) => deltaHead + pieceJson(all()[k]) + "}" + stamp + END,
    malformed: () => deltaHead + "\n\n",
    close: (stamp) =>
      ev("content_block_stop", `,"index":0`) +
      ev(
        "message_delta",
        `,"delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":${f.n}}`,
        stamp,
      ) +
      ev("message_stop", ""),
    json: () =>
      message(
        `{"type":"text","text":${JSON.stringify(piecesToText(all()))}}`,
        '"max_tokens"',
        usageMessages(f, f.n),
      ),
  };
}
