/**
 * `deno task lint:deps`: the import rules of docs/ARCHITECTURE.md, checked.
 *
 * - A layer imports only layers below it in {@linkcode LAYERS}. A suite's folder
 *   (`suites/<name>/`) holds one file per layer it reaches ({@linkcode SUITE_FILE_LAYERS}), and
 *   imports no other suite's folder; only the registry brings the suites together.
 * - The report layer renders: it imports values only from `util/`, the analysis layer and
 *   itself (types from any layer below), so it computes no statistic and decides no exit code.
 * - The embedded server (`server/`) imports only `util/` and `twin/`: it shares no code path
 *   with the client beyond them.
 * - Nothing but `main.ts` imports `commands/` or `server/` (tests, benchmarks and tools may).
 * - No import cycle between modules, type-only imports included.
 *
 * Prints one line per violation and exits 1 when there is any.
 *
 * @module
 */

import { dirname, join, relative, resolve, sep } from "node:path";

/** The layers, lowest first: a layer may import the ones before it and itself. */
export const LAYERS = [
  "util",
  "measure",
  "twin",
  "net",
  "probes",
  "outputs",
  "load",
  "workload",
  "runner",
  "capacity",
  "plan",
  "suites",
  "analysis",
  "report",
  "registry",
  "engine",
  "cli",
  "commands",
] as const;

/**
 * The layer of each file of a suite's folder (`suites/<name>/<file>`): its tests and result
 * type are the suites layer, its metrics, bands and guide answers the analysis layer, its
 * reports the report layer, and its registration (`mod.ts`) the registry.
 */
export const SUITE_FILE_LAYERS: Record<string, string> = {
  "tests.ts": "suites",
  "result.ts": "suites",
  "analysis.ts": "analysis",
  "report.ts": "report",
  "mod.ts": "registry",
};

/** Modules of `suites/` itself that belong to the registry layer. */
const REGISTRY_MODULES = new Set(["suites/registry.ts", "suites/definition.ts"]);

/** Layers the report layer may import values from (types it may import from any layer below). */
const RENDER_VALUE_LAYERS = new Set(["util", "analysis", "report"]);

/** Folders with rules of their own instead of a place in {@linkcode LAYERS}. */
const SPECIAL: Record<string, readonly string[]> = {
  server: ["util", "twin"],
};

/** Folders that may import anything (but still take part in the cycle check). */
const FREE = new Set(["tests", "bench", "deploy", "tools"]);

/** Folders only the entry (and free folders) may import. */
const ENTRY_ONLY = new Set(["commands", "server"]);

/** Folders never scanned. */
const SKIP = new Set([".git", "dist", "results", "node_modules", ".ci"]);

/** One import of one module. */
export interface Edge {
  /** Importing file, relative to the root, `/`-separated. */
  from: string;
  /** Imported file, relative to the root. */
  to: string;
  /** 1-based line of the import. */
  line: number;
  /** True when only types are imported (`import type`, or every name marked `type`). */
  typeOnly?: boolean;
}

const IMPORT_RE =
  /(?:^|[\s;])(?:import|export)\s+(type\s+)?(?:([\w*{}\s,$]+)\s+from\s+)?["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

/** True when an import's clause names types only (`{ type A, type B }`). */
function typeOnlyClause(typeKeyword: string | undefined, clause: string | undefined): boolean {
  if (typeKeyword) return true;
  if (!clause) return false;
  const m = /^\s*\{([^}]*)\}\s*$/.exec(clause);
  if (!m) return false;
  const names = m[1].split(",").map((x) => x.trim()).filter(Boolean);
  return names.length > 0 && names.every((n) => n.startsWith("type "));
}

/** The relative imports of `text` (a module at `file`, relative to `root`). */
export function importsOf(root: string, file: string, text: string): Edge[] {
  const out: Edge[] = [];
  // Comments may quote import lines; drop them (keeping line numbers).
  const code = text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, " "))
    .replace(/(^|[^:"'`])\/\/[^\n]*/g, "$1");
  for (const m of code.matchAll(IMPORT_RE)) {
    const spec = m[3] ?? m[4];
    const target = resolve(dirname(join(root, file)), spec);
    const at = m.index + m[0].indexOf(spec);
    const line = code.slice(0, at).split("\n").length;
    const typeOnly = m[4] === undefined && typeOnlyClause(m[1], m[2]);
    out.push({ from: file, to: toPosix(relative(root, target)), line, typeOnly });
  }
  return out;
}

function toPosix(p: string): string {
  return p.split(sep).join("/");
}

/** Every `.ts` module under `root`, relative and `/`-separated. */
export async function modulesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string) {
    for await (const e of Deno.readDir(dir)) {
      if (SKIP.has(e.name)) continue;
      const p = join(dir, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.isFile && e.name.endsWith(".ts")) out.push(toPosix(relative(root, p)));
    }
  }
  await walk(root);
  return out.sort();
}

function folderOf(file: string): string {
  const i = file.indexOf("/");
  return i < 0 ? "" : file.slice(0, i);
}

/** The suite folder a file is in (`suites/<name>/…`), or null. */
function suiteFolderOf(file: string): string | null {
  const m = /^suites\/([^/]+)\//.exec(file);
  return m ? m[1] : null;
}

/**
 * The layer of a file: its folder, except in `suites/`, where the registry's modules and each
 * suite folder's files have layers of their own (files of a suite folder not listed in
 * {@linkcode SUITE_FILE_LAYERS} are the suites layer).
 */
export function layerOf(file: string): string {
  const folder = folderOf(file);
  if (folder !== "suites") return folder;
  if (REGISTRY_MODULES.has(file)) return "registry";
  if (suiteFolderOf(file) === null) return "suites";
  return SUITE_FILE_LAYERS[file.slice(file.lastIndexOf("/") + 1)] ?? "suites";
}

/** Why the edge breaks a layering rule, or null when it is allowed. */
export function layerViolation(edge: Edge): string | null {
  const fromFolder = folderOf(edge.from);
  if (FREE.has(fromFolder)) return null;
  const fromSuite = suiteFolderOf(edge.from), toSuite = suiteFolderOf(edge.to);
  if (fromSuite !== null && toSuite !== null && fromSuite !== toSuite) {
    return `suites/${fromSuite}/ must not import another suite's folder (the registry joins them)`;
  }
  const from = layerOf(edge.from), to = layerOf(edge.to);
  if (from === "report" && to !== "" && !RENDER_VALUE_LAYERS.has(to) && !edge.typeOnly) {
    return `the report layer imports values only from util, analysis and report (it renders; ` +
      `${edge.to} belongs to the ${to} layer: compute there, in analysis, not in a report)`;
  }
  if (from === to) return null;
  if (from === "") {
    return null; // the entry (main.ts) wires everything together
  }
  if (ENTRY_ONLY.has(to)) return `${to}/ is imported only by main.ts`;
  if (to === "" && edge.to !== "deno.json") return `imports ${edge.to}, a root module`;
  if (to === "") return null; // the version comes from deno.json
  const special = SPECIAL[from];
  if (special) {
    return special.includes(to) ? null : `${from}/ may import only ${special.join(", ")}`;
  }
  const rank = (f: string) => (LAYERS as readonly string[]).indexOf(f);
  const a = rank(from), b = rank(to);
  if (a < 0) return `${from}/ is not a known layer (add it to LAYERS in tools/lint_deps.ts)`;
  if (b < 0) return `${to}/ is not a layer a module may import`;
  return b < a ? null : `${from}/ must not import ${to}/ (a layer above it)`;
}

/** The import cycles among `edges`, each as a list of files (Tarjan's SCCs of size > 1). */
export function cycles(edges: readonly Edge[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const e of edges) {
    if (!graph.has(e.from)) graph.set(e.from, []);
    graph.get(e.from)!.push(e.to);
  }
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>(), out: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/** Every violation of the import rules under `root`, one readable line each. */
export async function checkImports(root: string): Promise<string[]> {
  const edges: Edge[] = [];
  for (const file of await modulesUnder(root)) {
    edges.push(...importsOf(root, file, await Deno.readTextFile(join(root, file))));
  }
  const problems: string[] = [];
  for (const e of edges) {
    const why = layerViolation(e);
    if (why) problems.push(`${e.from}:${e.line}: imports ${e.to}: ${why}`);
  }
  for (const c of cycles(edges)) problems.push(`import cycle: ${c.join(" -> ")}`);
  return problems;
}

if (import.meta.main) {
  const root = resolve(Deno.args[0] ?? join(dirname(new URL(import.meta.url).pathname), ".."));
  const problems = await checkImports(root);
  for (const p of problems) console.error(p);
  if (problems.length) {
    console.error(`lint:deps: ${problems.length} problem(s); see docs/ARCHITECTURE.md`);
    Deno.exit(1);
  }
  console.log("lint:deps: imports follow the layers; no cycles");
}
