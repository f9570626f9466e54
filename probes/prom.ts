/**
 * Prometheus text exposition format (0.0.4, and the OpenMetrics lines it shares): a parser
 * for `# HELP` / `# TYPE` / comments, labels with escapes, `+Inf` / `-Inf` / `NaN` and
 * timestamps, and a scraper for `process_resident_memory_bytes` (exposed by vLLM, SGLang,
 * TGI and every Prometheus client library's process collector).
 *
 * @module
 */

import { BODY_LIMITS, getBounded } from "../net/bounded.ts";

/** One sample line. */
export interface PromSample {
  /** Metric name of the line (with any `_bucket`/`_sum`/`_count`… suffix). */
  name: string;
  /** Labels, unescaped. */
  labels: Record<string, string>;
  /** Value (may be `Infinity`, `-Infinity` or `NaN`). */
  value: number;
  /** Timestamp in milliseconds since the epoch, when the line carries one. */
  timestampMs: number | null;
}

/** A metric family: what `# HELP` and `# TYPE` said about a name. */
export interface PromFamily {
  /** Family name. */
  name: string;
  /** Help text, unescaped ("" when absent). */
  help: string;
  /** Declared type (`counter`, `gauge`, `histogram`, `summary`, `untyped`…). */
  type: string;
}

/** A line that could not be parsed. */
export interface PromLineError {
  /** 1-based line number. */
  line: number;
  /** What was wrong. */
  message: string;
}

/** What a text exposition contained. */
export interface PromDocument {
  /** Samples, in order. */
  samples: PromSample[];
  /** Families declared by `# HELP` / `# TYPE`, by name. */
  families: Map<string, PromFamily>;
  /** Lines skipped as malformed (the rest of the document is still parsed). */
  errors: PromLineError[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** Parse a sample value: a float, `+Inf`, `-Inf`, `Inf` or `NaN` (case-insensitive). */
export function parsePromValue(raw: string): number {
  const lower = raw.toLowerCase();
  if (lower === "+inf" || lower === "inf") return Infinity;
  if (lower === "-inf") return -Infinity;
  if (lower === "nan") return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw) && !/^0x[0-9a-f]+$/i.test(raw)) {
    throw new SyntaxError(`bad value '${raw}'`);
  }
  return Number(raw);
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_m, c) => (c === "n" ? "\n" : "\\"));
}

/** Parse `{a="x",b="y\"z"}` starting at `s[0] === "{"`; returns labels and the rest. */
function parseLabels(s: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  const skipWs = () => {
    while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
  };
  for (;;) {
    skipWs();
    if (s[i] === "}") return { labels, rest: s.slice(i + 1) };
    const m = s.slice(i).match(LABEL_NAME);
    if (!m) throw new SyntaxError(`bad label name at column ${i + 1}`);
    const name = m[0];
    i += name.length;
    skipWs();
    if (s[i] !== "=") throw new SyntaxError(`expected '=' after label ${name}`);
    i++;
    skipWs();
    if (s[i] !== '"') throw new SyntaxError(`expected '"' for label ${name}`);
    i++;
    let value = "";
    for (;;) {
      if (i >= s.length) throw new SyntaxError(`unterminated value of label ${name}`);
      const c = s[i++];
      if (c === '"') break;
      if (c === "\\") {
        const e = s[i++];
        if (e === "n") value += "\n";
        else if (e === "\\" || e === '"') value += e;
        else throw new SyntaxError(`bad escape '\\${e ?? ""}' in label ${name}`);
      } else value += c;
    }
    if (name in labels) throw new SyntaxError(`duplicate label ${name}`);
    labels[name] = value;
    skipWs();
    if (s[i] === ",") {
      i++;
      continue;
    }
    if (s[i] === "}") return { labels, rest: s.slice(i + 1) };
    throw new SyntaxError(`expected ',' or '}' after label ${name}`);
  }
}

/** Parse one sample line. Throws `SyntaxError`. */
export function parseSampleLine(line: string): PromSample {
  const m = line.match(NAME);
  if (!m) throw new SyntaxError("bad metric name");
  const name = m[0];
  let rest = line.slice(name.length);
  let labels: Record<string, string> = {};
  if (rest.trimStart().startsWith("{")) {
    ({ labels, rest } = parseLabels(rest.trimStart()));
  }
  const parts = rest.trim().split(/[ \t]+/).filter((p) => p.length > 0);
  if (parts.length === 0) throw new SyntaxError(`no value for ${name}`);
  if (parts.length > 2) throw new SyntaxError(`unexpected text after the value of ${name}`);
  const value = parsePromValue(parts[0]);
  let timestampMs: number | null = null;
  if (parts.length === 2) {
    if (!/^-?\d+$/.test(parts[1])) throw new SyntaxError(`bad timestamp '${parts[1]}'`);
    timestampMs = Number(parts[1]);
  }
  return { name, labels, value, timestampMs };
}

/**
 * Parse a Prometheus text exposition. Malformed lines are listed in `errors` and skipped.
 *
 * With `keep`, only the samples of those metric names (suffixes included, as in
 * {@linkcode PromSample.name}) are parsed, and comments and families are skipped: every other
 * line costs a scan for its name's end. A sampler that reads a few gauges from a large
 * exposition (vLLM's is about 100 KB) takes them without parsing the rest.
 */
export function parsePrometheus(text: string, keep?: ReadonlySet<string>): PromDocument {
  if (keep) return parseKept(text, keep);
  const doc: PromDocument = { samples: [], families: new Map(), errors: [] };
  const family = (name: string) => {
    let f = doc.families.get(name);
    if (!f) doc.families.set(name, f = { name, help: "", type: "untyped" });
    return f;
  };
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].replace(/\r$/, "");
    const trimmed = line.trim();
    if (trimmed === "") continue;
    if (trimmed.startsWith("#")) {
      const meta = trimmed.match(/^#\s*(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/);
      if (!meta) continue; // a comment (or `# EOF`, `# UNIT`)
      const f = family(meta[2]);
      if (meta[1] === "HELP") f.help = unescapeHelp(meta[3] ?? "");
      else f.type = (meta[3] ?? "untyped").trim().toLowerCase();
      continue;
    }
    try {
      doc.samples.push(parseSampleLine(trimmed));
    } catch (err) {
      doc.errors.push({ line: n + 1, message: (err as Error).message });
    }
  }
  return doc;
}

const CR = 13, HASH = 35, SPACE = 32, TAB = 9, BRACE = 123;

/** {@linkcode parsePrometheus} of the samples named in `keep` only. */
function parseKept(text: string, keep: ReadonlySet<string>): PromDocument {
  const doc: PromDocument = { samples: [], families: new Map(), errors: [] };
  const n = text.length;
  let at = 0;
  for (let line = 1; at < n; line++) {
    let end = text.indexOf("\n", at);
    if (end < 0) end = n;
    let i = at;
    while (i < end && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
    if (i < end && text.charCodeAt(i) !== HASH) {
      let j = i;
      for (; j < end; j++) {
        const c = text.charCodeAt(j);
        if (c === BRACE || c === SPACE || c === TAB || c === CR) break;
      }
      if (keep.has(text.slice(i, j))) {
        const stop = text.charCodeAt(end - 1) === CR ? end - 1 : end;
        try {
          doc.samples.push(parseSampleLine(text.slice(i, stop).trim()));
        } catch (err) {
          doc.errors.push({ line, message: (err as Error).message });
        }
      }
    }
    at = end + 1;
  }
  return doc;
}

/** The samples of one metric name, optionally only those whose labels include `match`. */
export function findSamples(
  doc: PromDocument,
  name: string,
  match: Record<string, string> = {},
): PromSample[] {
  return doc.samples.filter((s) =>
    s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)
  );
}

/** Name of the standard resident-memory gauge. */
export const RSS_METRIC = "process_resident_memory_bytes";

/** One scrape of the resident-memory gauge. */
export interface RssScrape {
  /** Bytes: the unlabelled series, or the sum of all series when every one is labelled. */
  bytes: number;
  /** Number of series found. */
  series: number;
}

/** Resident memory from a parsed document, or null when the gauge is absent or not finite. */
export function residentMemory(doc: PromDocument): RssScrape | null {
  const samples = findSamples(doc, RSS_METRIC).filter((s) => Number.isFinite(s.value));
  if (samples.length === 0) return null;
  const plain = samples.find((s) => Object.keys(s.labels).length === 0);
  const bytes = plain ? plain.value : samples.reduce((a, s) => a + s.value, 0);
  return { bytes, series: samples.length };
}

/** Options of {@linkcode scrapeResidentMemory}. */
export interface ScrapeOptions {
  /** Give up after this many milliseconds (default 2000). */
  timeoutMs?: number;
  /** Extra request headers (e.g. `authorization`). */
  headers?: Record<string, string>;
}

/**
 * GET a metrics URL and read `process_resident_memory_bytes`. Throws an `Error` saying what
 * went wrong (unreachable, HTTP status, gauge absent).
 */
export async function scrapeResidentMemory(
  url: string,
  opts: ScrapeOptions = {},
): Promise<RssScrape> {
  const res = await getBounded(url, {
    headers: { accept: "text/plain;version=0.0.4", ...(opts.headers ?? {}) },
    timeoutMs: opts.timeoutMs ?? 2000,
    maxBytes: BODY_LIMITS.metrics,
    what: "metrics body",
  });
  const text = res.text;
  if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}`);
  const rss = residentMemory(parsePrometheus(text));
  if (rss === null) throw new Error(`no ${RSS_METRIC} gauge in the response`);
  return rss;
}
