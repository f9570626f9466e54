/**
 * SVG primitives for charts drawn without a DOM: escaping, elements, a chart frame with
 * axes, and a legend. Output is plain SVG text that works as a file and inline in HTML
 * (no ids, no scripts, no external references).
 *
 * @module
 */

import { visible } from "../util/format.ts";
// @ts-types="@types/d3-scale"
import type { ScaleLinear } from "d3-scale";

/**
 * Escape text for HTML or XML content and attribute values; control characters (which XML
 * forbids and a server may send) become U+FFFD.
 */
export function esc(text: string): string {
  return visible(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Attribute values; null, undefined and false leave the attribute out. */
export type Attrs = Record<string, string | number | null | undefined | false>;

/** Round a coordinate to 2 decimals, to keep files small. */
export function r2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** An element with escaped attributes; `children` are SVG text already (not escaped). */
export function el(tag: string, attrs: Attrs = {}, ...children: string[]): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== null && v !== undefined && v !== false)
    .map(([k, v]) => ` ${k}="${esc(typeof v === "number" ? String(r2(v)) : String(v))}"`)
    .join("");
  return children.length ? `<${tag}${a}>${children.join("")}</${tag}>` : `<${tag}${a}/>`;
}

/** A text element; `content` is escaped. */
export function text(x: number, y: number, content: string, attrs: Attrs = {}): string {
  return el("text", { x, y, ...attrs }, esc(content));
}

/** Okabe–Ito colours: distinguishable with colour-vision deficiency and in print. */
export const PALETTE = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#000000",
  "#F0E442",
] as const;

/** Colour of series `i`. */
export function color(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** Size and margins of a chart. */
export interface Frame {
  /** Width of the view box. */
  width: number;
  /** Height of the view box. */
  height: number;
  /** Space for the title, axes and labels. */
  margin: { top: number; right: number; bottom: number; left: number };
}

/** The default frame: 640 × 360. */
export function frame(width = 640, height = 360): Frame {
  return { width, height, margin: { top: 50, right: 28, bottom: 48, left: 64 } };
}

/** Left edge, right edge, top and bottom of the plotting area. */
export function plotArea(f: Frame): { x0: number; x1: number; y0: number; y1: number } {
  return {
    x0: f.margin.left,
    x1: f.width - f.margin.right,
    y0: f.height - f.margin.bottom,
    y1: f.margin.top,
  };
}

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";

/**
 * A whole SVG document: white background, title, optional subtitle, and the body. It has a
 * view box and no fixed size, so CSS can scale it.
 */
export function svgDoc(
  f: Frame,
  title: string,
  body: string,
  subtitle = "",
  items: readonly LegendItem[] = [],
): string {
  const height = f.height + legendHeight(f, items);
  return el(
    "svg",
    {
      xmlns: "http://www.w3.org/2000/svg",
      viewBox: `0 0 ${f.width} ${height}`,
      width: f.width,
      height,
      role: "img",
      "font-family": FONT,
      "font-size": 12,
      class: "chart",
    },
    el("title", {}, esc(title)),
    el("rect", { x: 0, y: 0, width: f.width, height, fill: "#ffffff" }),
    text(f.margin.left, 18, title, { "font-size": 14, "font-weight": 600, fill: "#111" }),
    subtitle ? text(f.margin.left, 35, subtitle, { "font-size": 11, fill: "#555" }) : "",
    body,
    legend(f, items),
  );
}

/** Compact number for tick labels: `0.5`, `12`, `1.2k`, `3.4M`. */
export function tickLabel(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e6) return `${trim(x / 1e6)}M`;
  if (a >= 1e4) return `${trim(x / 1e3)}k`;
  return trim(x);
}

function trim(x: number): string {
  return String(Number(x.toPrecision(4)));
}

/** Bottom axis with grid lines and a label. */
export function axisBottom(
  f: Frame,
  x: ScaleLinear<number, number>,
  label: string,
  ticks = 6,
  format: (v: number) => string = tickLabel,
): string {
  const { x0, x1, y0, y1 } = plotArea(f);
  const parts = [el("line", { x1: x0, x2: x1, y1: y0, y2: y0, stroke: "#333" })];
  for (const t of x.ticks(ticks)) {
    const px = x(t);
    parts.push(
      el("line", { x1: px, x2: px, y1: y1, y2: y0, stroke: "#e5e5e5" }),
      el("line", { x1: px, x2: px, y1: y0, y2: y0 + 4, stroke: "#333" }),
      text(px, y0 + 16, format(t), { "text-anchor": "middle", fill: "#333" }),
    );
  }
  parts.push(text((x0 + x1) / 2, f.height - 8, label, { "text-anchor": "middle", fill: "#111" }));
  return el("g", { class: "axis x" }, ...parts);
}

/** Left axis with grid lines and a rotated label. */
export function axisLeft(
  f: Frame,
  y: ScaleLinear<number, number>,
  label: string,
  ticks = 5,
  format: (v: number) => string = tickLabel,
): string {
  const { x0, x1, y0, y1 } = plotArea(f);
  const parts = [el("line", { x1: x0, x2: x0, y1: y0, y2: y1, stroke: "#333" })];
  for (const t of y.ticks(ticks)) {
    const py = y(t);
    parts.push(
      el("line", { x1: x0, x2: x1, y1: py, y2: py, stroke: "#e5e5e5" }),
      el("line", { x1: x0 - 4, x2: x0, y1: py, y2: py, stroke: "#333" }),
      text(x0 - 7, py + 4, format(t), { "text-anchor": "end", fill: "#333" }),
    );
  }
  const cy = (y0 + y1) / 2;
  parts.push(
    text(14, cy, label, {
      "text-anchor": "middle",
      fill: "#111",
      transform: `rotate(-90 14 ${r2(cy)})`,
    }),
  );
  return el("g", { class: "axis y" }, ...parts);
}

/** One legend entry. */
export interface LegendItem {
  /** Label (escaped here). */
  label: string;
  /** Stroke or fill colour. */
  color: string;
  /** Dashed line sample. */
  dashed?: boolean;
  /** Filled square sample instead of a line. */
  box?: boolean;
}

/** Legend rows needed for `items` in a frame (entries flow left to right, then wrap). */
function legendLayout(f: Frame, items: readonly LegendItem[]): { x: number; row: number }[] {
  const { x0, x1 } = plotArea(f);
  let x = x0, row = 0;
  return items.map((it) => {
    const w = 28 + it.label.length * 6.4;
    if (x > x0 && x + w > x1) {
      x = x0;
      row++;
    }
    const at = { x, row };
    x += w + 12;
    return at;
  });
}

/** Height a legend of `items` adds below the chart. */
export function legendHeight(f: Frame, items: readonly LegendItem[]): number {
  if (items.length === 0) return 0;
  return (legendLayout(f, items).at(-1)!.row + 1) * 16 + 6;
}

/** A legend below the x-axis label, entries flowing left to right (never over the data). */
export function legend(f: Frame, items: readonly LegendItem[]): string {
  if (items.length === 0) return "";
  const top = f.height + 4;
  const rows = legendLayout(f, items).map(({ x, row }, i) => {
    const it = items[i];
    const cy = top + 8 + row * 16;
    const sample = it.box
      ? el("rect", { x, y: cy - 5, width: 14, height: 10, fill: it.color, opacity: 0.35 })
      : el("line", {
        x1: x,
        x2: x + 16,
        y1: cy,
        y2: cy,
        stroke: it.color,
        "stroke-width": 2,
        "stroke-dasharray": it.dashed ? "5 3" : null,
      });
    return sample + text(x + 20, cy + 4, it.label, { fill: "#111" });
  });
  return el("g", { class: "legend" }, ...rows);
}

/** A message in the middle of an empty plotting area. */
export function emptyNote(f: Frame, message: string): string {
  const { x0, x1, y0, y1 } = plotArea(f);
  return text((x0 + x1) / 2, (y0 + y1) / 2, message, { "text-anchor": "middle", fill: "#777" });
}
