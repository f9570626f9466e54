/**
 * The document model of the suite reports: blocks of text, lists, tables and notes, built
 * once from the typed results and rendered twice, to Markdown (the `*_results.md` files) and
 * to HTML (`report.html`). Neither renderer parses the other's output.
 *
 * @module
 */

import { mdTable, timestamp } from "./format.ts";
import { visible } from "../util/format.ts";
import { esc } from "./svg.ts";
import type { PredictedBy, TestExtra } from "../measure/result.ts";

/** A run of inline text: plain, bold, emphasised, code, or a line break. */
export type Span = string | { strong: string } | { em: string } | { code: string } | {
  br: true;
};

/** Inline text: one span or several in a row. */
export type Text = Span | readonly Span[];

/** One block of a report. */
export type Block =
  | {
    /** A heading. */
    kind: "heading";
    /** 1 for the report's title, 2 for its sections… */
    level: number;
    /** The heading's text. */
    text: Text;
  }
  | {
    /** A paragraph. */
    kind: "paragraph";
    /** Its text. */
    text: Text;
  }
  | {
    /** A bullet list, with an optional title line right above it. */
    kind: "list";
    /** A title on its own line just before the items (`**Latency Statistics:**`). */
    title?: Text;
    /** The items. */
    items: readonly Text[];
  }
  | {
    /** A table. */
    kind: "table";
    /** Header cells. */
    head: readonly string[];
    /** Body rows of inline text. */
    rows: readonly (readonly Text[])[];
  }
  | {
    /** A note set apart (a block quote in Markdown). */
    kind: "note";
    /** Its text. */
    text: Text;
  };

/** A heading block. */
export function heading(level: number, text: Text): Block {
  return { kind: "heading", level, text };
}

/** A paragraph block. */
export function para(text: Text): Block {
  return { kind: "paragraph", text };
}

/** A list block, optionally with a title line above the items. */
export function list(items: readonly Text[], title?: Text): Block {
  return title === undefined ? { kind: "list", items } : { kind: "list", title, items };
}

/** A table block. */
export function table(head: readonly string[], rows: readonly (readonly Text[])[]): Block {
  return { kind: "table", head, rows };
}

/** A note block. */
export function note(text: Text): Block {
  return { kind: "note", text };
}

/**
 * The opening of every suite report: its title, the timestamp and, if so, that the results
 * were predicted by the engine twin or that the suite was interrupted.
 */
export function reportTitle(
  title: string,
  suite: { interrupted: boolean; tests: readonly { extra: TestExtra }[] },
  now: Date,
): Block[] {
  const twin = suite.tests.find((t) => t.extra.predicted)?.extra.predicted;
  return [
    heading(1, title),
    para(field("Timestamp", timestamp(now))),
    ...(twin ? [note(predictedNote(twin))] : []),
    ...(suite.interrupted
      ? [note([{ strong: "Interrupted:" }, " results cover only what completed."])]
      : []),
  ];
}

/** What a predicted report says at its top: which twin predicted it, and that it was not measured. */
export function predictedNote(twin: PredictedBy): Span[] {
  return [
    { strong: "Predicted:" },
    ` by the engine twin, ${twin.model} on ${twin.tp} × ${twin.gpu} under vLLM; not measured.`,
  ];
}

/** A `**Label:** value` list item. */
export function field(label: string, value: Text): Span[] {
  return [{ strong: `${label}:` }, " ", ...spans(value)];
}

function spans(t: Text): readonly Span[] {
  return typeof t === "string" || !Array.isArray(t) ? [t as Span] : t;
}

/**
 * Text for Markdown: a `<` is escaped, so a server's string (a model id, an error message)
 * can never become live HTML where the Markdown is rendered; control characters (a line
 * break that would start a heading, an escape sequence) are made visible.
 */
export function mdEscape(text: string): string {
  return visible(text).replace(/(?<!\\)</g, "\\<");
}

/** A code span that holds any text: its fence is longer than any backtick run inside. */
function mdCode(raw: string): string {
  const text = visible(raw);
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

function mdSpan(s: Span): string {
  if (typeof s === "string") return mdEscape(s);
  if ("strong" in s) return `**${mdEscape(s.strong)}**`;
  if ("em" in s) return `_${mdEscape(s.em)}_`;
  if ("br" in s) return "  \n";
  return mdCode(s.code);
}

/** Inline text as Markdown. */
export function mdText(t: Text): string {
  return spans(t).map(mdSpan).join("");
}

function mdBlock(b: Block): string {
  switch (b.kind) {
    case "heading":
      return `${"#".repeat(b.level)} ${mdText(b.text)}`;
    case "paragraph":
      return mdText(b.text);
    case "list":
      return [
        ...(b.title === undefined ? [] : [mdText(b.title)]),
        ...b.items.map((i) => `- ${mdText(i)}`),
      ].join("\n");
    case "table":
      return mdTable([...b.head], b.rows.map((r) => r.map(mdText)));
    case "note":
      return `> ${mdText(b.text)}`;
  }
}

/** A report as Markdown: blocks separated by a blank line, ending in a newline. */
export function toMarkdown(blocks: readonly Block[]): string {
  return blocks.map(mdBlock).join("\n\n") + "\n";
}

function htmlSpan(s: Span): string {
  if (typeof s === "string") return esc(s);
  if ("strong" in s) return `<strong>${esc(s.strong)}</strong>`;
  if ("em" in s) return `<em>${esc(s.em)}</em>`;
  if ("br" in s) return "<br>";
  return `<code>${esc(s.code)}</code>`;
}

/** Inline text as HTML, every string escaped. */
export function htmlText(t: Text): string {
  return spans(t).map(htmlSpan).join("");
}

function htmlBlock(b: Block, shift: number): string {
  switch (b.kind) {
    case "heading": {
      const level = Math.min(6, b.level + shift);
      return `<h${level}>${htmlText(b.text)}</h${level}>`;
    }
    case "paragraph":
      return `<p>${htmlText(b.text)}</p>`;
    case "list":
      return (b.title === undefined ? "" : `<p>${htmlText(b.title)}</p>`) +
        `<ul>${b.items.map((i) => `<li>${htmlText(i)}</li>`).join("")}</ul>`;
    case "table":
      return `<div class="table-wrap"><table><thead><tr>${
        b.head.map((h) => `<th>${esc(h)}</th>`).join("")
      }</tr></thead><tbody>${
        b.rows.map((r) => `<tr>${r.map((c) => `<td>${htmlText(c)}</td>`).join("")}</tr>`).join("")
      }</tbody></table></div>`;
    case "note":
      return `<blockquote>${htmlText(b.text)}</blockquote>`;
  }
}

/**
 * A report as HTML: headings moved down by `shift` levels (so a report's title sits under
 * the page's own headings), every string escaped.
 */
export function toHtml(blocks: readonly Block[], shift = 1): string {
  return blocks.map((b) => htmlBlock(b, shift)).join("\n");
}
