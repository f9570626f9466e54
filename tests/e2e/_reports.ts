/**
 * Checks that hold for every report set the program writes, whatever suites it ran: every
 * per-suite JSON file (`*_results.json`) and every test in `run.json` must account for each
 * request exactly once, keep failures out of latency statistics, and cap error samples. New
 * suites are covered as soon as their reports exist.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { suiteNamed } from "../../suites/registry.ts";

/** Most error samples a test may carry. */
export const MAX_SAMPLES = 10;

/** What {@linkcode checkReports} looked at. */
export interface ReportsSeen {
  /** Files in the folder. */
  files: string[];
  /** Per-test objects checked in `*_results.json` files. */
  jsonTests: number;
  /** Tests checked in `run.json`. */
  runTests: number;
  /** Requests counted over every test of `run.json`. */
  requests: number;
  /** `run.json`, parsed. */
  run: RunJson;
}

/** The parts of `run.json` these checks read. */
export interface RunJson {
  schema_version: string;
  run_id: string;
  interrupted: boolean;
  server: { pid: number | null };
  suites: {
    suite: string;
    skipped: string | null;
    interrupted: boolean;
    tests: {
      name: string;
      interrupted: boolean;
      streaming: boolean;
      load: { kind: string; requests?: number | null; warmup: number };
      metrics: {
        total_requests: number;
        successful_requests: number;
        failed_requests: number;
        outcomes: Record<string, number>;
        latency: { count: number };
        ttft: { count: number };
        latencies: number[];
        error_samples: string[];
      };
    }[];
  }[];
}

function sum(o: Record<string, number>): number {
  return Object.values(o).reduce((a, b) => a + b, 0);
}

/** Accounting of one test, whatever its shape: JSON report object or `run.json` metrics. */
function checkCounts(
  where: string,
  m: {
    total: number;
    ok: number;
    failed: number;
    outcomes: Record<string, number>;
    latencyCount: number | null;
    ttftCount: number | null;
    samples: unknown;
  },
): void {
  assert.ok(m.outcomes && typeof m.outcomes === "object", `${where}: no outcomes`);
  for (const [k, v] of Object.entries(m.outcomes)) {
    assert.ok(Number.isInteger(v) && v >= 0, `${where}: outcome ${k} = ${v}`);
  }
  assert.equal(sum(m.outcomes), m.total, `${where}: outcomes do not add up to total_requests`);
  assert.equal(m.outcomes.ok ?? 0, m.ok, `${where}: successes != outcomes.ok`);
  assert.equal(m.failed, m.total - m.ok, `${where}: failed != total - ok`);
  if (m.latencyCount !== null) {
    assert.equal(m.latencyCount, m.ok, `${where}: latency statistics hold a failed request`);
  }
  if (m.ttftCount !== null) assert.ok(m.ttftCount <= m.ok, `${where}: TTFT of a failure`);
  assert.ok(Array.isArray(m.samples), `${where}: error samples missing`);
  const samples = m.samples as unknown[];
  assert.ok(samples.length <= MAX_SAMPLES, `${where}: ${samples.length} error samples`);
  if (m.failed > 0) assert.ok(samples.length > 0, `${where}: failures without a sample`);
  if (m.failed === 0) assert.equal(samples.length, 0, `${where}: samples without failures`);
}

/**
 * Check every report in `dir`: all files parse, every test accounts for each request once,
 * failures stay out of latency statistics, samples are capped. With `interrupted`, the run
 * and every suite report the interrupt reached must say so. Throws an assertion error.
 */
export async function checkReports(
  dir: string,
  opts: { interrupted?: boolean } = {},
): Promise<ReportsSeen> {
  const files: string[] = [];
  for await (const e of Deno.readDir(dir)) files.push(e.name);
  files.sort();
  const leftovers = files.filter((f) => f.endsWith(".tmp"));
  assert.deepEqual(leftovers, [], "temporary files left behind");
  const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json"))) as RunJson;
  assert.equal(typeof run.schema_version, "string");
  let runTests = 0;
  let requests = 0;
  for (const s of run.suites) {
    for (const t of s.tests) {
      const m = t.metrics;
      checkCounts(`run.json ${s.suite} / ${t.name}`, {
        total: m.total_requests,
        ok: m.successful_requests,
        failed: m.failed_requests,
        outcomes: m.outcomes,
        latencyCount: m.latency.count,
        ttftCount: m.ttft.count,
        samples: m.error_samples,
      });
      assert.ok(m.latencies.length <= m.successful_requests);
      runTests++;
      requests += m.total_requests;
    }
  }
  let jsonTests = 0;
  for (const f of files.filter((f) => f.endsWith("_results.json"))) {
    const doc = JSON.parse(await Deno.readTextFile(join(dir, f)));
    assert.ok(Array.isArray(doc), `${f} is not an array of tests`);
    for (const [i, t] of (doc as Record<string, unknown>[]).entries()) {
      const where = `${f}[${i}] ${t.test_name ?? t.name ?? ""}`;
      assert.equal(typeof t.schema_version, "string", `${where}: no schema_version`);
      assert.equal(typeof t.interrupted, "boolean", `${where}: no interrupted flag`);
      const latency = t.latency as { count?: number } | null | undefined;
      const ttft = t.ttft as { count?: number } | null | undefined;
      checkCounts(where, {
        total: t.total_requests as number,
        ok: t.successful_requests as number,
        failed: t.failed_requests as number,
        outcomes: t.outcomes as Record<string, number>,
        latencyCount: latency?.count ?? null,
        ttftCount: ttft?.count ?? null,
        samples: t.error_messages,
      });
      jsonTests++;
    }
  }
  for (const f of files.filter((f) => f.endsWith(".md"))) {
    const text = await Deno.readTextFile(join(dir, f));
    assert.ok(text.startsWith("# "), `${f} does not start with a title`);
  }
  // Every suite that ran or was cut short by an interrupt has its report pair.
  for (const s of run.suites) {
    const rep = suiteNamed(s.suite)?.reporter;
    if (!rep || (s.skipped !== null && !s.interrupted)) continue;
    assert.ok(files.includes(`${rep.file}.json`), `${rep.file}.json missing`);
    assert.ok(files.includes(`${rep.file}.md`), `${rep.file}.md missing`);
  }
  if (opts.interrupted !== undefined) {
    assert.equal(run.interrupted, opts.interrupted, "run.json interrupted flag");
  }
  if (opts.interrupted) {
    const summary = await Deno.readTextFile(join(dir, "BENCHMARK_SUMMARY.md"));
    assert.match(summary, /Interrupted/);
    assert.ok(run.suites.some((s) => s.interrupted), "no suite marked interrupted");
    for (const s of run.suites.filter((s) => s.interrupted)) {
      const rep = suiteNamed(s.suite)?.reporter;
      if (!rep) continue;
      const md = await Deno.readTextFile(join(dir, `${rep.file}.md`));
      assert.match(md, /Interrupted/, `${rep.file}.md is not marked interrupted`);
    }
    // Once interrupted, no later suite ran.
    const first = run.suites.findIndex((s) => s.interrupted);
    for (const s of run.suites.slice(first + 1)) {
      assert.equal(s.tests.length, 0, `${s.suite} ran after the interrupt`);
      assert.equal(s.interrupted, true, `${s.suite} after the interrupt is not marked`);
    }
  }
  return { files, jsonTests, runTests, requests, run };
}
