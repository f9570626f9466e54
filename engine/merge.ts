/**
 * The shard merge: shard outputs (each shard's `run.json`, which holds its full suite
 * results) combined at the test level by suite and name, so the same reporters write them as
 * a normal run. `--workers` merges its workers through {@linkcode mergeSuiteLists} too.
 *
 * @module
 */

import { ConfigError } from "../util/errors.ts";
import type { LoadSpec, RunResult, SuiteResult, TestExtra, TestResult } from "../measure/result.ts";
import { SUITE_NAMES } from "../suites/registry.ts";
import { formatShard, type Shard } from "../load/shard.ts";
import { mergeMetrics } from "../measure/aggregate.ts";

/** `skipped` reason of a suite that is not shardable, on every shard but shard 0. */
export const SHARD_ZERO_ONLY = "not shardable: runs whole on shard 0 only";

/** `extra` fields that add up over shards (rates and counts of open-loop schedules). */
export const ADDITIVE_EXTRA: readonly ("offered_rate" | "achieved_rate" | "scheduled_requests")[] =
  [
    "offered_rate",
    "achieved_rate",
    "scheduled_requests",
  ];

/** Combine the load specs of one test run as shards: requests, concurrency, rates add up. */
export function mergeLoad(loads: readonly LoadSpec[]): LoadSpec {
  const first = loads[0];
  const sum = (f: (l: LoadSpec) => number | null): number | null => {
    let t = 0;
    for (const l of loads) {
      const v = f(l);
      if (v === null) return null;
      t += v;
    }
    return t;
  };
  switch (first.kind) {
    case "closed":
      return {
        kind: "closed",
        requests: sum((l) => l.kind === "closed" ? l.requests : 0)!,
        concurrency: sum((l) => l.kind === "closed" ? l.concurrency : 0)!,
        warmup: sum((l) => l.warmup)!,
      };
    case "open":
      return {
        ...first,
        rate: sum((l) => l.kind === "open" ? l.rate : 0)!,
        requests: sum((l) => l.kind === "open" ? l.requests : null),
        max_in_flight: sum((l) => l.kind === "open" ? l.max_in_flight : null),
        warmup: sum((l) => l.warmup)!,
      };
    case "sequential":
      return {
        kind: "sequential",
        requests: sum((l) => l.kind === "sequential" ? l.requests : 0)!,
        warmup: sum((l) => l.warmup)!,
      };
  }
}

/** Merge of `extra`: {@linkcode ADDITIVE_EXTRA} numbers add up, the rest is shard 0's. */
export function mergeExtra<E extends TestExtra>(extras: readonly E[]): E {
  const out: E = { ...extras[0] };
  for (const key of ADDITIVE_EXTRA) {
    if (extras.every((e) => e[key] !== undefined)) {
      out[key] = extras.reduce((a, e) => a + e[key]!, 0);
    }
  }
  return out;
}

/** Merge the results of one test run as shards (same suite and name). */
export function mergeTests(parts: readonly TestResult[]): TestResult {
  if (parts.length === 1) return parts[0];
  const first = parts[0];
  const notes = [...new Set(parts.flatMap((p) => p.notes))];
  notes.push(`merged from ${parts.length} shards`);
  const { repeat: _first, ...rest } = first;
  const merged: TestResult = {
    ...rest,
    load: mergeLoad(parts.map((p) => p.load)),
    metrics: mergeMetrics(parts.map((p) => p.metrics)),
    interrupted: parts.some((p) => p.interrupted),
    notes,
    extra: mergeExtra(parts.map((p) => p.extra)),
  };
  // Repeats merge repeat by repeat: repeat k of every shard ran at the same time.
  const n = first.repeat?.runs.length ?? 0;
  if (n > 0 && parts.every((p) => p.repeat?.runs.length === n)) {
    merged.repeat = {
      ...first.repeat!,
      runs: [...Array(n).keys()].map((k) => mergeTests(parts.map((p) => p.repeat!.runs[k]))),
    };
  } else if (parts.some((p) => p.repeat)) {
    notes.push("repeats not kept: the shards ran different numbers of them");
  }
  return merged;
}

/** Merge one suite's results from several shards; tests are matched by name, in run order. */
export function mergeSuites(parts: readonly SuiteResult[]): SuiteResult {
  const ran = parts.filter((p) => p.skipped === null);
  if (ran.length === 0) return parts[0];
  if (ran.length === 1) return ran[0];
  const names: string[] = [];
  for (const p of ran) for (const t of p.tests) if (!names.includes(t.name)) names.push(t.name);
  const tests = names.map((name) =>
    mergeTests(ran.flatMap((p) => p.tests.filter((t) => t.name === name)))
  );
  const errors = ran.map((p) => p.error).filter((e): e is string => e !== null);
  return {
    suite: ran[0].suite,
    tests,
    started_at: ran.map((p) => p.started_at).sort()[0],
    finished_at: ran.map((p) => p.finished_at).sort().at(-1)!,
    skipped: null,
    error: errors.length ? [...new Set(errors)].join("; ") : null,
    interrupted: ran.some((p) => p.interrupted),
  };
}

/** Merge per-shard suite lists into one list, suites in their usual run order. */
export function mergeSuiteLists(lists: readonly SuiteResult[][]): SuiteResult[] {
  const order: string[] = [];
  for (const l of lists) for (const s of l) if (!order.includes(s.suite)) order.push(s.suite);
  const rank = (n: string) => SUITE_NAMES.indexOf(n);
  order.sort((a, b) => rank(a) - rank(b));
  return order.map((name) => mergeSuites(lists.flatMap((l) => l.filter((s) => s.suite === name))));
}

/** The shard a run ran as (from its plan, or an older run's config), or null. */
export function shardOf(run: RunResult): Shard | null {
  const load = (run.plan as { load?: { shard?: unknown } } | undefined)?.load;
  const s = (load?.shard ?? run.config?.shard) as Shard | null | undefined;
  return s && typeof s.index === "number" && typeof s.count === "number" ? s : null;
}

/**
 * Check that sharded runs form a complete set 0..n−1 of one n. Runs without shard
 * information (whole loads) may be combined freely. Throws {@linkcode ConfigError}.
 */
export function checkShards(runs: readonly RunResult[]): void {
  const shards = runs.map(shardOf);
  const sharded = shards.filter((s): s is Shard => s !== null);
  if (sharded.length === 0) return;
  if (sharded.length !== runs.length) {
    throw new ConfigError("cannot merge sharded and unsharded runs together");
  }
  const n = sharded[0].count;
  if (sharded.some((s) => s.count !== n)) {
    throw new ConfigError(
      `shards of different splits: ${sharded.map(formatShard).join(", ")}`,
    );
  }
  const seen = new Set<number>();
  for (const s of sharded) {
    if (seen.has(s.index)) throw new ConfigError(`shard ${formatShard(s)} given twice`);
    seen.add(s.index);
  }
  const missing = [...Array(n).keys()].filter((i) => !seen.has(i));
  if (missing.length) {
    throw new ConfigError(
      `incomplete shard set: missing ${missing.map((i) => `${i}/${n}`).join(", ")}`,
    );
  }
}

/** Merge whole runs (shards) into one run result. Throws {@linkcode ConfigError}. */
export function mergeRuns(runs: readonly RunResult[]): RunResult {
  if (runs.length === 0) throw new ConfigError("nothing to merge");
  checkShards(runs);
  const first = runs[0];
  const suites = mergeSuiteLists(runs.map((r) => r.suites));
  return {
    ...first,
    run_id: crypto.randomUUID(),
    started_at: runs.map((r) => r.started_at).sort()[0],
    finished_at: runs.map((r) => r.finished_at).sort().at(-1)!,
    plan: first.plan && withoutShard(first.plan),
    config: first.config && { ...first.config, shard: null },
    merged: {
      shards: runs.length,
      run_ids: runs.map((r) => r.run_id),
      hosts: [...new Set(runs.map((r) => r.host.hostname))],
    },
    suites,
    interrupted: runs.some((r) => r.interrupted),
  };
}

/** A recorded plan with its shard taken out (the merge holds the whole load). */
function withoutShard(plan: Record<string, unknown>): Record<string, unknown> {
  const load = plan.load as Record<string, unknown> | undefined;
  return load ? { ...plan, load: { ...load, shard: null } } : plan;
}
