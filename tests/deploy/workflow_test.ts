/**
 * The GitHub workflow's shell steps, run in order in a copy of the checkout as a runner would,
 * on two nights: the `uses:` steps, which need GitHub, are left out, and the baseline folder the
 * first night keeps stands for the cache the second night restores.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { DEPLOY_DIR } from "../../tools/deploy_check.ts";
import { childPids, isAlive } from "../e2e/_run.ts";
import { SHUTDOWN_DEADLINE_MS } from "../../server/main.ts";
import { freePort } from "../_loopback.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A copy of the checkout: the config and lock copied, everything else linked. */
async function checkout(dir: string): Promise<void> {
  for await (const e of Deno.readDir(ROOT)) {
    if ([".git", "results", "dist", "node_modules"].includes(e.name)) continue;
    if (e.name === "deno.json" || e.name === "deno.lock") {
      await Deno.copyFile(join(ROOT, e.name), join(dir, e.name));
    } else await Deno.symlink(join(ROOT, e.name), join(dir, e.name));
  }
}

type Step = {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
};

/** Whether a step runs, for the conditions the workflow uses (on its default branch). */
function runs(cond: string | undefined, failed: boolean): boolean {
  const c = (cond ?? "success()").replace(/^\$\{\{\s*|\s*\}\}$/g, "").trim();
  if (c === "always()" || c === "!cancelled()") return true;
  if (c === "success()") return !failed;
  if (c === "success() && github.ref_name == github.event.repository.default_branch") {
    return !failed;
  }
  throw new Error(`the test's runner does not know the condition '${c}'`);
}

Deno.test("the GitHub workflow's steps run as a runner would: server, benchmark, summary, compare, baseline", async () => {
  const dir = await Deno.makeTempDir();
  let serverPids: number[] = [];
  try {
    await checkout(dir);
    const wf = parse(await Deno.readTextFile(join(DEPLOY_DIR, "github", "benchmark.yml")));
    const job = wf.jobs.benchmark;
    const steps: Step[] = job.steps;
    const port = freePort();
    const summary = join(dir, "step-summary.md");
    const env: Record<string, string> = {
      ...wf.env,
      ...job.env,
      SERVER_PORT: String(port),
      TARGET_URL: `http://127.0.0.1:${port}`,
      GITHUB_STEP_SUMMARY: summary,
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      NO_COLOR: "1",
    };
    // The kept baseline (what the cache restores): an earlier run of the same server.
    let failed = false;
    const log: { name: string; code: number; out: string }[] = [];
    const runStep = async (s: Step) => {
      const r = await new Deno.Command("bash", {
        args: ["--noprofile", "--norc", "-eo", "pipefail", "-c", s.run!],
        cwd: dir,
        env: { ...env, ...(s.env ?? {}) },
        clearEnv: true,
        stdin: "null",
      }).output();
      const dec = new TextDecoder();
      const out = dec.decode(r.stdout) + dec.decode(r.stderr);
      log.push({ name: s.name ?? "", code: r.code, out });
      if (r.code !== 0) failed = true;
      if (s.name === "Start the server under test") {
        serverPids = childPids(Number(await Deno.readTextFile(join(dir, "server.pid"))));
      }
    };
    const start = steps.find((s) => s.name === "Start the server under test")!;
    const bench = steps.find((s) => s.name === "Benchmark (quick suites)")!;
    assert.ok(start && bench);
    // First night: no baseline yet.
    for (const s of steps) if (!s.uses && runs(s.if, failed)) await runStep(s);
    const first = new Map(log.map((l) => [l.name, l]));
    assert.equal(
      first.get("Benchmark (quick suites)")!.code,
      0,
      first.get("Benchmark (quick suites)")!.out,
    );
    assert.match(first.get("Compare with the baseline")!.out, /no baseline kept yet/);
    const kept = JSON.parse(await Deno.readTextFile(join(dir, "baseline", "run.json")));
    const results = join(dir, env.RESULTS);
    assert.equal(
      kept.run_id,
      JSON.parse(await Deno.readTextFile(join(results, "run.json"))).run_id,
    );
    assert.equal(first.get("Stop the server")!.code, 0);
    // `kill` returns at once; the server stops within its shutdown deadline.
    const until = performance.now() + SHUTDOWN_DEADLINE_MS + 5000;
    while (serverPids.some(isAlive) && performance.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const pid of serverPids) assert.ok(!isAlive(pid), `server ${pid} stopped`);
    const text = await Deno.readTextFile(summary);
    assert.match(text, /# FakeAI Performance Benchmark Summary/);

    // Second night: a fresh results folder, compared with the kept baseline.
    await Deno.remove(results, { recursive: true });
    failed = false;
    log.length = 0;
    for (const s of steps) if (!s.uses && runs(s.if, failed)) await runStep(s);
    const second = new Map(log.map((l) => [l.name, l]));
    assert.equal(second.get("Benchmark (quick suites)")!.code, 0);
    const cmp = second.get("Compare with the baseline")!;
    // Two runs on a shared machine may differ beyond a threshold: compare answers 0 or 4,
    // and either way its report is in the run's folder and on the summary page.
    assert.ok(cmp.code === 0 || cmp.code === 4, cmp.out);
    assert.match(await Deno.readTextFile(join(results, "comparison.md")), /# Benchmark Comparison/);
    assert.match(await Deno.readTextFile(summary), /# Benchmark Comparison/);
    const now = JSON.parse(await Deno.readTextFile(join(dir, "baseline", "run.json")));
    const latest = JSON.parse(await Deno.readTextFile(join(results, "run.json")));
    // The baseline moves on only when the job succeeded.
    assert.equal(now.run_id === latest.run_id, cmp.code === 0);
  } finally {
    for (const pid of serverPids) {
      if (isAlive(pid)) Deno.kill(pid, "SIGKILL");
    }
    await Deno.remove(dir, { recursive: true });
  }
});
