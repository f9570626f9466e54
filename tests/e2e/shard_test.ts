import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { join } from "node:path";
import { ENTRY, runProgram } from "./_run.ts";
import { percentile } from "../../measure/summary.ts";

/** A deterministic server: fixed delay, fixed TTFT and ITL, no jitter, no prefill cost. */
const SERVE = [
  "--latency-ms",
  "30",
  "--ttft-ms",
  "20",
  "--itl-ms",
  "4",
  "--ttft-variance",
  "0",
  "--itl-variance",
  "0",
  "--prefill-ms-per-token",
  "0",
];

/** Start `serve --port 0` as our own child process; stop it by its PID. */
async function serve(): Promise<{ url: string; stop(): Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL(ENTRY).pathname, "serve", "--port", "0", ...SERVE],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let url: string | null = null;
  while (url === null) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${text}`);
    text += value;
    url = text.match(/Listening on (http:\/\/[^\s/]+)/)?.[1] ?? null;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return {
    url,
    stop: async () => {
      Deno.kill(child.pid, "SIGTERM");
      await child.status;
    },
  };
}

interface TestJson {
  test_name: string;
  streaming: boolean;
  total_requests: number;
  successful_requests: number;
  total_output_tokens: number;
  load: { requests: number; concurrency: number };
  latency: Summary;
  latencies: number[];
  ttft: Summary | null;
  tpot: Summary | null;
  /** Every TTFT and TPOT of the test, ascending (a shard has fewer than the 1,000 kept). */
  ttft_samples?: number[];
  tpot_samples?: number[];
  window_start_epoch_s: number;
  histograms: { latency: string; ttft: string };
}
interface Summary {
  count: number;
  p50: number;
  p90: number;
  source: string;
  relative_error: number;
}

async function tests(dir: string): Promise<TestJson[]> {
  return JSON.parse(await Deno.readTextFile(join(dir, "throughput_results.json")));
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

function bench(url: string, out: string, ...extra: string[]) {
  return runProgram(["--url", url, "--quick", "--suite", "throughput", "-q", "-o", out, ...extra]);
}

/**
 * A merged percentile is a percentile of the pooled requests, read from the merged histogram:
 * it lies between the pooled order statistics that the interpolated percentile and the
 * histogram's rank (HDR's ⌈p·n⌉-th value) fall on, give or take the histogram's relative
 * error. The pooled requests are the shards' own samples (every one kept: a shard has fewer
 * than the chart's 1,000 points). Checked within the run's own data: two runs taken at
 * different times on a busy host never match closely enough to compare.
 */
function withinPooled(label: string, merged: Summary, parts: readonly number[][]): void {
  const sorted = parts.flat().sort((a, b) => a - b);
  const n = sorted.length;
  assert.equal(n, merged.count, `${label}: every shard's samples`);
  for (const [k, p] of [["p50", 0.5], ["p90", 0.9]] as const) {
    const ranks = [Math.floor((n - 1) * p), Math.ceil((n - 1) * p), Math.ceil(p * n) - 1];
    const lo = Math.min(...ranks.map((r) => sorted[r])),
      hi = Math.max(...ranks.map((r) => sorted[r]));
    const e = merged.relative_error;
    assert.ok(
      merged[k] >= lo * (1 - e) - 1e-9 && merged[k] <= hi * (1 + e) + 1e-9,
      `${label} ${k}: merged ${merged[k]} outside the pooled [${lo}, ${hi}]`,
    );
  }
}

openTest(
  "three shard processes merged: the same report set and counts as one run, pooled percentiles",
  async () => {
    const server = await serve();
    const root = await Deno.makeTempDir();
    try {
      const single = join(root, "single");
      const r0 = await bench(server.url, single);
      assert.equal(r0.code, 0, r0.stderr);
      const startAt = Date.now() / 1000 + 3;
      const shards = await Promise.all(
        [0, 1, 2].map((i) =>
          bench(
            server.url,
            join(root, "shards", `s${i}`),
            "--shard",
            `${i}/3`,
            "--start-at",
            String(startAt),
          )
        ),
      );
      for (const r of shards) assert.equal(r.code, 0, r.stderr);
      const merged = join(root, "merged");
      const m = await runProgram(["merge", join(root, "shards"), "-o", merged, "-q"]);
      assert.equal(m.code, 0, m.stderr);
      assert.deepEqual(await files(merged), await files(single));
      const one = await tests(single), all = await tests(merged);
      // Each shard did its part only, and started no earlier than --start-at.
      const parts = await Promise.all([0, 1, 2].map((i) => tests(join(root, "shards", `s${i}`))));
      assert.deepEqual(parts.map((p) => p[0].total_requests), [7, 7, 6]);
      assert.deepEqual(parts.map((p) => p[0].load.concurrency), [2, 2, 1]);
      for (const p of parts) assert.ok(p[0].window_start_epoch_s >= startAt - 0.01);
      assert.equal(all.length, one.length);
      for (const [i, s] of one.entries()) {
        const t = all[i];
        assert.equal(t.test_name, s.test_name);
        assert.equal(t.total_requests, s.total_requests);
        assert.equal(t.successful_requests, s.successful_requests);
        assert.equal(t.total_output_tokens, s.total_output_tokens);
        assert.deepEqual([t.load.requests, t.load.concurrency], [20, 5]);
        assert.match(t.histograms.latency, /^HISTFAA/);
        // Every shard kept its raw latencies: the merged latency percentiles are exactly those
        // of the pooled requests.
        const pooled = parts.flatMap((p) => p[i].latencies);
        assert.equal(pooled.length, t.successful_requests);
        assert.equal(t.latency.source, "exact");
        for (const [k, q] of [["p50", 0.5], ["p90", 0.9]] as const) {
          assert.ok(Math.abs(t.latency[k] - percentile(pooled, q)) < 1e-12, `latency ${k}`);
        }
        if (s.streaming) {
          // Only histograms travel for TTFT and TPOT: the merge says so and its bound.
          assert.equal(t.ttft!.source, "histogram");
          assert.equal(t.ttft!.relative_error, 0.001);
          withinPooled(`${t.test_name} TTFT`, t.ttft!, parts.map((p) => p[i].ttft_samples!));
          withinPooled(`${t.test_name} TPOT`, t.tpot!, parts.map((p) => p[i].tpot_samples!));
        }
      }
    } finally {
      await server.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
);

openTest("--workers 2 gives the same report set as two shards merged", async () => {
  const server = await serve();
  const root = await Deno.makeTempDir();
  try {
    const workers = join(root, "workers");
    const rw = await bench(server.url, workers, "--workers", "2");
    assert.equal(rw.code, 0, rw.stderr);
    const shards = await Promise.all(
      [0, 1].map((i) => bench(server.url, join(root, `s${i}`), "--shard", `${i}/2`)),
    );
    for (const r of shards) assert.equal(r.code, 0, r.stderr);
    const merged = join(root, "merged");
    const m = await runProgram(["merge", join(root, "s0"), join(root, "s1"), "-o", merged]);
    assert.equal(m.code, 0, m.stderr);
    assert.deepEqual(await files(workers), await files(merged));
    const w = await tests(workers), s = await tests(merged);
    assert.deepEqual(
      w.map((t) => [t.test_name, t.total_requests, t.successful_requests, t.load]),
      s.map((t) => [t.test_name, t.total_requests, t.successful_requests, t.load]),
    );
    const run = JSON.parse(await Deno.readTextFile(join(workers, "run.json")));
    assert.equal(run.plan.load.workers, 2);
    assert.equal(run.suites[0].tests[0].notes.includes("merged from 2 shards"), true);
    // Each worker measured its share with a stamping canary of its own (shard 0's is shown).
    for (const t of run.suites[0].tests) {
      assert.ok(t.extra.client_health.stamp_error_samples >= 20, t.name);
    }
  } finally {
    await server.stop();
    await Deno.remove(root, { recursive: true });
  }
});
