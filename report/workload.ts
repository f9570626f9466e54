/**
 * A workload test in the reports: the workload as run (tokenizer, lengths, dataset, trace),
 * requested against delivered lengths (the template overhead, early stops), TTFO and
 * reasoning, per-turn TTFT of sessions, and inputs/s of embeddings.
 *
 * @module
 */

import type { WorkloadStats } from "../measure/workload_stats.ts";
import type { TestResult } from "../measure/result.ts";
import { type Block, list, table, type Text } from "./doc.ts";
import { fixed, ms } from "./format.ts";

const num = (v: number | null, digits = 1) => (v === null ? "—" : fixed(v, digits));

/**
 * Whether a workload's endpoint generates tokens (not embeddings, rerank or score); older runs
 * carry no `tokenless`, and their only such endpoint was embeddings.
 */
export function generatesTokens(w: { endpoint: string; tokenless?: boolean }): boolean {
  return !(w.tokenless ?? w.endpoint === "embeddings");
}
/** The lines describing a workload and its lengths. */
export function workloadItems(w: WorkloadStats): Text[] {
  const items: Text[] = [];
  items.push([
    "Endpoint: ",
    { code: w.endpoint === "chat" ? "/v1/chat/completions" : `/v1/${w.endpoint}` },
    `; ${w.kind} workload`,
  ]);
  const counted = w.input.server_mean ?? w.input.server_metrics_mean ?? null;
  items.push([
    "Tokenizer: ",
    { code: w.tokenizer },
    w.tokenizer_exact
      ? ` (${w.tokenizer_reason})`
      : ` — lengths exact in ${w.tokenizer} only: ${w.tokenizer_reason}` +
        (counted !== null ? `; the server counted ${num(counted)} per prompt` : ""),
  ]);
  if (w.dataset) {
    const skipped = Object.entries(w.dataset.skipped).map(([k, v]) => `${v} ${k}`).join(", ");
    items.push(
      `Dataset: ${w.dataset.name} (${w.dataset.format}), ${w.dataset.used} of ` +
        `${w.dataset.available} entries used` + (skipped ? `; skipped: ${skipped}` : "") +
        (w.dataset.reused ? "; entries reused" : ""),
    );
  }
  if (w.trace) {
    items.push(
      `Trace: ${w.trace.file}, ${w.trace.requests} of ${w.trace.requests_in_file} requests at ` +
        `${w.trace.speed}× speed over ${fixed(w.trace.duration_s, 1)} s, ` +
        `${w.trace.blocks} distinct shared blocks`,
    );
  }
  const i = w.input;
  items.push(
    `Input tokens: requested ${w.isl ?? "from the file"} → built mean ${num(i.requested_mean)}` +
      ` (sd ${num(i.requested_stddev)}, ${num(i.requested_min, 0)}–${num(i.requested_max, 0)})` +
      (i.server_mean === null
        ? i.server_metrics_mean !== null && i.server_metrics_mean !== undefined
          ? `; the server reported no prompt_tokens, its own counters ${
            num(i.server_metrics_mean)
          } per request`
          : "; the server reported no prompt_tokens"
        : `; server-counted mean ${num(i.server_mean)}, template overhead ` +
          `${num(i.overhead_mean)} (${num(i.overhead_min, 0)}…${num(i.overhead_max, 0)}) tokens`) +
      (i.cached_mean !== null && i.cached_mean > 0
        ? `; served from the prefix cache: mean ${num(i.cached_mean)}`
        : "") +
      (i.missing > 0 && i.server_mean !== null
        ? `; ${i.missing} answers without prompt_tokens`
        : ""),
  );
  if (generatesTokens(w)) {
    const o = w.output;
    items.push(
      `Output tokens: requested ${w.osl ?? "from the file"} (mean ${num(o.requested_mean)}, ` +
        `sd ${num(o.requested_stddev)}), delivered mean ${num(o.delivered_mean)} ` +
        `(sd ${num(o.delivered_stddev)}), enforced by ${w.osl_enforced_by}` +
        (o.short > 0 ? ` — ${o.short} answers stopped early` : "; none stopped early"),
    );
  }
  if (w.shared_prefix > 0) items.push(`Shared prefix: ${w.shared_prefix} tokens`);
  if (w.ttfo && w.reasoning_tokens_mean !== null) {
    items.push(
      `Time to first answer token (reasoning excluded) p50 / p99: ${ms(w.ttfo.p50)} / ` +
        `${ms(w.ttfo.p99)}; reasoning tokens per answer: mean ${num(w.reasoning_tokens_mean)}`,
    );
  }
  if (w.sessions) {
    items.push(
      `Sessions: ${w.sessions.completed} of ${w.sessions.started} completed, ${w.turns} turns, ` +
        `think time ${w.think_time_s} s; duration p50 ${fixed(w.sessions.duration.p50, 2)} s`,
    );
  }
  if (w.embeddings) {
    items.push(
      `Embeddings: ${w.batch} input(s) per request, ${fixed(w.embeddings.inputs_per_second, 1)} ` +
        `inputs/s, ${fixed(w.embeddings.input_tokens_per_second, 0)} input tokens/s`,
    );
  }
  if (w.images) {
    const im = w.images;
    const how = [
      im.source && im.source !== "generated" ? `from the ${im.source}` : "",
      im.transport === "url"
        ? `sent as loopback URLs, ${im.fetched ?? 0} fetched by the server`
        : "sent as data URLs",
      im.by_reference ? `${im.by_reference} by the dataset's own URLs` : "",
    ].filter((x) => x !== "").join(", ");
    items.push(
      `Images: ${fixed(im.per_request, im.per_request % 1 === 0 ? 0 : 2)} per request (` +
        `${im.sizes.join(", ")} ${im.format}, ` +
        `${fixed(im.bytes_per_request_mean / 1024, 1)} KiB per request, ${im.distinct} distinct; ` +
        `${how})` +
        (w.image_tokens
          ? `; prompt tokens beyond the text: mean ${num(w.image_tokens.per_request_mean)}, ` +
            `${fixed(w.image_tokens.share_of_prompt * 100, 1)}% of the server's prompt tokens`
          : ""),
    );
  }
  if (w.tool_calls) {
    const t = w.tool_calls;
    items.push(
      `Tool calls: ${w.tools?.count ?? "?"} tools offered (tool_choice ${
        w.tools?.choice ?? "?"
      }); ` +
        `${t.with_calls} of ${t.requests} answers called a tool ` +
        `(${fixed(t.share * 100, 1)}%), arguments valid JSON in ` +
        `${fixed(t.args_valid_share * 100, 1)}%; first tool-call delta p50 / p99 ` +
        `${ms(t.first_delta.p50)} / ${ms(t.first_delta.p99)}, complete call p50 / p99 ` +
        `${ms(t.complete.p50)} / ${ms(t.complete.p99)}`,
    );
  }
  if (w.ranking) {
    items.push(
      `Ranking: ${w.batch} document(s) per query, ${fixed(w.ranking.queries_per_second, 1)} ` +
        `queries/s, ${fixed(w.ranking.documents_per_second, 1)} documents/s, ` +
        `${fixed(w.ranking.input_tokens_per_second, 0)} input tokens/s`,
    );
  }
  return items;
}

/** The workload list (and per-turn table) of a test's section, or nothing. */
export function workloadBlocks(t: TestResult): Block[] {
  const w = t.extra.workload;
  if (!w) return [];
  const out: Block[] = [list(workloadItems(w), { strong: "Workload:" })];
  if (w.per_turn && w.per_turn.length > 0) {
    out.push(
      table(
        ["Turn", "Requests", "TTFT p50", "TTFT p99", "Prompt tokens (mean)", "Cached (mean)"],
        w.per_turn.map((p) => [
          String(p.turn),
          String(p.requests),
          p.ttft.count > 0 ? ms(p.ttft.p50) : "—",
          p.ttft.count > 0 ? ms(p.ttft.p99) : "—",
          num(p.input_tokens_mean),
          num(p.cached_tokens_mean),
        ]),
      ),
    );
  }
  return out;
}
