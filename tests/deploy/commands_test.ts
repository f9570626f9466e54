/**
 * The commands inside the deploy files, run for real: the Kubernetes CronJobs' arguments and
 * the systemd service's ExecStart and ExecStopPost, against a server this test starts, each in
 * a folder standing for its volume or state directory. (The workflow: workflow_test.ts.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEPLOY_DIR, UNIT_EXECUTABLE, yamlDocuments } from "../../tools/deploy_check.ts";
import { runProgram, spawnServe } from "../e2e/_run.ts";

/** Run the program with `args` in `cwd`; its output, both streams, for failure messages. */
async function program(args: string[], cwd: string) {
  const r = await runProgram(args, {}, cwd);
  return { code: r.code, out: r.stdout + r.stderr };
}

/** The run folders under `dir` (each holding a run.json), up to two levels down. */
async function runsUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isDirectory) continue;
    try {
      await Deno.stat(join(dir, e.name, "run.json"));
      out.push(join(dir, e.name));
    } catch {
      // not a run
    }
  }
  return out;
}

type Container = {
  args: string[];
  workingDir: string;
  env?: { name: string; value?: string }[];
};

/** The CronJobs of cronjob.yaml: name and container. */
async function cronJobs(): Promise<{ name: string; c: Container }[]> {
  const docs = yamlDocuments(await Deno.readTextFile(join(DEPLOY_DIR, "k8s", "cronjob.yaml")));
  // deno-lint-ignore no-explicit-any
  return docs.filter((d) => d.kind === "CronJob").map((d: any) => ({
    name: d.metadata.name,
    c: d.spec.jobTemplate.spec.template.spec.containers[0],
  }));
}

/** A container's arguments as Kubernetes expands them, its volume path moved to `root`. */
function expand(c: Container, env: Record<string, string>, root: string): string[] {
  const vars: Record<string, string> = {};
  for (const e of c.env ?? []) if (e.value !== undefined) vars[e.name] = e.value;
  Object.assign(vars, env);
  return c.args.map((a) =>
    a.replace(/\$\(([A-Z_]+)\)/g, (m, v) => vars[v] ?? m).replaceAll(c.workingDir, root)
  );
}

/** The systemd service's settings (one value per key; the last wins, as for these keys). */
async function serviceSettings(): Promise<Map<string, string>> {
  const text = await Deno.readTextFile(join(DEPLOY_DIR, "systemd", "fakeai-bench.service"));
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = line.match(/^([A-Za-z]+)=(.*)$/);
    if (m) out.set(m[1] === "Environment" ? `Environment:${m[2].split("=")[0]}` : m[1], m[2]);
  }
  return out;
}

/** A unit's command line as systemd runs it: `${VAR}` expanded, split on blanks. */
function unitCommand(line: string, env: Record<string, string>, state: string, root: string) {
  const words = line.replace(/^-/, "").split(/\s+/).filter((w) => w !== "");
  assert.equal(words[0], UNIT_EXECUTABLE);
  return words.slice(1).map((w) =>
    w.replace(/\$\{([A-Z_]+)\}/g, (m, v) => env[v] ?? m).replaceAll(state, root)
  );
}

Deno.test("the CronJobs' and the systemd service's commands run against a server and keep their runs and trends", async () => {
  const server = await spawnServe([]);
  const dir = await Deno.makeTempDir();
  try {
    // Kubernetes: the benchmark CronJob, then the trend CronJob, on one volume.
    const jobs = await cronJobs();
    assert.deepEqual(jobs.map((j) => j.name), ["fakeai-bench", "fakeai-bench-trend"]);
    const vol = join(dir, "k8s");
    await Deno.mkdir(vol);
    const env = { TARGET_URL: server.url };
    // systemd: ExecStart, then ExecStopPost, in the state directory.
    const unit = await serviceSettings();
    const state = unit.get("WorkingDirectory")!;
    assert.equal(state, "/var/lib/fakeai-bench");
    assert.equal(unit.get("Type"), "oneshot");
    const home = join(dir, "systemd");
    await Deno.mkdir(home);
    const unitEnv = {
      TARGET_URL: unit.get("Environment:TARGET_URL")!.split("=")[1].replace(
        "http://127.0.0.1:8000",
        server.url,
      ),
    };
    // Both benchmarks at once (the memory suite mostly waits), then both trends.
    const [k8sRun, unitRun] = await Promise.all([
      program(expand(jobs[0].c, env, vol), vol),
      program(unitCommand(unit.get("ExecStart")!, unitEnv, state, home), home),
    ]);
    assert.equal(k8sRun.code, 0, k8sRun.out);
    assert.equal(unitRun.code, 0, unitRun.out);
    for (const base of [vol, home]) {
      const runs = await runsUnder(join(base, "results"));
      assert.equal(runs.length, 1, `one run kept under ${base}/results`);
      const run = JSON.parse(await Deno.readTextFile(join(runs[0], "run.json")));
      assert.deepEqual(
        run.suites.map((s: { suite: string }) => s.suite),
        ["throughput", "kv-cache", "concurrent", "memory"],
      );
      assert.equal(run.server.base_url, server.url);
    }
    const k8sTrend = await program(expand(jobs[1].c, env, vol), vol);
    assert.equal(k8sTrend.code, 0, k8sTrend.out);
    const unitTrend = await program(
      unitCommand(unit.get("ExecStopPost")!, unitEnv, state, home),
      home,
    );
    assert.equal(unitTrend.code, 0, unitTrend.out);
    for (const base of [vol, home]) {
      for (const f of ["trend.md", "trend.json", "trend.html"]) {
        assert.ok((await Deno.stat(join(base, "trend", f))).size > 0, `${base}/trend/${f}`);
      }
    }
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
