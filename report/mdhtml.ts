/**
 * Markdown → HTML for the subset the reports write: headings, pipe tables, bullet lists,
 * block quotes, paragraphs, `**bold**`, `_emphasis_`, `` `code` `` and links. Every piece of
 * text is HTML-escaped before any markup is added, so no input can inject markup. Image
 * lines are dropped (the HTML report draws the charts inline).
 *
 * @module
 */

import { esc } from "./svg.ts";

/** Inline markup on one line of text (escaped first). Links keep their text only. */
export function inlineHtml(raw: string): string {
  const codes: string[] = [];
  let s = raw.replace(/`([^`]+)`/g, (_, c: string) => {
    codes.push(`<code>${esc(c)}</code>`);
    return `\uE000${codes.length - 1}\uE000`;
  });
  s = esc(s)
    .replace(/\\\|/g, "|")
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|\s)_([^_]+)_(?=\s|$|[.,;:])/g, "$1<em>$2</em>");
  return s.replace(/\uE000(\d+)\uE000/g, (_, i: string) => codes[Number(i)]);
}

/** Split a Markdown table row into cells, honouring `\|` escapes. */
export function tableCells(line: string): string[] {
  const body = line.trim().replace(/^\|/, "").replace(/\|$/, "");
  const cells: string[] = [];
  let cur = "";
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "\\" && body[i + 1] === "|") {
      cur += "\\|";
      i++;
    } else if (body[i] === "|") {
      cells.push(cur.trim());
      cur = "";
    } else cur += body[i];
  }
  cells.push(cur.trim());
  return cells;
}

const isTableRow = (l: string) => /^\s*\|.*\|\s*$/.test(l);
const isRule = (l: string) => /^\s*\|?(\s*:?-{3,}:?\s*\|)+\s*:?-{0,}:?\s*\|?\s*$/.test(l);

/**
 * Convert report Markdown to HTML. Headings are shifted down by `shift` levels (so a
 * report's `#` title can sit under the page's own headings).
 */
export function markdownToHtml(md: string, shift = 1): string {
  const lines = md.split(/\r?\n/);
  const out: string[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) out.push(`<p>${para.map(inlineHtml).join(" ")}</p>`);
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const h = line.match(/^(#{1,6})\s+(.*)$/);
    if (h) {
      flush();
      const level = Math.min(6, h[1].length + shift);
      out.push(`<h${level}>${inlineHtml(h[2])}</h${level}>`);
    } else if (isTableRow(line) && i + 1 < lines.length && isRule(lines[i + 1])) {
      flush();
      const head = tableCells(line);
      const rows: string[][] = [];
      i += 2;
      while (i < lines.length && isTableRow(lines[i])) rows.push(tableCells(lines[i++]));
      i--;
      out.push(
        `<div class="table-wrap"><table><thead><tr>${
          head.map((c) => `<th>${inlineHtml(c)}</th>`).join("")
        }</tr></thead><tbody>${
          rows.map((r) => `<tr>${r.map((c) => `<td>${inlineHtml(c)}</td>`).join("")}</tr>`)
            .join("")
        }</tbody></table></div>`,
      );
    } else if (/^\s*[-*]\s+/.test(line)) {
      flush();
      const items: string[] = [];
      while (i < lines.length && /^\s*[-*]\s+/.test(lines[i])) {
        items.push(`<li>${inlineHtml(lines[i].replace(/^\s*[-*]\s+/, ""))}</li>`);
        i++;
      }
      i--;
      out.push(`<ul>${items.join("")}</ul>`);
    } else if (/^>\s?/.test(line)) {
      flush();
      const quote: string[] = [];
      while (i < lines.length && /^>\s?/.test(lines[i])) {
        quote.push(inlineHtml(lines[i].replace(/^>\s?/, "")));
        i++;
      }
      i--;
      out.push(`<blockquote>${quote.join(" ")}</blockquote>`);
    } else if (/^\s*!\[[^\]]*\]\([^)]*\)\s*$/.test(line)) {
      flush(); // chart image: drawn inline elsewhere
    } else if (/^\s*(---+|\*\*\*+)\s*$/.test(line)) {
      flush();
      out.push("<hr>");
    } else if (line.trim() === "") {
      flush();
    } else {
      para.push(line.replace(/\s{2,}$/, ""));
    }
  }
  flush();
  return out.join("\n");
}
