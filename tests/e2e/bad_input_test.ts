import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { join } from "node:path";
import { parseCommandLine, runHelp } from "../../cli/args.ts";
import { UsageError } from "../../util/errors.ts";
import { type Mock, mockServer } from "../_mock.ts";
import { checkReports } from "./_reports.ts";
import { runProgram, spawnProgram, spawnServe } from "./_run.ts";

/** The one line a failing run prints, asserting it is exactly one. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  return lines[0];
}

/** A mock target that counts every request it receives. */
function countingMock(
  handler: (req: Request) => Response | Promise<Response>,
): Mock & { hits: () => number } {
  let hits = 0;
  const m = mockServer((req) => {
    hits++;
    return handler(req);
  });
  return { ...m, hits: () => hits };
}

const models = () => Response.json({ object: "list", data: [{ id: "m" }] });

Deno.test("a host that accepts but never answers fails with exit 3 within 5 s", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 }); // never accepts
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    const dir = await Deno.makeTempDir();
    const r = await runProgram(["--url", `http://127.0.0.1:${port}`, "--quick", "-o", dir]);
    await Deno.remove(dir, { recursive: true });
    assert.equal(r.code, 3);
    assert.ok(r.ms < 5000, `took ${r.ms} ms`);
    assert.match(oneLine(r.stderr), /127\.0\.0\.1:\d+ did not answer within \d+ s/);
  } finally {
    listener.close();
  }
});

Deno.test("a URL that is not http(s) is a usage error and creates no output folder", async () => {
  const dir = join(await Deno.makeTempDir(), "out");
  for (const url of ["ftp://127.0.0.1:21", "127.0.0.1:8000", "not a url"]) {
    const r = await runProgram(["--url", url, "-o", dir]);
    assert.equal(r.code, 2, url);
    assert.match(oneLine(r.stderr), /--url/);
    await assert.rejects(Deno.stat(dir), Deno.errors.NotFound);
  }
});

Deno.test("/v1/models answering HTML or 404 is not an OpenAI-compatible API (exit 3)", async () => {
  for (
    const answer of [
      () =>
        new Response("<html><body>Welcome</body></html>", {
          headers: { "content-type": "text/html" },
        }),
      () => new Response("Not Found", { status: 404 }),
      () => Response.json({ models: ["m"] }),
    ]
  ) {
    const mock = mockServer((req) =>
      new URL(req.url).pathname === "/health" ? new Response("ok") : answer()
    );
    try {
      const dir = await Deno.makeTempDir();
      const r = await runProgram(["--url", mock.url, "--quick", "-o", dir]);
      await Deno.remove(dir, { recursive: true });
      assert.equal(r.code, 3);
      assert.match(oneLine(r.stderr), /is not an OpenAI-compatible API/);
    } finally {
      await mock.close();
    }
  }
});

Deno.test("401 and 403 from /v1/models: exit 3, the key was rejected", async () => {
  for (const status of [401, 403]) {
    const mock = mockServer((req) =>
      new URL(req.url).pathname === "/health"
        ? new Response("ok")
        : Response.json({ error: { message: "no" } }, { status })
    );
    try {
      const dir = await Deno.makeTempDir();
      const r = await runProgram(["--url", mock.url, "--quick", "-o", dir]);
      await Deno.remove(dir, { recursive: true });
      assert.equal(r.code, 3);
      assert.match(oneLine(r.stderr), new RegExp(`rejected the API key \\(HTTP ${status}\\)`));
    } finally {
      await mock.close();
    }
  }
});

Deno.test("an unknown suite exits 2 with one line naming the choices", async () => {
  const r = await runProgram(["--suite", "throughput,latency"]);
  assert.equal(r.code, 2);
  assert.match(oneLine(r.stderr), /unknown suite 'latency'; choose from throughput/);
});

/** Flags of the run command that take a number, read from the help (`--flag N`, `S`…). */
function numericFlags(): string[] {
  const flags = [
    ...runHelp().matchAll(/^\s+(?:-\w, )?(--[\w-]+) (N|S|MS|RATE|P|COUNT|SECONDS)\b/gm),
  ]
    .map((m) => m[1]);
  return [...new Set(flags)];
}

Deno.test("every numeric flag rejects negative and non-numeric values with one line", () => {
  const flags = numericFlags();
  assert.ok(flags.includes("--timeout") && flags.includes("--seed"), flags.join(" "));
  for (const flag of flags) {
    for (const bad of ["-1", "abc", "NaN", "Infinity", ""]) {
      assert.throws(
        () => parseCommandLine([`${flag}=${bad}`], () => undefined),
        (e: unknown) => e instanceof UsageError && !e.message.includes("\n"),
        `${flag}=${bad}`,
      );
    }
  }
});

Deno.test("zero counts, rates and durations are rejected where zero means nothing", async () => {
  for (const flag of ["--timeout"]) {
    assert.throws(() => parseCommandLine([flag, "0"], () => undefined), UsageError, flag);
  }
  const r = await runProgram(["--timeout", "0"]);
  assert.equal(r.code, 2);
  assert.match(oneLine(r.stderr), /--timeout must be greater than 0/);
  const n = await runProgram(["--timeout=-5"]);
  assert.equal(n.code, 2);
  assert.match(oneLine(n.stderr), /--timeout must be greater than 0/);
});

Deno.test("an output folder that cannot be written: exit 2 before any request is sent", async () => {
  const mock = countingMock((req) =>
    new URL(req.url).pathname === "/v1/models" ? models() : new Response("ok")
  );
  const base = await Deno.makeTempDir();
  try {
    const file = join(base, "a-file");
    await Deno.writeTextFile(file, "");
    for (const dir of [join(file, "out"), file]) {
      const r = await runProgram(["--url", mock.url, "--quick", "-o", dir]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(oneLine(r.stderr), /cannot write to output folder/);
    }
    assert.equal(mock.hits(), 0, "a request reached the server");
  } finally {
    await mock.close();
    await Deno.remove(base, { recursive: true });
  }
});

openTest(
  "a server that dies mid-run: errors recorded, the run finishes, reports written",
  async () => {
    const server = await spawnServe(["--ttft-ms", "5", "--itl-ms", "20"]);
    const dir = await Deno.makeTempDir();
    try {
      const p = spawnProgram([
        "--url",
        server.url,
        "--quick",
        "--suite",
        "throughput",
        "-o",
        dir,
        "--timeout",
        "10",
        // Off, so every request after the death is counted (tests/e2e/wedged_test.ts has it on).
        "--max-consecutive-timeouts",
        "0",
      ]);
      await p.waitForStderr(/\[1\/\d+\]/);
      await new Promise((r) => setTimeout(r, 1200)); // warm-up done, counted requests in flight
      await server.stop("SIGKILL");
      const r = await p.result;
      // The reports are written, and the exit code says the target died.
      assert.equal(r.code, 6, r.stderr);
      assert.match(r.stderr, /the target stopped answering during the run/);
      assert.match(r.stdout, /Reports written to/);
      const seen = await checkReports(dir, { interrupted: false });
      const [first, second] = seen.run.suites[0].tests;
      const o1 = first.metrics.outcomes;
      assert.ok(o1.stream_cut + o1.connect > 0, JSON.stringify(o1));
      assert.equal(first.metrics.total_requests, 20);
      // Everything after the death is a connect failure, counted, never retried.
      assert.equal(second.metrics.outcomes.connect, second.metrics.total_requests);
      assert.equal(second.metrics.total_requests, 20);
      assert.ok(second.metrics.error_samples[0].startsWith("connect: "));
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("port 0 is a usage error; a run that cannot reach its target leaves no empty output folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const zero = await runProgram(["--url", "http://127.0.0.1:0", "-o", join(dir, "a")]);
    assert.equal(zero.code, 2, zero.stderr);
    assert.match(zero.stderr, /port 0/);
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const out = join(dir, "b");
    const r = await runProgram(["--url", `http://127.0.0.1:${port}`, "-o", out]);
    assert.equal(r.code, 3, r.stderr);
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
