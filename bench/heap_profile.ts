/**
 * Where the client's promoted bytes come from: runs one `client_probe.ts` measurement under
 * V8's sampling heap profiler, keeping only allocations that outlive young collections (the
 * bytes that are promoted to the old generation and bring on the full collections that stall
 * every stream's stamps), and prints the allocation sites that hold most of them, each with its
 * last four frames.
 *
 * ```sh
 * deno run -A bench/heap_profile.ts '{"mode":"load","url":"http://127.0.0.1:8000",
 *   "stream":true,"concurrency":200,"seconds":6,"maxTokens":50}' [--after-ms 2500]
 *   [--sample-ms 3000] [--top 30] [--all] [--no-inlining]
 * ```
 *
 * The probe runs with the program's V8 flags and its inspector on a loopback port the runtime
 * picks; sampling starts `--after-ms` after the probe does (past its warm-up) and lasts
 * `--sample-ms`, so the probe's `seconds` should cover both. It prints the sampled total and one
 * line per site. The sampling is statistical (one sample per 2 KB allocated): compare sites and
 * runs side by side. `--all` keeps every allocation, the ones young collections took as well (where
 * the allocation rate, and so how often scavenges come, is spent); `--no-inlining` turns V8's
 * inlining off, so an allocation is charged to the function that made it rather than to the
 * optimized caller it was inlined into (slower, so for sites, not for rates).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { V8_FLAGS_ARG } from "../engine/target.ts";

/** V8 flags that keep each function's allocations charged to it rather than to its caller. */
const NO_INLINING = "--no-turbo-inlining,--no-maglev-inlining";

/** One node of V8's sampling heap profile. */
interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/** An allocation site: bytes sampled and the last frames of its stack. */
export interface Site {
  bytes: number;
  stack: string;
}

/** The allocation sites of a profile, largest first. */
export function sitesOf(head: ProfileNode, depth = 4): Site[] {
  const sites: Site[] = [];
  const walk = (node: ProfileNode, stack: string[]) => {
    const f = node.callFrame;
    const file = f.url.split("/").slice(-2).join("/");
    const here = [...stack, `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`];
    if (node.selfSize > 0) {
      sites.push({ bytes: node.selfSize, stack: here.slice(-depth).join(" < ") });
    }
    for (const c of node.children) walk(c, here);
  };
  walk(head, []);
  return sites.sort((a, b) => b.bytes - a.bytes);
}

/** A minimal Chrome DevTools Protocol session over a WebSocket. */
class Session {
  #id = 0;
  readonly #pending = new Map<number, (result: unknown) => void>();
  readonly #ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      const done = this.#pending.get(msg.id);
      if (done) {
        this.#pending.delete(msg.id);
        done(msg.result);
      }
    };
  }

  /** Connect to the inspector at `url` (the `ws://` address the runtime printed). */
  static async open(url: string): Promise<Session> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    return new Session(ws);
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.#id;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve as (r: unknown) => void);
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.#ws.close();
  }
}

/**
 * The inspector's address, read from the child's stderr ("Debugger listening on ws://…"); the
 * rest of its stderr is drained in the background so the child never blocks on it.
 */
async function inspectorUrl(stderr: ReadableStream<Uint8Array>): Promise<string> {
  const lines = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (true) {
    const { value, done } = await lines.read();
    if (done) throw new Error("the probe ended before its inspector listened");
    text += value;
    const m = /Debugger listening on (ws:\/\/\S+)/.exec(text);
    if (m !== null) {
      (async () => {
        while (!(await lines.read()).done) { /* drained */ }
      })().catch(() => {});
      return m[1];
    }
  }
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      "after-ms": { type: "string", default: "2500" },
      "sample-ms": { type: "string", default: "3000" },
      top: { type: "string", default: "30" },
      all: { type: "boolean", default: false },
      "no-inlining": { type: "boolean", default: false },
    },
  });
  if (positionals.length !== 1) {
    console.error(
      "usage: heap_profile.ts '<client_probe spec JSON>' [--after-ms N] " +
        "[--sample-ms N] [--top N] [--all] [--no-inlining]",
    );
    Deno.exit(2);
  }
  const probe = new URL("./client_probe.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--inspect-wait=127.0.0.1:0",
      values["no-inlining"] ? `${V8_FLAGS_ARG},${NO_INLINING}` : V8_FLAGS_ARG,
      probe,
      positionals[0],
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    const s = await Session.open(await inspectorUrl(child.stderr));
    await s.send("HeapProfiler.enable");
    await s.send("Runtime.runIfWaitingForDebugger");
    await new Promise((r) => setTimeout(r, Number(values["after-ms"])));
    await s.send("HeapProfiler.startSampling", {
      samplingInterval: 2048,
      includeObjectsCollectedByMinorGC: values.all,
      includeObjectsCollectedByMajorGC: true,
    });
    await new Promise((r) => setTimeout(r, Number(values["sample-ms"])));
    const { profile } = await s.send<{ profile: { head: ProfileNode } }>(
      "HeapProfiler.stopSampling",
    );
    s.close();
    const sites = sitesOf(profile.head);
    const total = sites.reduce((sum, x) => sum + x.bytes, 0);
    const what = values.all ? "allocated" : "outlived young collections";
    console.log(`${what}: ${(total / 1048576).toFixed(2)} MB sampled`);
    for (const site of sites.slice(0, Number(values.top))) {
      console.log(`${(site.bytes / 1024).toFixed(0).padStart(7)} KB  ${site.stack}`);
    }
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // already ended
    }
    await child.status;
  }
}
