/** The deploy files pass their validators, and each validator rejects a broken file. */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkManifests,
  checkUnits,
  checkWorkflow,
  deployFiles,
  haveSystemdAnalyze,
} from "../../tools/deploy_check.ts";

const files = await deployFiles();
const systemd = await haveSystemdAnalyze();
if (!systemd) console.error("systemd-analyze is not installed: the systemd unit tests are skipped");

Deno.test("the GitHub workflow passes @action-validator/cli; a misspelt key does not", async () => {
  assert.ok(files.workflows.some((f) => f.endsWith("benchmark.yml")));
  for (const f of files.workflows) assert.deepEqual(await checkWorkflow(f), [], f);
  const dir = await Deno.makeTempDir();
  try {
    const bad = join(dir, "bad.yml");
    const text = await Deno.readTextFile(files.workflows[0]);
    await Deno.writeTextFile(bad, text.replace("runs-on:", "runs-onn:"));
    const problems = await checkWorkflow(bad);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /runs-onn/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every Kubernetes manifest passes the API schemas; wrong types and unknown fields do not", async () => {
  const names = files.manifests.map((f) => f.split("/").at(-1));
  for (const n of ["cronjob.yaml", "shards-job.yaml", "merge-job.yaml"]) {
    assert.ok(names.includes(n), n);
  }
  for (const f of files.manifests) assert.deepEqual(await checkManifests(f), [], f);
  const dir = await Deno.makeTempDir();
  try {
    const text = await Deno.readTextFile(files.manifests.find((f) => f.endsWith("cronjob.yaml"))!);
    const unknown = join(dir, "unknown.yaml");
    await Deno.writeTextFile(unknown, text.replace("workingDir: /runs", "workDir: /runs"));
    const p1 = await checkManifests(unknown);
    assert.equal(p1.length, 1, p1.join("\n"));
    assert.match(p1[0], /workDir/);
    const wrong = join(dir, "wrong.yaml");
    await Deno.writeTextFile(wrong, text.replace('schedule: "0 * * * *"', "schedule: 5"));
    const p2 = await checkManifests(wrong);
    assert.ok(p2.some((p) => /schedule must be string/.test(p)), p2.join("\n"));
    const misspelt = join(dir, "misspelt.yaml");
    await Deno.writeTextFile(misspelt, text.replace("image: fakeai-bench:latest", "imag: x"));
    assert.ok((await checkManifests(misspelt)).some((p) => /"imag"/.test(p)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "the systemd service and timer pass systemd-analyze verify; a bad calendar does not",
  ignore: !systemd,
  fn: async () => {
    assert.deepEqual(files.units.map((f) => f.split("/").at(-1)), [
      "fakeai-bench.service",
      "fakeai-bench.timer",
    ]);
    assert.deepEqual(await checkUnits(files.units), []);
    const dir = await Deno.makeTempDir();
    try {
      const service = join(dir, "fakeai-bench.service");
      const timer = join(dir, "fakeai-bench.timer");
      await Deno.copyFile(files.units[0], service);
      const text = await Deno.readTextFile(files.units[1]);
      await Deno.writeTextFile(timer, text.replace("OnCalendar=hourly", "OnCalendar=hourlyy"));
      const problems = await checkUnits([service, timer]);
      assert.equal(problems.length, 1);
      assert.match(problems[0], /calendar specification/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
