/**
 * Number formatting shared by every report: seconds shown as milliseconds with 2 decimals,
 * percentages, signed changes, counts.
 *
 * @module
 */

import { markdownTable } from "markdown-table";
import { fixed, visible } from "../util/format.ts";

export { fixed };

/** Seconds → `123.45ms`. */
export function ms(seconds: number): string {
  // A time that was not measured (no successful sample) has no number.
  return Number.isFinite(seconds) ? `${(seconds * 1000).toFixed(2)}ms` : "—";
}

/** A percentage with `digits` decimals: `80.00%`. */
export function pct(x: number, digits = 2): string {
  return `${fixed(x, digits)}%`;
}

/** A signed number: `+1.23` / `-0.50`. */
export function signed(x: number, digits = 2): string {
  return `${x >= 0 ? "+" : ""}${fixed(x, digits)}`;
}

/** A Markdown table, aligned for reading as plain text too. */
export function mdTable(header: string[], rows: string[][]): string {
  return markdownTable([header, ...rows.map((r) => r.map(mdCell))]);
}

/** Escape a value for a Markdown table cell. */
export function mdCell(text: string): string {
  // A `<` already escaped (by the block renderer) is not escaped twice.
  return visible(text.replace(/[\r\n]+/g, " ")).replaceAll("|", "\\|").replace(/(?<!\\)</g, "\\<");
}

/** Local timestamp `YYYY-MM-DD HH:MM:SS`, as the original reports print it. */
export function timestamp(d: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The metric-name mapping every report prints. */
export const NAMING_NOTE =
  "TPOT here = AIPerf ITL; ITL here = AIPerf inter-chunk latency. TTFT is taken at the first " +
  "event carrying a generated token; latencies are from the moment each request was sent; " +
  "failed requests never enter latency statistics.";

/**
 * What a run's server was, for a report's header: its URL, and for the embedded server what it
 * served (the twin's deployment, or its profile).
 */
export function serverLabel(run: {
  server: { base_url: string; embedded: boolean };
  plan?: Record<string, unknown>;
}): string {
  if (!run.server.embedded) return run.server.base_url;
  const embedded = (run.plan as
    | { embedded?: { profile?: string; twin?: Record<string, unknown> | null } }
    | undefined)
    ?.embedded;
  const twin = embedded?.twin;
  const what = twin
    ? `embedded twin: ${twin.model} on ${twin.tp} × ${twin.gpu} under vLLM`
    : embedded?.profile
    ? `embedded, ${embedded.profile} profile`
    : "embedded";
  return `${run.server.base_url} (${what})`;
}
