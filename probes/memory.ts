/**
 * Server memory for the memory suite: where it comes from (the embedded server's process,
 * `--server-pid`, the process listening on the `--url` port, or `--metrics-url`), a sampler
 * on a timer independent of requests, and the leak analysis (Theil–Sen slope of memory
 * against completed requests, Sen's 95% interval, and the drain check).
 *
 * The client's own process is never measured in the server's place.
 *
 * @module
 */

import { publicUrl, redactCommand } from "../util/redact.ts";
import {
  findListeningProcesses,
  isThisHost,
  processExists,
  readCmdline,
  readProcMemory,
} from "./proc.ts";
import { RSS_METRIC, scrapeResidentMemory } from "./prom.ts";
import { median, theilSen } from "../measure/fit.ts";

/** Where the server's memory is read from (`memory_source` in the reports). */
export interface MemorySource {
  /** `/proc/<pid>/status` on this host, or a Prometheus gauge. */
  kind: "proc" | "prometheus";
  /** PID of the measured process (null for Prometheus). */
  pid: number | null;
  /** Its command line, secrets redacted (null when unknown). */
  command: string | null;
  /** Metrics URL (null for /proc). */
  url: string | null;
  /** How the source was chosen, in words. */
  how: string;
}

/** Which quantity the leak fit uses. */
export type MemoryKind = "rss_anon_swap" | "rss";

/** One reading, in bytes. */
export interface MemoryReading {
  /** Resident set size. */
  rss: number;
  /** Anonymous resident memory, when known. */
  rssAnon: number | null;
  /** Swapped-out memory, when known. */
  swap: number | null;
}

/** A memory source ready to be read. */
export interface MemoryProbe {
  /** Where it reads from. */
  source: MemorySource;
  /** The quantity the leak fit uses for this source. */
  kind: MemoryKind;
  /** One reading. Throws when the source went away. */
  read(): Promise<MemoryReading>;
}

/** Inputs of {@linkcode resolveMemorySource}. */
export interface MemorySourceOptions {
  /** True when the target is the embedded server. */
  embedded: boolean;
  /** PID of the embedded server's child process. */
  embeddedPid: number | null;
  /** `--server-pid`. */
  serverPid: number | null;
  /** Target base URL (`--url` or the embedded server's). */
  baseUrl: string;
  /** `--metrics-url`. */
  metricsUrl: string | null;
  /** Secrets to redact from command lines. */
  secrets?: readonly (string | null | undefined)[];
  /** This process's PID (never measured); default `Deno.pid`. */
  selfPid?: number;
}

/** A source was found, or the reason none could be. */
export type MemorySourceResult =
  | { ok: true; probe: MemoryProbe; notes: string[] }
  | { ok: false; reason: string };

async function procProbe(
  pid: number,
  how: string,
  secrets: readonly (string | null | undefined)[],
): Promise<MemoryProbe> {
  const first = await readProcMemory(pid);
  const cmd = await readCmdline(pid);
  return {
    source: {
      kind: "proc",
      pid,
      command: cmd === null ? null : redactCommand(cmd, secrets),
      url: null,
      how,
    },
    kind: first.rssAnon !== null ? "rss_anon_swap" : "rss",
    read: () => readProcMemory(pid),
  };
}

async function promProbe(url: string, how: string): Promise<MemoryProbe> {
  await scrapeResidentMemory(url);
  return {
    source: { kind: "prometheus", pid: null, command: null, url: publicUrl(url), how },
    kind: "rss",
    read: async () => ({
      rss: (await scrapeResidentMemory(url)).bytes,
      rssAnon: null,
      swap: null,
    }),
  };
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message.split("\n")[0] : String(err);
}

function defaultPort(u: URL): number {
  if (u.port) return Number(u.port);
  return u.protocol === "https:" ? 443 : 80;
}

/**
 * Choose the memory source, in this order: the embedded server's child process;
 * `--server-pid`; the process listening on the `--url` port when the host is this machine;
 * `--metrics-url` (`process_resident_memory_bytes`). An explicit `--server-pid` that cannot
 * be read is an answer (no source), not a reason to guess another process.
 */
export async function resolveMemorySource(
  opts: MemorySourceOptions,
): Promise<MemorySourceResult> {
  const self = opts.selfPid ?? Deno.pid;
  const secrets = opts.secrets ?? [];
  const tried: string[] = [];
  const notes: string[] = [];
  if (opts.embedded && opts.embeddedPid !== null) {
    if (opts.serverPid !== null) {
      notes.push(`--server-pid ${opts.serverPid} ignored: the embedded server is measured`);
    }
    try {
      const probe = await procProbe(opts.embeddedPid, "the embedded server's child process", [
        ...secrets,
      ]);
      return { ok: true, probe, notes };
    } catch (err) {
      tried.push(`embedded server PID ${opts.embeddedPid}: /proc not readable (${errText(err)})`);
      try {
        const url = new URL("metrics", opts.baseUrl.replace(/\/?$/, "/")).href;
        const probe = await promProbe(url, `the embedded server's ${RSS_METRIC} (no /proc)`);
        return { ok: true, probe, notes };
      } catch (err2) {
        tried.push(`embedded server /metrics: ${errText(err2)}`);
      }
    }
  } else if (opts.serverPid !== null) {
    if (opts.serverPid === self) {
      return {
        ok: false,
        reason: `--server-pid ${opts.serverPid} is this benchmark's own process; ` +
          "the client is never measured in the server's place",
      };
    }
    if (!(await processExists(opts.serverPid))) {
      return {
        ok: false,
        reason: `--server-pid ${opts.serverPid}: no such process, or /proc/${opts.serverPid}` +
          "/status is not readable (Linux only; needs --allow-all)",
      };
    }
    try {
      const probe = await procProbe(opts.serverPid, "--server-pid", secrets);
      return { ok: true, probe, notes };
    } catch (err) {
      return { ok: false, reason: `--server-pid ${opts.serverPid}: ${errText(err)}` };
    }
  } else {
    const found = await fromPort(opts.baseUrl, self, secrets, tried);
    if (found) return { ok: true, probe: found, notes };
  }
  if (opts.metricsUrl !== null) {
    try {
      const probe = await promProbe(opts.metricsUrl, `--metrics-url (${RSS_METRIC})`);
      return { ok: true, probe, notes };
    } catch (err) {
      tried.push(`--metrics-url ${publicUrl(opts.metricsUrl)}: ${errText(err)}`);
    }
  } else {
    tried.push("no --metrics-url");
  }
  return {
    ok: false,
    reason: `no way to read the server's memory (${tried.join("; ")}); give --server-pid ` +
      "for a server on this host or --metrics-url for one exposing " + RSS_METRIC,
  };
}

async function fromPort(
  baseUrl: string,
  self: number,
  secrets: readonly (string | null | undefined)[],
  tried: string[],
): Promise<MemoryProbe | null> {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    tried.push(`cannot parse ${baseUrl}`);
    return null;
  }
  const host = u.hostname.replace(/^\[|\]$/g, "");
  if (!isThisHost(host)) {
    tried.push(`${host} is not this host, so its process cannot be looked up`);
    return null;
  }
  const port = defaultPort(u);
  const literal = /^[\d.]+$|:/.test(host) ? host : null;
  let owner;
  try {
    owner = await findListeningProcesses(port, literal);
  } catch (err) {
    tried.push(`port ${port}: /proc/net/tcp not readable (${errText(err)})`);
    return null;
  }
  if (owner.sockets.length === 0) {
    tried.push(
      `no listening socket on port ${port} in this network namespace ` +
        "(a container's published port is owned by another namespace)",
    );
    return null;
  }
  const pids = owner.pids.filter((p) => p !== self);
  if (pids.length === 0) {
    tried.push(
      owner.pids.includes(self)
        ? `port ${port} is held by this benchmark's own process, which is never measured`
        : `no readable process holds the socket on port ${port} (another user's process?)`,
    );
    return null;
  }
  let pid = pids[0];
  let how = `the process listening on port ${port}`;
  if (pids.length > 1) {
    // Pre-forking servers share the socket; the worker with the most anonymous memory is
    // the one that does the work.
    let best = -1;
    for (const p of pids) {
      try {
        const m = await readProcMemory(p);
        const v = m.rssAnon ?? m.rss;
        if (v > best) [best, pid] = [v, p];
      } catch {
        // gone or unreadable
      }
    }
    how += ` (${pids.length} processes share it: ${pids.join(", ")}; measuring the one with ` +
      "the most anonymous memory)";
  }
  try {
    return await procProbe(pid, how, secrets);
  } catch (err) {
    tried.push(`PID ${pid} on port ${port}: ${errText(err)}`);
    return null;
  }
}

/** Phase of a memory snapshot. */
export type MemoryPhase = "baseline" | "load" | "drain";

/** One sample (`snapshots[]` in the reports). */
export interface MemorySnapshot {
  /** Seconds since the test started (start of the baseline). */
  t_s: number;
  /** Phase. */
  phase: MemoryPhase;
  /** Requests completed (any outcome) when the sample was taken. */
  requests: number;
  /** VmRSS in MiB. */
  rss_mb: number;
  /** RssAnon in MiB (null from Prometheus). */
  anon_mb: number | null;
  /** VmSwap in MiB (null from Prometheus). */
  swap_mb: number | null;
  /** The fitted quantity: RssAnon + VmSwap, or RSS. */
  value_mb: number;
}

const MB = 1024 * 1024;

/** The value the leak fit uses for a reading. */
export function fittedValue(r: MemoryReading, kind: MemoryKind): number {
  return kind === "rss_anon_swap" && r.rssAnon !== null ? r.rssAnon + (r.swap ?? 0) : r.rss;
}

/** Options of {@linkcode MemorySampler}. */
export interface SamplerOptions {
  /** Sampling period in ms (1000 in the suite). */
  intervalMs: number;
  /** Completed-request count at the moment of a sample. */
  requests: () => number;
}

/**
 * Reads a probe on absolute deadlines (t0 + k·interval), independent of requests. A read
 * slower than the interval skips the ticks it overran. Read errors are counted; the sampler
 * keeps trying until stopped.
 */
export class MemorySampler {
  /** The samples so far. */
  readonly snapshots: MemorySnapshot[] = [];
  /** Failed reads. */
  errors = 0;
  /** The last read error. */
  lastError: string | null = null;
  /** Phase stamped on the next samples. */
  phase: MemoryPhase = "baseline";
  #probe: MemoryProbe;
  #opts: SamplerOptions;
  #t0 = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | null = null;
  #stopped = false;

  /** A sampler for a probe. */
  constructor(probe: MemoryProbe, opts: SamplerOptions) {
    this.#probe = probe;
    this.#opts = opts;
  }

  /** Start sampling now (the first sample is taken immediately); t = 0 is now. */
  start(): void {
    this.#t0 = performance.now();
    this.#tick(0);
  }

  /** Seconds since start. */
  elapsedS(): number {
    return (performance.now() - this.#t0) / 1000;
  }

  /** Take one sample now, outside the schedule (e.g. at a phase boundary). */
  async sampleNow(): Promise<void> {
    await this.#running;
    await this.#sample();
  }

  #tick(k: number): void {
    if (this.#stopped) return;
    this.#running = this.#sample().finally(() => {
      this.#running = null;
      if (this.#stopped) return;
      const now = performance.now();
      let next = k + 1;
      while (this.#t0 + next * this.#opts.intervalMs <= now) next++;
      this.#timer = setTimeout(
        () => this.#tick(next),
        this.#t0 + next * this.#opts.intervalMs - now,
      );
    });
  }

  async #sample(): Promise<void> {
    const phase = this.phase;
    try {
      const r = await this.#probe.read();
      const t = this.elapsedS();
      const requests = this.#opts.requests();
      this.snapshots.push({
        t_s: t,
        phase,
        requests,
        rss_mb: r.rss / MB,
        anon_mb: r.rssAnon === null ? null : r.rssAnon / MB,
        swap_mb: r.swap === null ? null : r.swap / MB,
        value_mb: fittedValue(r, this.#probe.kind) / MB,
      });
    } catch (err) {
      this.errors++;
      this.lastError = errText(err);
    }
  }

  /** Stop sampling; resolves once no read is in flight. */
  async stop(): Promise<MemorySnapshot[]> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    return this.snapshots;
  }
}

/** The leak verdict. */
export type LeakVerdict = "leak" | "no leak" | "inconclusive" | "interrupted";

/** Options of {@linkcode analyzeMemory}. */
export interface AnalysisOptions {
  /** A slope whose interval lies above this (KB per request) may be a leak. */
  thresholdKbPerRequest: number;
  /** Share of the load phase (by time) left out of the fit as warm-up (default 0.2). */
  warmupFraction?: number;
  /** Share of the load-phase growth the drain must give back to count as returned (0.5). */
  returnFraction?: number;
  /** Fewer load samples than this after warm-up gives "inconclusive" (default 5). */
  minPoints?: number;
  /** Confidence of the interval (default 0.95). */
  confidence?: number;
  /**
   * The test was cut short (an interrupt during load or drain): its samples cannot support a
   * verdict, so it gets "interrupted", never "leak".
   */
  interrupted?: boolean;
}

/** What the leak analysis concluded (field names as in the reports). */
export interface MemoryAnalysis {
  /** Verdict. */
  verdict: LeakVerdict;
  /** Why, in one sentence. */
  verdict_reason: string;
  /** Theil–Sen slope of value_mb against completed requests, in KB (KiB) per request. */
  slope_kb_per_request: number;
  /** Lower bound of its confidence interval. */
  ci_low_kb_per_request: number;
  /** Upper bound of its confidence interval. */
  ci_high_kb_per_request: number;
  /** Confidence of the interval. */
  ci_confidence: number;
  /** Fitted value at 0 requests: value_mb = intercept_mb + slope_kb_per_request/1024 × requests. */
  intercept_mb: number;
  /** The slope in MB per minute at the load phase's completion rate. */
  slope_mb_per_min: number;
  /** Completed requests per minute in the fitted window. */
  requests_per_min: number;
  /** Median of the baseline samples. */
  baseline_mb: number;
  /** Median of the last few load samples. */
  load_end_mb: number;
  /** Median of the second half of the drain samples. */
  drain_mb: number;
  /** Highest value over all samples. */
  peak_mb: number;
  /** Share of the load growth given back during the drain (null when there was no growth). */
  drain_returned_fraction: number | null;
  /** The threshold used. */
  threshold_kb_per_request: number;
  /** Samples in the fit. */
  fit_points: number;
  /** Seconds of the load phase left out as warm-up. */
  warmup_s: number;
  /**
   * Theil–Sen slope (KB per request) of what stayed after the collections: the lowest value of
   * each of {@linkcode ENVELOPE_WINDOWS} stretches of the fitted window. A garbage-collected
   * heap climbs between collections and falls at each: its climb is not a leak unless what
   * remains after the falls climbs too. Null with too few samples.
   */
  retained_kb_per_request: number | null;
  /**
   * Theil–Sen slopes (KB per request) of the fitted window's first and second halves: growth
   * that continues shows in both. Null with too few samples.
   */
  halves_kb_per_request: [number, number] | null;
}

/** The slopes (KB per request) of the two halves of the fitted window, or null. */
function halvesKb(fitted: readonly MemorySnapshot[]): [number, number] | null {
  if (fitted.length < 6) return null;
  const mid = Math.floor(fitted.length / 2);
  const slope = (part: readonly MemorySnapshot[]) => {
    const f = theilSen(part.map((s) => s.requests), part.map((s) => s.value_mb), 0.95);
    return f.pairs === 0 ? NaN : f.slope * 1024;
  };
  const a = slope(fitted.slice(0, mid)), b = slope(fitted.slice(mid));
  return Number.isFinite(a) && Number.isFinite(b) ? [a, b] : null;
}

/** Stretches of the fitted window whose lowest values make the retained-memory envelope. */
export const ENVELOPE_WINDOWS = 6;

/** The retained-memory envelope's slope (KB per request), or null with too few samples. */
function retainedSlopeKb(fitted: readonly MemorySnapshot[]): number | null {
  if (fitted.length < ENVELOPE_WINDOWS * 2) return null;
  const xs: number[] = [], ys: number[] = [];
  for (let w = 0; w < ENVELOPE_WINDOWS; w++) {
    const part = fitted.slice(
      Math.floor((w * fitted.length) / ENVELOPE_WINDOWS),
      Math.floor(((w + 1) * fitted.length) / ENVELOPE_WINDOWS),
    );
    if (part.length === 0) continue;
    const low = part.reduce((m, s) => (s.value_mb < m.value_mb ? s : m));
    xs.push(low.requests);
    ys.push(low.value_mb);
  }
  const fit = theilSen(xs, ys, 0.95);
  return fit.pairs === 0 ? null : fit.slope * 1024;
}

function medianOf(s: readonly MemorySnapshot[]): number {
  return s.length ? median(s.map((x) => x.value_mb)) : NaN;
}

const kb = (v: number) => `${v.toFixed(2)} KB`;

/**
 * Fit value_mb against completed requests over the load phase after its warm-up, and decide:
 * "leak" when the interval's lower bound is above the threshold and the drain gives back less
 * than `returnFraction` of the growth; "no leak" when the upper bound is at or below the
 * threshold, or when the growth was given back during the drain; "inconclusive" otherwise
 * (the interval straddles the threshold, or too few samples).
 */
export function analyzeMemory(
  snapshots: readonly MemorySnapshot[],
  opts: AnalysisOptions,
): MemoryAnalysis {
  const threshold = opts.thresholdKbPerRequest;
  const warmupFraction = opts.warmupFraction ?? 0.2;
  const returnFraction = opts.returnFraction ?? 0.5;
  const minPoints = opts.minPoints ?? 5;
  const confidence = opts.confidence ?? 0.95;
  const baseline = snapshots.filter((s) => s.phase === "baseline");
  const load = snapshots.filter((s) => s.phase === "load");
  const drain = snapshots.filter((s) => s.phase === "drain");
  const loadStart = load.length ? load[0].t_s : 0;
  const loadEnd = load.length ? load[load.length - 1].t_s : 0;
  const warmupS = (loadEnd - loadStart) * warmupFraction;
  const fitted = load.filter((s) => s.t_s >= loadStart + warmupS);
  const fit = theilSen(fitted.map((s) => s.requests), fitted.map((s) => s.value_mb), confidence);
  const first = fitted[0], last = fitted[fitted.length - 1];
  const rpm = first && last && last.t_s > first.t_s
    ? ((last.requests - first.requests) / (last.t_s - first.t_s)) * 60
    : 0;
  const baselineMb = medianOf(baseline.length ? baseline : load.slice(0, 1));
  const loadEndMb = medianOf(load.slice(-Math.max(1, Math.ceil(load.length * 0.1))));
  const drainMb = medianOf(drain.slice(Math.floor(drain.length / 2)));
  const peak = snapshots.reduce((m, s) => Math.max(m, s.value_mb), -Infinity);
  const growth = loadEndMb - baselineMb;
  const returned = drain.length && growth > 0 ? (loadEndMb - drainMb) / growth : null;
  const slopeKb = fit.slope * 1024, lowKb = fit.low * 1024, highKb = fit.high * 1024;
  const retained = retainedSlopeKb(fitted);
  const halves = halvesKb(fitted);
  let verdict: LeakVerdict;
  let reason: string;
  const interval = `95% interval [${kb(lowKb)}, ${kb(highKb)}] per request`;
  // Memory that ended under load and after the drain no higher than where it started did not
  // grow, whatever a noisy slope says.
  const neverRose = load.length > 0 && baseline.length > 0 && loadEndMb <= baselineMb &&
    (drain.length === 0 || drainMb <= baselineMb);
  if (opts.interrupted) {
    verdict = "interrupted";
    reason = "the test was interrupted, so its load or drain phase is cut short: no verdict";
  } else if (fitted.length < minPoints || fit.pairs === 0) {
    verdict = "inconclusive";
    reason = `only ${fitted.length} samples under load after warm-up (need ${minPoints})`;
  } else if (lowKb > threshold) {
    if (halves !== null && Math.min(...halves) <= threshold) {
      verdict = "no leak";
      reason = `grew ${kb(slopeKb)} per request over the load (${interval}), but not in both ` +
        `halves of it (${kb(halves[0])}, then ${kb(halves[1])} per request): memory that ` +
        "settled or grew back after a collection, not growth that keeps on";
    } else if (retained !== null && retained <= threshold) {
      verdict = "no leak";
      reason = `climbed ${kb(slopeKb)} per request between collections (${interval}), but ` +
        `what remained after them grew ${kb(retained)} per request, within ` +
        `${kb(threshold)}: memory reclaimed in cycles, not a leak`;
    } else if (returned !== null && returned >= returnFraction) {
      verdict = "no leak";
      reason = `grew ${kb(slopeKb)} per request under load (${interval}) but gave back ` +
        `${(returned * 100).toFixed(0)}% of it while idle: held memory, not a leak`;
    } else {
      verdict = "leak";
      reason = `${interval} lies above ${kb(threshold)} per request` +
        (retained !== null
          ? `, what remained after collections grew ${kb(retained)} per request`
          : "") +
        (drain.length
          ? ` and memory stayed up while idle (${
            returned === null ? "no" : `${(returned * 100).toFixed(0)}%`
          } given back)`
          : "; no drain phase to check that it stays");
    }
  } else if (highKb <= threshold) {
    verdict = "no leak";
    reason = `${interval} lies at or below ${kb(threshold)} per request`;
  } else if (neverRose) {
    verdict = "no leak";
    reason = `memory never rose above its baseline of ${baselineMb.toFixed(2)} MB (load end ` +
      `${loadEndMb.toFixed(2)} MB${drain.length ? `, drain ${drainMb.toFixed(2)} MB` : ""})`;
  } else {
    verdict = "inconclusive";
    reason = `${interval} straddles the threshold of ${kb(threshold)} per request ` +
      "(more requests narrow it)";
  }
  return {
    verdict,
    verdict_reason: reason,
    slope_kb_per_request: slopeKb,
    ci_low_kb_per_request: lowKb,
    ci_high_kb_per_request: highKb,
    ci_confidence: confidence,
    intercept_mb: fit.intercept,
    slope_mb_per_min: fit.slope * rpm,
    requests_per_min: rpm,
    baseline_mb: baselineMb,
    load_end_mb: loadEndMb,
    drain_mb: drainMb,
    peak_mb: Number.isFinite(peak) ? peak : NaN,
    drain_returned_fraction: returned,
    threshold_kb_per_request: threshold,
    fit_points: fitted.length,
    warmup_s: warmupS,
    retained_kb_per_request: retained,
    halves_kb_per_request: halves,
  };
}
