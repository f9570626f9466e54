/**
 * `deno task gates:check [--pairs N]`: how often `compare` is wrong, measured. N pairs of
 * identical quick throughput runs on the embedded server (each run starts its own) count the
 * false alarms; N pairs with a real change count the detections: a server whose time to
 * first token is 20% longer, and one whose throughput is 20% lower (tokens 25% slower). The
 * changed servers are the embedded server's constant profile (FakeAI's timing) started with
 * `serve`, whose TTFT and ITL are set exactly.
 *
 * Loads go to 127.0.0.1 only. Takes several minutes; not part of the tests.
 *
 * @module
 */

import { join } from "node:path";
import { V8_FLAGS_ARG } from "../engine/target.ts";

const ENTRY = new URL("../main.ts", import.meta.url).pathname;
const pairs = Number(Deno.args[Deno.args.indexOf("--pairs") + 1] ?? 20) || 20;

async function program(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", V8_FLAGS_ARG, ENTRY, ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A `serve` child on a free port; stop kills it (it is ours, by PID). */
async function serve(flags: string[]): Promise<{ url: string; stop(): Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", ENTRY, "serve", "--host", "127.0.0.1", "--port", "0", ...flags],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("serve ended before listening");
    text += value;
    const m = /Listening on (http:\/\/[^\s/]+)/.exec(text);
    if (m) {
      reader.releaseLock();
      return {
        url: m[1],
        async stop() {
          child.kill("SIGTERM");
          await child.stdout.cancel().catch(() => {});
          await child.status;
        },
      };
    }
  }
}

const QUICK = ["--quick", "--suite", "throughput", "-q", "--no-server-metrics"];

async function quickRun(dir: string, target: string[] = []): Promise<void> {
  const r = await program([...QUICK, ...target, "-o", dir]);
  if (r.code !== 0) throw new Error(`run failed (${r.code}): ${r.stderr}`);
}

/** `compare`'s exit code and the metrics it named as regressions. */
async function compare(a: string, b: string): Promise<{ fired: boolean; metrics: string[] }> {
  const r = await program(["compare", a, b]);
  if (r.code !== 0 && r.code !== 4) throw new Error(`compare failed (${r.code}): ${r.stderr}`);
  const metrics = [...r.stderr.matchAll(/(throughput\.[a-z0-9_]+) [0-9.]+/g)].map((m) => m[1]);
  return { fired: r.code === 4, metrics: [...new Set(metrics)] };
}

const FAKEAI = ["--profile", "constant", "--ttft-ms", "20", "--itl-ms", "5"];
const changes: { name: string; flags: string[]; expect: RegExp }[] = [
  {
    name: "TTFT +20%",
    flags: ["--profile", "constant", "--ttft-ms", "24", "--itl-ms", "5"],
    expect: /ttft/,
  },
  {
    name: "throughput −20%",
    flags: ["--profile", "constant", "--ttft-ms", "20", "--itl-ms", "6.25"],
    expect: /rps|output_tps/,
  },
];

const root = await Deno.makeTempDir({ prefix: "gates-check-" });
try {
  console.error(`gates:check: ${pairs} pairs of each kind; this takes several minutes`);
  let alarms = 0;
  const alarmMetrics = new Map<string, number>();
  for (let i = 0; i < pairs; i++) {
    const a = join(root, `same-${i}-a`), b = join(root, `same-${i}-b`);
    await quickRun(a);
    await quickRun(b);
    const c = await compare(a, b);
    if (c.fired) {
      alarms++;
      for (const m of c.metrics) alarmMetrics.set(m, (alarmMetrics.get(m) ?? 0) + 1);
    }
    console.error(
      `  identical pair ${i + 1}: ${
        c.fired ? `FALSE ALARM (${c.metrics.join(", ")})` : "no regression"
      }`,
    );
  }
  const detected: number[] = [];
  for (const change of changes) {
    let hits = 0;
    for (let i = 0; i < pairs; i++) {
      const base = await serve(FAKEAI);
      const a = join(root, `${i}-${change.name}-a`), b = join(root, `${i}-${change.name}-b`);
      try {
        await quickRun(a, ["--url", base.url]);
      } finally {
        await base.stop();
      }
      const changed = await serve(change.flags);
      try {
        await quickRun(b, ["--url", changed.url]);
      } finally {
        await changed.stop();
      }
      const c = await compare(a, b);
      const hit = c.fired && c.metrics.some((m) => change.expect.test(m));
      if (hit) hits++;
      console.error(
        `  ${change.name} pair ${i + 1}: ${hit ? "detected" : "MISSED"} (${
          c.metrics.join(", ") || "none"
        })`,
      );
    }
    detected.push(hits);
  }
  console.log(`\ncompare on quick throughput runs, ${pairs} pairs each:`);
  console.log(
    `  identical builds (embedded server): ${alarms} false alarm(s) of ${pairs}` +
      (alarms ? ` (${[...alarmMetrics].map(([m, n]) => `${m} ×${n}`).join(", ")})` : ""),
  );
  changes.forEach((c, i) => console.log(`  ${c.name}: detected ${detected[i]} of ${pairs}`));
} finally {
  await Deno.remove(root, { recursive: true });
}
