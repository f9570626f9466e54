import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { INTERRUPT_GRACE_MS } from "../../commands/run.ts";
import { SAME_INTERRUPT_MS } from "../../engine/run.ts";
import { SHUTDOWN_DEADLINE_MS } from "../../server/main.ts";
import { checkReports } from "./_reports.ts";
import {
  childPids,
  embeddedUrl,
  isAlive,
  spawnProgram,
  spawnServe,
  waitForChatRequests,
} from "./_run.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until none of `pids` is alive, up to `ms`; returns those still alive. */
async function waitGone(pids: number[], ms = 3000): Promise<number[]> {
  const until = performance.now() + ms;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && performance.now() < until) {
    await sleep(50);
    alive = alive.filter(isAlive);
  }
  return alive;
}

openTest(
  "SIGINT mid-run: reports complete, parseable and marked interrupted; server gone; exit 130",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      // Full mode: the first throughput test alone takes a few seconds.
      const p = spawnProgram(["--skip-memory", "-o", dir]);
      // Warm-up (5) and a few counted requests have reached the server: the first test has data.
      await waitForChatRequests(await embeddedUrl(p), 12);
      const children = childPids(p.pid);
      assert.equal(children.length, 1, "the embedded server is the only child");
      const t0 = performance.now();
      p.signal("SIGINT");
      const r = await p.result;
      const ms = performance.now() - t0;
      assert.equal(r.code, 130, r.stderr);
      assert.ok(ms < INTERRUPT_GRACE_MS + 5000, `exit took ${ms} ms after the signal`);
      assert.match(r.stderr, /interrupt: no new requests/);
      assert.match(r.stdout, /Reports written to/);
      const seen = await checkReports(dir, { interrupted: true });
      assert.equal(seen.run.server.pid, children[0]);
      assert.deepEqual(await waitGone(children), [], "the embedded server is still running");
      // The suite that was running keeps what completed; its last test is marked.
      const running = seen.run.suites.find((s) => s.interrupted && s.tests.length > 0);
      assert.ok(running, "no suite kept its completed tests");
      assert.equal(running.tests.at(-1)!.interrupted, true);
      assert.ok(seen.requests > 0);
      // Suites that never started are listed as such.
      const later = seen.run.suites.slice(seen.run.suites.indexOf(running) + 1);
      for (const s of later) assert.match(s.skipped ?? "", /not started|not available/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

openTest(
  "SIGTERM with requests longer than the grace: in-flight ones end `aborted` and are counted",
  async () => {
    // 50 tokens at 150 ms each: every counted request outlives the grace period.
    const server = await spawnServe(["--ttft-ms", "5", "--itl-ms", "150", "--itl-variance", "0"]);
    const dir = await Deno.makeTempDir();
    try {
      const p = spawnProgram(["--url", server.url, "--suite", "throughput", "-o", dir]);
      // Warm-up (5 requests of 8 tokens), then the first wave of 10 counted requests: once the
      // server has received all 15, the counted ones are in flight (each takes 7.5 s).
      await waitForChatRequests(server.url, 15);
      const t0 = performance.now();
      p.signal("SIGTERM");
      const r = await p.result;
      const ms = performance.now() - t0;
      assert.equal(r.code, 130, r.stderr);
      assert.ok(ms > INTERRUPT_GRACE_MS - 500, `did not wait for the grace: ${ms} ms`);
      assert.ok(ms < INTERRUPT_GRACE_MS + 4000, `exit took ${ms} ms after the signal`);
      const seen = await checkReports(dir, { interrupted: true });
      const first = seen.run.suites[0].tests[0];
      assert.equal(first.interrupted, true);
      const o = first.metrics.outcomes;
      assert.ok(o.aborted > 0, JSON.stringify(o));
      assert.ok(o.aborted <= 10, JSON.stringify(o)); // never more than were in flight
      assert.equal(first.metrics.latency.count, o.ok);
      assert.ok(
        first.metrics.error_samples.some((e) => e.startsWith("aborted:")),
        JSON.stringify(first.metrics.error_samples),
      );
      assert.equal(seen.run.suites[0].tests.length, 1, "a test started after the interrupt");
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

openTest("a second SIGINT exits at once and still leaves no server process behind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const p = spawnProgram(["--skip-memory", "-o", dir]);
    await p.waitForStderr(/\[1\/\d+\]/);
    const children = childPids(p.pid);
    assert.equal(children.length, 1, "the embedded server is the only child");
    p.signal("SIGINT");
    await p.waitForStderr(/interrupt: no new requests/);
    const t0 = performance.now();
    p.signal("SIGINT");
    const r = await p.result;
    const ms = performance.now() - t0;
    assert.equal(r.code, 130);
    assert.ok(ms < 1500, `second signal took ${ms} ms`);
    assert.deepEqual(await waitGone(children), [], "the embedded server is still running");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

openTest(
  "Ctrl-C to the whole process group: the embedded server keeps serving through the grace",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const p = spawnProgram(["--skip-memory", "-o", dir], {}, { group: true });
      await waitForChatRequests(await embeddedUrl(p), 12);
      const children = childPids(p.pid);
      Deno.kill(-p.pid, "SIGINT"); // what a terminal does: the signal goes to the group
      const r = await p.result;
      assert.equal(r.code, 130, r.stderr);
      const seen = await checkReports(dir, { interrupted: true });
      // Requests take ~0.3 s, far less than the grace: every one in flight finished.
      for (const t of seen.run.suites.flatMap((s) => s.tests)) {
        assert.equal(t.metrics.outcomes.ok, t.metrics.total_requests, JSON.stringify(t.metrics));
      }
      assert.deepEqual(await waitGone(children), [], "the embedded server is still running");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

for (const to of ["the process group", "the deno task process"] as const) {
  Deno.test({
    name: `Ctrl-C through 'deno task bench' (SIGINT to ${to}) still writes the reports`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const dir = await Deno.makeTempDir();
      try {
        // The README's command, in a process group of its own as a terminal's foreground job.
        const p = spawnProgram(["--suite", "throughput", "-o", dir], {}, {
          group: true,
          task: "bench",
        });
        await waitForChatRequests(await embeddedUrl(p), 12);
        // deno task forwards the signal to the program once or twice more within milliseconds:
        // that is still one interrupt, not a second one that would exit at once.
        if (to === "the process group") Deno.kill(-p.pid, "SIGINT");
        else p.signal("SIGINT");
        const r = await p.result;
        assert.equal(r.code, 130, r.stderr);
        assert.match(r.stderr, /interrupt: no new requests/);
        assert.doesNotMatch(r.stderr, /second interrupt|exiting now/i);
        const seen = await checkReports(dir, { interrupted: true });
        assert.ok(seen.requests > 0);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

openTest(
  "SIGKILL of a run: its embedded server notices and exits, nothing left listening",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const p = spawnProgram(["--suite", "throughput", "-o", dir]);
      const url = await embeddedUrl(p);
      await p.waitForStderr(/\[1\/\d+\]/);
      const children = childPids(p.pid);
      assert.equal(children.length, 1, "the embedded server is the only child");
      Deno.kill(p.pid, "SIGKILL");
      await p.result;
      const left = await waitGone(children, 5000);
      for (const pid of left) Deno.kill(pid, "SIGKILL"); // never leave it behind, pass or fail
      assert.deepEqual(left, [], "the embedded server outlived its runner");
      await assert.rejects(fetch(`${url}/health`), "nothing listens on its port");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

openTest(
  "serve exits within its deadline on SIGTERM while a client holds a half-sent request",
  async () => {
    const server = await spawnServe([]);
    const port = Number(new URL(server.url).port);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      // Headers promising a body that never comes.
      await conn.write(
        new TextEncoder().encode(
          "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n" +
            "content-length: 1000\r\n\r\n{",
        ),
      );
      await sleep(200);
      const t0 = performance.now();
      const gone = server.stop("SIGTERM").then(() => performance.now() - t0);
      const bound = SHUTDOWN_DEADLINE_MS + 5000;
      const ms = await Promise.race([gone, sleep(bound).then(() => Infinity)]);
      if (ms === Infinity) {
        Deno.kill(server.pid, "SIGKILL");
        await gone;
      }
      assert.ok(ms < bound, `serve was still running ${bound} ms after SIGTERM`);
    } finally {
      conn.close();
    }
  },
);

openTest(
  "a second signal after the first's echo exits at once, says so, and frees the folder",
  async () => {
    // Answers take 20 s: the first signal's grace cannot end the run before the second comes.
    const server = await spawnServe(["--ttft-ms", "20000"]);
    const dir = await Deno.makeTempDir();
    try {
      const p = spawnProgram(["--url", server.url, "--suite", "throughput", "-o", dir]);
      await p.waitForStderr(/\[1\/\d+\]/);
      p.signal("SIGINT");
      await p.waitForStderr(/interrupt: no new requests/);
      await sleep(SAME_INTERRUPT_MS + 300);
      const t0 = performance.now();
      p.signal("SIGINT");
      const r = await p.result;
      assert.equal(r.code, 130);
      assert.ok(performance.now() - t0 < INTERRUPT_GRACE_MS, "it did not wait out the grace");
      assert.match(r.stderr, /second signal, exiting now without writing reports/);
      await assert.rejects(Deno.stat(`${dir}/.fakeai-bench.lock`), Deno.errors.NotFound);
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
