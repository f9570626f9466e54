/**
 * The target of a run: a server at `--url`, probed; or the embedded server, started as a
 * child process of this same program and always stopped at the end.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BenchError, ExitCode, TargetError } from "../util/errors.ts";
import { BODY_LIMITS, getBounded } from "../net/bounded.ts";
import {
  type HttpClientKind,
  normalizeBaseUrl,
  type ProbeResult,
  probeTarget,
} from "../net/client.ts";

/** A target ready to be benchmarked. */
export interface Target {
  /** Normalised base URL. */
  baseUrl: string;
  /** What the probe learnt. */
  probe: ProbeResult;
  /** True when this run started the server. */
  embedded: boolean;
  /** PID of the embedded server (null for an external one). */
  pid: number | null;
  /** Stop the embedded server (no-op for an external one). Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * V8 flags the program runs with, everywhere it runs: `deno task bench`/`serve`, the compiled
 * executable, the embedded server it re-runs, and the perf harness's client. A 5 MB semi-space
 * (V8's default grows to 16 MB) keeps the young generation small: RSS follows the heap V8
 * commits, not the live heap (peak RSS at 1000 streams ~160 MB with the default, ~136 MB with
 * 4 MB, RSS growth over 1M requests ~82 against ~34 MB, the request rate the same).
 *
 * Why 5 and not 4: at 1,000 streams a stream's pending read (the runtime's promise objects) lives
 * one chunk gap, and it is promoted to the old generation when it is still pending at two
 * scavenges in a row. Scavenges come each time the load has allocated a semi-space: at ~2.5 KB
 * per chunk, 4 MB is ~1.6 chunk gaps of 1,000 streams, 5 MB ~2, so far fewer reads outlive two
 * (`--trace-gc`: the old generation grew ~3 against ~12 MB/s) and the peak RSS fell from ~122 to
 * ~98 MB (three rounds each, side by side), with the ITL error p99 the same at 200 streams
 * (median of eight 4.56 against 4.55 ms) and at 1,000 (median of 18 rounds 37.1 against 35.6 ms,
 * six of 18 over 40 ms either way, a spread of 16-68 ms). The interval scales with streams, not
 * with the gap: at 1,500 streams the peak was the same with 4, 5 or 6 MB (138-144 MB). Larger
 * semi-spaces cost the tail: 8 MB reached ~97 MB too but raised the ITL error p99 at 200 streams
 * (median 4.37 against 3.72 ms over 14 rounds) and at 1,000, where two scavenges in a row at the
 * request boundaries took 6-7 ms each. A smaller heap growing factor
 * (`--heap-growing-percent=30`) also lowers the peak but runs more full collections, which stall
 * every stream's stamps at once: not used (docs/performance.md).
 *
 * A 32 MB initial old generation: V8 starts with a small old-generation limit and ran its first
 * full collection about a second into a load of a few hundred streams (at ~11 MB); its marking
 * stalls every stream's stamps at once, the largest single burst of a run's ITL-error tail. With
 * the larger start, a 5 s load of 200 streams ran no full collection and a 20 s one one instead of
 * three or four (side by side); the peak RSS at 1000 streams, the growth over 1M requests and the
 * memory suite's verdicts on the embedded server were unchanged.
 */
export const V8_FLAGS: readonly string[] = [
  "--max-semi-space-size=5",
  "--initial-old-space-size=32",
];

/** {@linkcode V8_FLAGS} as one `deno` argument. */
export const V8_FLAGS_ARG = `--v8-flags=${V8_FLAGS.join(",")}`;

/**
 * The command that re-runs this program: under `deno run` it is `deno run --allow-all
 * <entry>`, once compiled it is the executable itself. `entry` defaults to the main module,
 * `exec` to this process's executable.
 */
export function selfCommand(
  args: string[],
  entry: string = Deno.mainModule,
  exec: string = Deno.execPath(),
): { cmd: string; args: string[] } {
  const name = exec.split(/[\\/]/).pop() ?? basename(exec);
  if (!/^deno(\.exe)?$/i.test(name)) return { cmd: exec, args };
  const path = entry.startsWith("file:") ? fileURLToPath(entry) : entry;
  const pre = ["run", "--allow-all", "--no-prompt", V8_FLAGS_ARG];
  const config = findConfig(dirname(path));
  if (config) pre.push("--config", config);
  return { cmd: exec, args: [...pre, path, ...args] };
}

function findConfig(dir: string): string | null {
  for (let d = dir, i = 0; i < 4; i++, d = dirname(d)) {
    const candidate = join(d, "deno.json");
    try {
      if (Deno.statSync(candidate).isFile) return candidate;
    } catch {
      // keep looking upwards
    }
    if (dirname(d) === d) break;
  }
  return null;
}

/** Options of {@linkcode startEmbeddedServer}. */
export interface EmbeddedOptions {
  /** Extra `serve` flags (`--ttft-ms 50`…). */
  serveArgs?: string[];
  /** Program entry to re-run (defaults to the main module). */
  entry?: string;
  /** How long to wait for the server to listen (ms). */
  startTimeoutMs?: number;
  /** Told the child's PID as soon as it is spawned (so an interrupt can kill it). */
  onSpawn?: (pid: number) => void;
}

/** A running embedded server. */
export interface EmbeddedServer {
  /** Base URL. */
  url: string;
  /** PID of the child process. */
  pid: number;
  /** Stop it (SIGTERM, then SIGKILL after a grace period). Safe to call twice. */
  stop(): Promise<void>;
}

/** Start `serve --port 0` as a child process and wait until it listens and is healthy. */
export async function startEmbeddedServer(opts: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  const { cmd, args } = selfCommand(
    [
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      // It exits once this process is gone, even after a SIGKILL that left no time to stop it.
      "--parent-pid",
      String(Deno.pid),
      ...(opts.serveArgs ?? []),
    ],
    opts.entry,
  );
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    // Its own process group: a terminal's Ctrl-C reaches only this program, which lets
    // in-flight requests finish their grace period before it stops the server itself.
    detached: true,
  }).spawn();
  opts.onSpawn?.(child.pid);
  const status = child.status;
  let exited = false;
  status.then(() => exited = true);
  const stderrLines: string[] = [];
  drainLines(child.stderr, (line) => {
    stderrLines.push(line);
    if (stderrLines.length > 20) stderrLines.shift();
  });
  let resolveUrl: (url: string) => void;
  const urlPromise = new Promise<string>((r) => resolveUrl = r);
  drainLines(child.stdout, (line) => {
    const m = line.match(/Listening on (https?:\/\/[^\s/]+)/);
    if (m) resolveUrl(m[1]);
  });
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= (async () => {
      if (exited) return;
      try {
        child.kill("SIGTERM");
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          if (!exited) child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }, 3000);
      await status;
      clearTimeout(timer);
    })();
    return stopped;
  };
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const url = await Promise.race([
    urlPromise,
    status.then(() => null),
    new Promise<null>((r) => timer = setTimeout(() => r(null), timeoutMs)),
  ]);
  clearTimeout(timer);
  if (url === null) {
    await stop();
    throw new BenchError(
      `the embedded server did not start: ${stderrLines.slice(-3).join(" | ") || "no output"}`,
      ExitCode.Internal,
    );
  }
  for (let i = 0; i < 100; i++) {
    try {
      const res = await getBounded(`${url}/health`, {
        timeoutMs: 1000,
        maxBytes: BODY_LIMITS.health,
        what: "/health body",
      });
      if (res.status === 200) break;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, pid: child.pid, stop };
}

function drainLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): void {
  (async () => {
    let buf = "";
    try {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        buf += text;
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          onLine(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      }
      if (buf) onLine(buf);
    } catch {
      // the child went away
    }
  })();
}

/** Options of {@linkcode openTarget}. */
export interface OpenTargetOptions {
  /** `--url`, or null for the embedded server. */
  url: string | null;
  /** API key. */
  apiKey: string | null;
  /** Seed passed to the embedded server. */
  seed: number;
  /** Extra flags for the embedded server. */
  serveArgs?: string[];
  /** Program entry to re-run for the embedded server. */
  entry?: string;
  /** Told the embedded server's PID as soon as it is spawned. */
  onSpawn?: (pid: number) => void;
  /** The transport the load will use; the probe uses it too (default `native`). */
  http?: HttpClientKind;
}

/** Probe `--url`, or start and probe the embedded server. Throws {@linkcode TargetError}. */
export async function openTarget(opts: OpenTargetOptions): Promise<Target> {
  if (opts.url !== null) {
    const baseUrl = normalizeBaseUrl(opts.url);
    const probe = await probeTarget(baseUrl, { apiKey: opts.apiKey ?? undefined, http: opts.http });
    return { baseUrl, probe, embedded: false, pid: null, stop: () => Promise.resolve() };
  }
  const server = await startEmbeddedServer({
    serveArgs: ["--seed", String(opts.seed), ...(opts.serveArgs ?? [])],
    entry: opts.entry,
    onSpawn: opts.onSpawn,
  });
  try {
    const probe = await probeTarget(server.url, {
      apiKey: opts.apiKey ?? undefined,
      http: opts.http,
    });
    return { baseUrl: server.url, probe, embedded: true, pid: server.pid, stop: server.stop };
  } catch (err) {
    await server.stop();
    if (err instanceof TargetError) throw err;
    throw err;
  }
}
