/**
 * Comparison of two runs: load a run folder (`run.json`, or the per-suite JSON files when it
 * is missing), diff every catalogue metric, decide which changes are regressions under the
 * thresholds, and write `comparison.md`.
 *
 * @module
 */

import { join } from "node:path";
import { ConfigError, UsageError } from "../util/errors.ts";
import { type LoadSpec, SUITE_NAMES, type SuiteName } from "../measure/result.ts";
import type { RunResult, SuiteResult, TestResult } from "../suites/mod.ts";
import { emptyHistograms, emptySummary, type Summary, type TestMetrics } from "../measure/stats.ts";
import { mdCell, mdTable } from "./format.ts";
import { SCHEMA_VERSION } from "./json.ts";
import {
  closeMatches,
  COMMON_METRICS,
  formatMetric,
  type MetricDef,
  type MetricRef,
  runMetricValues,
  SUITE_METRICS,
  suiteKey,
  testMetricValues,
  type Threshold,
} from "./metrics.ts";

/** A run read from disk, with where it came from. */
export interface LoadedRun {
  /** The folder. */
  dir: string;
  /** Which files it was read from. */
  source: "run.json" | "suite JSON";
  /** The run (fields other than suites may be placeholders when read from suite JSON). */
  run: RunResult;
  /** `schema_version` found, if any. */
  schemaVersion: string | null;
}

async function readJson(path: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message.split("\n")[0]}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid JSON: ${(err as Error).message.split("\n")[0]}`);
  }
}

function majorOf(v: string | null): string | null {
  return v === null ? null : v.split(".")[0];
}

const num = (v: unknown, d = 0): number => (typeof v === "number" && Number.isFinite(v) ? v : d);

function summaryFrom(v: unknown): Summary {
  if (!v || typeof v !== "object") return emptySummary();
  return { ...emptySummary(), ...(v as Partial<Summary>) };
}

/** A per-test object of a suite JSON file, turned back into a {@linkcode TestResult}. */
export function testFromSuiteJson(suite: SuiteName, o: Record<string, unknown>): TestResult {
  const streaming = o.streaming === true;
  const latency = o.latency ? summaryFrom(o.latency) : {
    ...emptySummary(),
    count: num(o.successful_requests),
    mean: num(o.avg_latency),
    min: num(o.min_latency),
    max: num(o.max_latency),
    p50: num(o.p50_latency),
    p90: num(o.p90_latency),
    p95: num(o.p95_latency),
    p99: num(o.p99_latency),
  };
  const arr = (v: unknown) =>
    Array.isArray(v) ? v.filter((x): x is number => typeof x === "number") : undefined;
  const metrics: TestMetrics = {
    total_requests: num(o.total_requests),
    successful_requests: num(o.successful_requests),
    failed_requests: num(o.failed_requests),
    outcomes: (o.outcomes ?? {}) as TestMetrics["outcomes"],
    window_s: num(o.window_s, num(o.total_time, num(o.duration))),
    requests_per_second: num(o.requests_per_second),
    output_tokens_per_second: num(o.output_tokens_per_second),
    total_tokens_per_second: num(o.total_tokens_per_second, num(o.tokens_per_second)),
    total_input_tokens: num(o.total_input_tokens),
    total_output_tokens: num(o.total_output_tokens),
    output_tokens_estimated: o.output_tokens_estimated === true,
    input_tokens_missing: false,
    latency,
    ttft: summaryFrom(o.ttft),
    ttfc: summaryFrom(o.ttfc),
    tpot: summaryFrom(o.tpot),
    itl: summaryFrom(o.itl),
    latency_corrected: o.latency_corrected ? summaryFrom(o.latency_corrected) : null,
    ttft_corrected: o.ttft_corrected ? summaryFrom(o.ttft_corrected) : null,
    queue_delay: o.queue_delay ? summaryFrom(o.queue_delay) : null,
    latencies: arr(o.latencies) ?? [],
    error_samples: [],
    ttft_samples: arr(o.ttft_samples),
    itl_samples: arr(o.itl_samples),
    tpot_samples: arr(o.tpot_samples),
    window_start_epoch_s: typeof o.window_start_epoch_s === "number"
      ? o.window_start_epoch_s
      : null,
    window_end_epoch_s: typeof o.window_end_epoch_s === "number" ? o.window_end_epoch_s : null,
    histograms: (o.histograms as TestMetrics["histograms"] | undefined) ?? emptyHistograms(),
  };
  return {
    suite,
    name: String(o.test_name ?? o.name ?? "test"),
    payload: String(o.payload_size ?? o.payload ?? ""),
    streaming,
    model: String(o.model ?? ""),
    model_substituted_for: null,
    max_tokens: typeof o.max_tokens === "number" ? o.max_tokens : null,
    load: (o.load ?? { kind: "closed", requests: 0, concurrency: 0, warmup: 0 }) as LoadSpec,
    metrics,
    interrupted: o.interrupted === true,
    notes: [],
    extra: o,
  };
}

/**
 * Read a run folder: `run.json` when present, else every `<suite>_results.json`. A path to
 * a `run.json` file works too. Throws {@linkcode ConfigError} when neither exists or the
 * schema's major version is not this tool's.
 */
export async function loadRun(path: string): Promise<LoadedRun> {
  let dir = path;
  try {
    if ((await Deno.stat(path)).isFile) dir = join(path, "..");
  } catch {
    throw new ConfigError(`run folder ${path} does not exist`);
  }
  const runJson = await readJson(join(dir, "run.json"));
  let loaded: LoadedRun;
  if (runJson !== undefined) {
    const r = runJson as Partial<RunResult> & { schema_version?: string };
    if (!r || typeof r !== "object" || !Array.isArray(r.suites)) {
      throw new ConfigError(`${join(dir, "run.json")} has no suites: not a fakeai-bench run`);
    }
    loaded = {
      dir,
      source: "run.json",
      run: r as RunResult,
      schemaVersion: typeof r.schema_version === "string" ? r.schema_version : null,
    };
  } else {
    const suites: SuiteResult[] = [];
    let version: string | null = null;
    for (const s of SUITE_NAMES) {
      const data = await readJson(join(dir, `${suiteKey(s)}_results.json`));
      if (data === undefined) continue;
      if (!Array.isArray(data)) {
        throw new ConfigError(`${suiteKey(s)}_results.json in ${dir} is not an array of tests`);
      }
      const tests = data.filter((o) => o && typeof o === "object").map((o) => {
        if (typeof o.schema_version === "string") version ??= o.schema_version;
        return testFromSuiteJson(s, o as Record<string, unknown>);
      });
      suites.push({
        suite: s,
        tests,
        started_at: "",
        finished_at: "",
        skipped: null,
        error: null,
        interrupted: tests.some((t) => t.interrupted),
      });
    }
    if (suites.length === 0) {
      throw new ConfigError(`${dir} holds neither run.json nor any *_results.json`);
    }
    loaded = {
      dir,
      source: "suite JSON",
      schemaVersion: version,
      run: {
        tool_version: "unknown",
        run_id: "unknown",
        started_at: "",
        finished_at: "",
        mode: "full",
        config: {},
        server: {
          base_url: "unknown",
          embedded: false,
          pid: null,
          models: [],
          server_header: null,
          health_status: null,
        },
        host: { hostname: "", os: "", arch: "", cpus: 0, deno: "" },
        suites,
        interrupted: false,
      },
    };
  }
  const major = majorOf(loaded.schemaVersion);
  if (major !== null && major !== majorOf(SCHEMA_VERSION)) {
    throw new ConfigError(
      `${dir} has schema_version ${loaded.schemaVersion}; this tool reads ${
        majorOf(SCHEMA_VERSION)
      }.x`,
    );
  }
  return loaded;
}

/** Threshold overrides: by qualified name (`throughput.rps`) or bare name (`rps`). */
export type ThresholdOverrides = Map<string, number>;

function bareNames(): string[] {
  return [
    ...new Set([...COMMON_METRICS, ...Object.values(SUITE_METRICS).flat()].map((m) => m.name)),
  ];
}

/**
 * Parse `--threshold metric=percent` values. The metric is `suite.metric` or a bare metric
 * name (every suite). Unknown names are a {@linkcode UsageError} naming close matches.
 */
export function parseThresholds(raw: readonly string[]): ThresholdOverrides {
  const out: ThresholdOverrides = new Map();
  const qualified = SUITE_NAMES.flatMap((s) =>
    [...COMMON_METRICS, ...SUITE_METRICS[s]].map((m) => `${suiteKey(s)}.${m.name}`)
  );
  const bare = bareNames();
  for (const r of raw) {
    const m = r.match(/^\s*([A-Za-z0-9_.-]+)\s*=\s*([0-9.]+)\s*%?\s*$/);
    if (!m || !Number.isFinite(Number(m[2]))) {
      throw new UsageError(`--threshold '${r}' is not METRIC=PERCENT, e.g. ttft_p99_ms=15`);
    }
    let name = m[1];
    if (name.includes(".")) {
      const [s, metric] = [name.slice(0, name.indexOf(".")), name.slice(name.indexOf(".") + 1)];
      name = `${s.toLowerCase().replace(/-/g, "_")}.${metric}`;
    }
    if (!qualified.includes(name) && !bare.includes(name)) {
      throw new UsageError(
        `--threshold: unknown metric '${m[1]}'; did you mean ${
          closeMatches(m[1], [...bare, ...qualified]).join(", ")
        }? (all names: 'fakeai-bench help metrics')`,
      );
    }
    out.set(name, Number(m[2]));
  }
  return out;
}

/** Verdict of one metric's change. */
export type Verdict = "better" | "worse" | "same" | "n/a";

/** One compared metric. */
export interface MetricDiff {
  /** Qualified name. */
  name: string;
  /** Catalogue entry. */
  def: MetricDef;
  /** Base value. */
  base: number | null;
  /** New value. */
  next: number | null;
  /** Better, worse, same, or n/a when one side is missing. */
  verdict: Verdict;
  /** Change as shown (`+12.3% (+4.56 ms)`, `+1.20 pts`). */
  change: string;
  /** Threshold used, as shown. */
  thresholdText: string;
  /** True when worse beyond the threshold. */
  regression: boolean;
}

function thresholdFor(ref: MetricRef, overrides: ThresholdOverrides): Threshold {
  const v = overrides.get(ref.qualified) ?? overrides.get(ref.def.name);
  return v === undefined ? ref.def.threshold : { ...ref.def.threshold, value: v };
}

/** Change in percentage points for share-like metrics (fractions ×100, % as is). */
function points(def: MetricDef, delta: number): number {
  return def.unit === "fraction" ? delta * 100 : delta;
}

/** Compare one metric. */
export function diffMetric(
  ref: MetricRef,
  base: number | null,
  next: number | null,
  th: Threshold,
): MetricDiff {
  const def = ref.def;
  const thresholdText = th.kind === "points"
    ? `${def.better === "lower" ? "+" : "−"}${th.value} pts`
    : `${def.better === "lower" ? "+" : "−"}${th.value}%`;
  if (base === null || next === null) {
    return {
      name: ref.qualified,
      def,
      base,
      next,
      verdict: "n/a",
      change: base === null && next === null ? "—" : base === null ? "new" : "not measured",
      thresholdText,
      regression: false,
    };
  }
  const delta = next - base;
  const worse = def.better === "lower" ? delta > 0 : delta < 0;
  const verdict: Verdict = delta === 0 ? "same" : worse ? "worse" : "better";
  let change: string, beyond: boolean;
  const sign = (x: number) => (x >= 0 ? "+" : "−");
  if (th.kind === "points") {
    const p = points(def, delta);
    change = `${sign(p)}${Math.abs(p).toFixed(2)} pts`;
    beyond = Math.abs(p) > th.value;
  } else {
    const pct = base !== 0 ? (delta / Math.abs(base)) * 100 : delta === 0 ? 0 : Infinity;
    const abs = formatMetric(def, Math.abs(delta));
    change = Number.isFinite(pct)
      ? `${sign(pct)}${Math.abs(pct).toFixed(1)}% (${sign(delta)}${abs})`
      : `${sign(delta)}${abs}`;
    beyond = Math.abs(pct) > th.value;
  }
  const regression = worse && beyond && Math.abs(delta) > th.floor;
  return { name: ref.qualified, def, base, next, verdict, change, thresholdText, regression };
}

/** The comparison of two runs. */
export interface Comparison {
  /** Base run. */
  base: LoadedRun;
  /** New run. */
  next: LoadedRun;
  /** Suite-level metric diffs, catalogue order. */
  metrics: MetricDiff[];
  /** The regressions among them. */
  regressions: MetricDiff[];
  /** Per-test diffs (informational). */
  tests: { suite: SuiteName; test: string; diff: MetricDiff }[];
  /** Reasons the runs may not be comparable. */
  warnings: string[];
}

/** Compare two loaded runs. */
export function compareRuns(
  base: LoadedRun,
  next: LoadedRun,
  overrides: ThresholdOverrides = new Map(),
): Comparison {
  const a = runMetricValues(base.run.suites), b = runMetricValues(next.run.suites);
  const names = [...new Set([...a.keys(), ...b.keys()])];
  const metrics: MetricDiff[] = [];
  for (const name of names) {
    const ref = (a.get(name) ?? b.get(name))!.ref;
    const va = a.get(name)?.value ?? null, vb = b.get(name)?.value ?? null;
    if (va === null && vb === null) continue;
    metrics.push(diffMetric(ref, va, vb, thresholdFor(ref, overrides)));
  }
  const tests: Comparison["tests"] = [];
  for (const sb of next.run.suites) {
    const sa = base.run.suites.find((s) => s.suite === sb.suite);
    if (!sa) continue;
    for (const tb of sb.tests) {
      const ta = sa.tests.find((t) => t.name === tb.name);
      if (!ta) continue;
      const va = testMetricValues(ta), vb = testMetricValues(tb);
      for (let i = 0; i < va.length; i++) {
        if (va[i].value === null && vb[i].value === null) continue;
        const def = va[i].def;
        const ref: MetricRef = { suite: sb.suite, def, qualified: def.name };
        tests.push({
          suite: sb.suite,
          test: tb.name,
          diff: diffMetric(ref, va[i].value, vb[i].value, thresholdFor(ref, overrides)),
        });
      }
    }
  }
  const warnings: string[] = [];
  const ra = base.run, rb = next.run;
  if (base.source === "run.json" && next.source === "run.json") {
    if (ra.mode !== rb.mode) warnings.push(`modes differ: ${ra.mode} vs ${rb.mode}`);
    if (ra.server.base_url !== rb.server.base_url && !(ra.server.embedded && rb.server.embedded)) {
      warnings.push(`targets differ: ${ra.server.base_url} vs ${rb.server.base_url}`);
    }
    if (ra.host.hostname !== rb.host.hostname) {
      warnings.push(`hosts differ: ${ra.host.hostname} vs ${rb.host.hostname}`);
    }
    if (ra.interrupted || rb.interrupted) warnings.push("a run was interrupted");
  }
  for (const s of rb.suites) {
    if (!ra.suites.some((x) => x.suite === s.suite)) {
      warnings.push(`suite ${s.suite} is only in the new run`);
    }
  }
  for (const s of ra.suites) {
    if (!rb.suites.some((x) => x.suite === s.suite)) {
      warnings.push(`suite ${s.suite} is only in the base run`);
    }
  }
  return { base, next, metrics, regressions: metrics.filter((m) => m.regression), tests, warnings };
}

function describe(r: LoadedRun): string {
  const run = r.run;
  return r.source === "run.json"
    ? `${mdCell(r.dir)} (run ${mdCell(run.run_id)}, ${run.mode}, started ${
      mdCell(run.started_at)
    }, fakeai-bench ${mdCell(run.tool_version)})`
    : `${mdCell(r.dir)} (from the per-suite JSON files)`;
}

const VERDICT_TEXT: Record<Verdict, string> = {
  better: "better",
  worse: "worse",
  same: "same",
  "n/a": "—",
};

/** `comparison.md`. */
export function comparisonMarkdown(c: Comparison): string {
  const out: string[] = [
    "# Benchmark Comparison",
    "",
    `**Base:** ${describe(c.base)}  `,
    `**New:** ${describe(c.next)}`,
    "",
  ];
  for (const w of c.warnings) out.push(`> ⚠️ ${mdCell(w)}`, "");
  out.push(
    c.regressions.length ? `## ❌ Regressions (${c.regressions.length})` : "## ✅ No regressions",
    "",
  );
  if (c.regressions.length) {
    out.push(
      mdTable(
        ["Metric", "Base", "New", "Change", "Threshold"],
        c.regressions.map((m) => [
          m.name,
          formatMetric(m.def, m.base),
          formatMetric(m.def, m.next),
          m.change,
          m.thresholdText,
        ]),
      ),
      "",
    );
  } else out.push("No metric got worse beyond its threshold.", "");
  out.push(
    "## All metrics",
    "",
    mdTable(
      ["Metric", "Base", "New", "Change", "Verdict", "Threshold"],
      c.metrics.map((m) => [
        m.name,
        formatMetric(m.def, m.base),
        formatMetric(m.def, m.next),
        m.change,
        m.regression ? "**worse (regression)**" : VERDICT_TEXT[m.verdict],
        m.thresholdText,
      ]),
    ),
    "",
    "Suite-level latencies pool every request of the suite. A regression is a change in the " +
      "worse direction beyond the threshold (percent of the base value, or percentage points " +
      "for shares) and beyond the metric's noise floor. Override with " +
      "`--threshold metric=percent`.",
    "",
  );
  if (c.tests.length) {
    out.push(
      "## Per test",
      "",
      "Informational: per-test numbers rest on fewer requests and are not gated.",
      "",
      mdTable(
        ["Suite", "Test", "Metric", "Base", "New", "Change", "Verdict"],
        c.tests.map(({ suite, test, diff }) => [
          suite,
          test,
          diff.name,
          formatMetric(diff.def, diff.base),
          formatMetric(diff.def, diff.next),
          diff.change,
          VERDICT_TEXT[diff.verdict],
        ]),
      ),
      "",
    );
  }
  return out.join("\n");
}
