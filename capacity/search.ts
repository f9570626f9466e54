/**
 * Max-load search (docs/ARCHITECTURE.md, "Capacity"): bracket, then bisect the rate (or
 * concurrency) for the highest level whose SLO attainment's 95% lower bound (Wilson score
 * interval) is at or above the target. Bounded in probes and time; the answer is a range —
 * the highest level that passed and the lowest that failed — with every probe kept.
 *
 * @module
 */

import { UsageError } from "../util/errors.ts";

/** What a search varies and how far it may go. */
export interface SearchSpec {
  /** `rate` (open loop) or `concurrency` (closed loop). */
  kind: "rate" | "concurrency";
  /** The first level probed. */
  start: number;
  /** Target attainment, 0–1 (default 0.99). */
  target: number;
  /** Most probes. */
  maxProbes: number;
  /** Most seconds, all probes together. */
  maxSeconds: number;
  /** Bisection stops when high ÷ low is within 1 + this (default 0.1). */
  precision: number;
  /**
   * The most load the server was measured to carry (a capacity probe), when known: the search
   * starts below it and never probes above it.
   */
  ceiling?: number;
  /** True when the user gave the first level (`--rate`, `--concurrency`): no capacity probe. */
  startGiven?: boolean;
}

/** Concurrency of the capacity probe a rate search starts with: enough to saturate a server. */
export const CAPACITY_CONCURRENCY = 128;

/** Requests of the capacity probe: two waves of its concurrency. */
export const CAPACITY_REQUESTS = 2 * CAPACITY_CONCURRENCY;

/** Read `--search rate` / `--search concurrency`. */
export function parseSearchKind(raw: string): SearchSpec["kind"] {
  const k = raw.trim().toLowerCase();
  if (k !== "rate" && k !== "concurrency") {
    throw new UsageError(`--search must be rate or concurrency, got '${raw}'`);
  }
  return k;
}

/** The 95% Wilson score interval of a proportion `met` of `n`. */
export function wilson(met: number, n: number, z = 1.96): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const p = met / n, z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/**
 * Requests a probe needs so that, when every one of them meets the SLOs, the 95% lower bound
 * of its attainment can reach the target: z²·t / (1 − t), with 10% to spare (39 for 90%, 419
 * for 99%). Fewer could never pass, whatever the server does.
 */
export function probeRequests(target: number, given: number): number {
  const z2 = 1.96 * 1.96;
  const need = target >= 1 ? Infinity : Math.ceil(((z2 * target) / (1 - target)) * 1.1);
  return Math.max(given, need);
}

/** One probe of a search. */
export interface SearchProbe {
  /** The level probed. */
  level: number;
  /** Requests counted. */
  requests: number;
  /** Requests that met every SLO. */
  met: number;
  /** met ÷ requests. */
  attainment: number;
  /** 95% interval of the attainment. */
  low: number;
  /** Upper end of that interval. */
  high: number;
  /** True when the interval's lower end reached the target. */
  pass: boolean;
  /** Why a probe that could not pass ended early, if so (interrupted…). */
  note: string | null;
}

/** What a search found. */
export interface SearchOutcome {
  /** The probes, in the order they ran. */
  probes: SearchProbe[];
  /** The highest level that passed, or null when none did. */
  sustained: number | null;
  /** The lowest level above it that failed, or null when none did (the search ran out). */
  failedAt: number | null;
  /** Why the search stopped. */
  stopped: string;
}

/** What one probe measured: SLO counts, or null when it could not run (interrupted). */
export type ProbeFn = (level: number) => Promise<{ requests: number; met: number } | null>;

/**
 * Bracket (double the level until a probe fails, or halve it until one passes), then bisect
 * between the highest pass and the lowest failure.
 */
export async function searchMaxLoad(
  spec: SearchSpec,
  probe: ProbeFn,
  now: () => number = () => performance.now(),
): Promise<SearchOutcome> {
  const t0 = now();
  const probes: SearchProbe[] = [];
  const integer = spec.kind === "concurrency";
  const round = (v: number) => (integer ? Math.max(1, Math.round(v)) : Number(v.toPrecision(4)));
  let low: number | null = null, high: number | null = null;
  const out = (stopped: string): SearchOutcome => ({
    probes,
    sustained: low,
    failedAt: high,
    stopped,
  });
  const budgetLeft = () => {
    if (probes.length >= spec.maxProbes) return `the probe limit (${spec.maxProbes}) was reached`;
    if ((now() - t0) / 1000 >= spec.maxSeconds) {
      return `the time limit (${spec.maxSeconds} s) was reached`;
    }
    return null;
  };
  const run = async (level: number): Promise<boolean | null> => {
    const r = await probe(level);
    if (r === null) return null;
    const ci = wilson(r.met, r.requests);
    const pass = r.requests > 0 && ci.low >= spec.target;
    probes.push({
      level,
      requests: r.requests,
      met: r.met,
      attainment: r.requests > 0 ? r.met / r.requests : 0,
      low: ci.low,
      high: ci.high,
      pass,
      note: null,
    });
    return pass;
  };
  // Bracket: double until a probe fails, or halve until one passes; never above the ceiling.
  const ceiling = spec.ceiling !== undefined ? round(spec.ceiling) : Infinity;
  let level = round(Math.min(spec.start, ceiling));
  while (true) {
    const why = budgetLeft();
    if (why) return out(`${why} while bracketing`);
    const pass = await run(level);
    if (pass === null) return out("interrupted");
    if (pass) {
      low = level;
      if (high !== null) break;
      if (level >= ceiling) return out("it sustains the measured capacity");
      level = round(Math.min(level * 2, ceiling));
    } else {
      high = level;
      if (low !== null) break;
      const lower = round(level / 2);
      if (lower === level || level <= (integer ? 1 : 0.01)) {
        return out("even the lowest level failed the target");
      }
      level = lower;
    }
  }
  // Bisect.
  while (low !== null && high !== null && high / low > 1 + spec.precision) {
    const why = budgetLeft();
    if (why) return out(why);
    const mid = round((low + high) / 2);
    if (mid === low || mid === high) break;
    const pass = await run(mid);
    if (pass === null) return out("interrupted");
    if (pass) low = mid;
    else high = mid;
  }
  return out(
    `the range is within ${spec.precision * 100}%${integer ? " (or adjacent levels)" : ""}`,
  );
}
