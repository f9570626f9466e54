/**
 * The run's outputs (`--out KIND=TARGET`): each completed test goes to every output as it
 * completes, in the background. An output that cannot be reached never fails or slows the
 * benchmark: sends have a short timeout, at most {@linkcode MAX_PENDING} tests wait per output
 * (older ones are dropped, and counted), and the run says once, at its end, what was not
 * delivered. Result files are written whatever the outputs do.
 *
 * @module
 */

import type { TestResult } from "../measure/result.ts";
import { BODY_LIMITS, getBounded } from "../net/bounded.ts";
import { UsageError } from "../util/errors.ts";
import { type RunLabels, type Sample, testSamples, textFormat } from "./metrics.ts";

// The protobuf encoders load when an output first needs them: protobufjs is a CommonJS package,
// and loading one brings up Deno's Node compatibility layer, megabytes of resident memory that
// every run without these outputs would otherwise carry through its load.
let remoteWrite: Promise<typeof import("./remote_write.ts")> | null = null;
let otlp: Promise<typeof import("./otlp.ts")> | null = null;

/** The kinds of `--out`. */
export const OUTPUT_KINDS = ["prometheus-rw", "pushgateway", "openmetrics", "otlp"] as const;

/** A kind of output. */
export type OutputKind = typeof OUTPUT_KINDS[number];

/** One `--out KIND=TARGET`. */
export interface OutputSpec {
  /** The kind. */
  kind: OutputKind;
  /** URL (prometheus-rw, pushgateway, otlp) or file (openmetrics). */
  target: string;
}

/** Tests waiting per output while it does not answer; older ones are dropped. */
export const MAX_PENDING = 256;

/** Timeout of one send (ms). */
export const SEND_TIMEOUT_MS = 5000;

/** Parse `--out KIND=TARGET`. Throws {@linkcode UsageError}. */
export function parseOutput(raw: string): OutputSpec {
  const eq = raw.indexOf("=");
  const kind = OUTPUT_KINDS.find((k) => k === raw.slice(0, eq).trim());
  const target = raw.slice(eq + 1).trim();
  if (eq < 0 || !kind || target === "") {
    throw new UsageError(
      `--out expects KIND=TARGET with KIND one of ${OUTPUT_KINDS.join(", ")}, got '${raw}'`,
    );
  }
  if (kind !== "openmetrics") {
    let u: URL;
    try {
      u = new URL(target);
    } catch {
      throw new UsageError(`--out ${kind}: '${target}' is not a URL`);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      throw new UsageError(`--out ${kind}: the URL must be http or https`);
    }
  }
  return { kind, target };
}

/** Parse `--tag k=v` labels. Throws {@linkcode UsageError}. */
export function parseTags(raw: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of raw) {
    const eq = t.indexOf("=");
    const k = t.slice(0, eq), v = t.slice(eq + 1);
    if (eq < 1 || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k) || k.startsWith("__")) {
      throw new UsageError(`--tag expects NAME=VALUE with a Prometheus label name, got '${t}'`);
    }
    if (["run_id", "suite", "test", "target", "model", "outcome", "quantile"].includes(k)) {
      throw new UsageError(`--tag ${k}: that label is the tool's own`);
    }
    out[k] = v;
  }
  return out;
}

/** What became of one output. */
export interface OutputReport {
  /** The output, as given. */
  spec: OutputSpec;
  /** Tests delivered. */
  delivered: number;
  /** Tests not delivered (failed sends, and tests dropped while it did not answer). */
  lost: number;
  /** The last failure, or null. */
  error: string | null;
}

/** The outputs of a run. */
export interface Outputs {
  /** A test completed (returns at once). */
  test(suite: string, result: TestResult): void;
  /** A window of the test in progress (returns at once): time-series outputs only. */
  window(samples: Sample[]): void;
  /** True when some output takes windows (remote write, OTLP). */
  readonly wantsWindows: boolean;
  /** Wait for what is pending (at most a send timeout each) and say what became of each. */
  close(): Promise<OutputReport[]>;
}

interface Sink {
  report: OutputReport;
  /** Takes the windows of tests in progress (time series), not only completed tests. */
  windows?: boolean;
  send(samples: readonly Sample[]): Promise<void>;
  finish?(): Promise<void>;
}

async function post(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string>,
  method = "POST",
) {
  const { status, text } = await getBounded(url, {
    method,
    headers,
    body,
    timeoutMs: SEND_TIMEOUT_MS,
    maxBytes: BODY_LIMITS.error,
    what: "answer",
  });
  if (status < 200 || status >= 300) {
    throw new Error(`HTTP ${status}${text ? `: ${text.split("\n")[0].slice(0, 200)}` : ""}`);
  }
}

function sinkOf(spec: OutputSpec, run: RunLabels): Sink {
  const report: OutputReport = { spec, delivered: 0, lost: 0, error: null };
  switch (spec.kind) {
    case "prometheus-rw":
      return {
        report,
        windows: true,
        send: async (samples) => {
          const { remoteWriteBody, REMOTE_WRITE_HEADERS } = await (remoteWrite ??= import(
            "./remote_write.ts"
          ));
          await post(spec.target, remoteWriteBody(samples, Date.now()), REMOTE_WRITE_HEADERS);
        },
      };
    case "otlp":
      return {
        report,
        windows: true,
        send: async (samples) => {
          const { encodeOtlp } = await (otlp ??= import("./otlp.ts"));
          await post(spec.target, encodeOtlp(samples, Date.now()), {
            "content-type": "application/x-protobuf",
            "user-agent": "fakeai-bench",
          });
        },
      };
    case "pushgateway": {
      // One group per run, replaced by each push with everything sent so far: a finished job's
      // results stay until the next run of the same id (never, by design) or an operator.
      const all: Sample[] = [];
      const url = `${spec.target.replace(/\/+$/, "")}/metrics/job/fakeai-bench/run_id/${
        encodeURIComponent(run.run_id)
      }`;
      return {
        report,
        send: (samples) => {
          all.push(...samples);
          return post(
            url,
            textFormat(all.map((s) => {
              const { run_id: _r, ...labels } = s.labels;
              return { ...s, labels };
            })),
            { "content-type": "text/plain; version=0.0.4" },
            "PUT",
          );
        },
      };
    }
    case "openmetrics": {
      const all: Sample[] = [];
      return {
        report,
        send: (samples) => {
          all.push(...samples);
          return Promise.resolve();
        },
        finish: async () => {
          const tmp = `${spec.target}.tmp-${Deno.pid}`;
          await Deno.writeTextFile(tmp, textFormat(all, true));
          await Deno.rename(tmp, spec.target);
        },
      };
    }
  }
}

/** Start the outputs of a run (none: a no-op set). */
export function openOutputs(specs: readonly OutputSpec[], run: RunLabels): Outputs {
  const sinks = specs.map((s) => ({
    sink: sinkOf(s, run),
    queue: [] as Sample[][],
    counted: [] as boolean[],
    busy: null as Promise<void> | null,
    current: false,
  }));
  let closed = false;
  // Windows of tests in progress are best effort: dropped, not counted, when an output lags.
  const enqueue = (o: typeof sinks[number], samples: Sample[], counted: boolean) => {
    if (!counted && o.queue.length > 0) return;
    if (o.queue.length >= MAX_PENDING) {
      o.queue.shift();
      if (o.counted.shift()) o.sink.report.lost++;
    }
    o.queue.push(samples);
    o.counted.push(counted);
    pump(o);
  };
  const pump = (o: typeof sinks[number]) => {
    if (o.busy) return;
    o.busy = (async () => {
      while (o.queue.length > 0 && !closed) {
        const next = o.queue.shift()!;
        const counted = o.counted.shift()!;
        o.current = counted;
        try {
          await o.sink.send(next);
          if (counted) o.sink.report.delivered++;
        } catch (err) {
          if (counted) o.sink.report.lost++;
          o.sink.report.error = err instanceof Error ? err.message.split("\n")[0] : String(err);
        }
      }
      o.busy = null;
    })();
  };
  return {
    test(suite, result) {
      const samples = testSamples(run, suite, result);
      for (const o of sinks) enqueue(o, samples, true);
    },
    window(samples) {
      for (const o of sinks) if (o.sink.windows) enqueue(o, samples, false);
    },
    wantsWindows: sinks.some((o) => o.sink.windows),
    async close() {
      // What is still pending gets one send timeout in all, whatever the outputs do; what it
      // does not deliver by then is counted lost.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<void>((r) => timer = setTimeout(r, SEND_TIMEOUT_MS + 500));
      await Promise.race([
        Promise.all(sinks.map(async (o) => {
          while (o.busy) await o.busy;
        })),
        deadline,
      ]);
      clearTimeout(timer);
      closed = true;
      for (const o of sinks) {
        if (o.busy && o.current) o.sink.report.lost++; // the test in flight
        o.sink.report.lost += o.counted.filter(Boolean).length;
        o.queue.length = 0;
        o.counted.length = 0;
        if (o.sink.finish) {
          try {
            await o.sink.finish();
          } catch (err) {
            o.sink.report.lost = o.sink.report.delivered;
            o.sink.report.delivered = 0;
            o.sink.report.error = err instanceof Error ? err.message.split("\n")[0] : String(err);
          }
        }
      }
      return sinks.map((o) => o.sink.report);
    },
  };
}

/** One line per output that did not get everything, for the run to print; none when all did. */
export function undelivered(reports: readonly OutputReport[]): string[] {
  return reports.filter((r) => r.lost > 0).map((r) =>
    `--out ${r.spec.kind}=${r.spec.target}: ${r.lost} test(s) not delivered, ${r.delivered} delivered` +
    (r.error ? ` (${r.error})` : "")
  );
}
