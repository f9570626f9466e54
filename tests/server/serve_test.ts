import assert from "node:assert/strict";
import { serveCommand } from "../../server/main.ts";
import { DEFAULT_SERVER_OPTIONS } from "../../server/options.ts";
import { parsePrometheus } from "./_helpers.ts";

const ENTRY = new URL("./_serve_entry.ts", import.meta.url).pathname;
const LISTENING = /^Listening on http:\/\/([^/\s]+):(\d+)\/$/;

interface Child {
  proc: Deno.ChildProcess;
  url: string;
  stdoutRest: Promise<string>;
  stderr: Promise<string>;
}

async function spawnServe(args: string[]): Promise<Child> {
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", ENTRY, "--port", "0", ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const stderr = new Response(proc.stderr).text();
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  // a child that never prints its address is killed, which ends its stdout
  const killer = setTimeout(() => {
    try {
      proc.kill("SIGKILL");
    } catch { /* already gone */ }
  }, 60_000);
  while (!buf.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) {
      clearTimeout(killer);
      await proc.status;
      throw new Error(
        `serve did not print its address; stdout ${JSON.stringify(buf)}, stderr ${await stderr}`,
      );
    }
    buf += value;
  }
  clearTimeout(killer);
  const first = buf.slice(0, buf.indexOf("\n"));
  const m = LISTENING.exec(first);
  assert.ok(m, `first line ${JSON.stringify(first)}`);
  const rest = buf.slice(buf.indexOf("\n") + 1);
  const stdoutRest = (async () => {
    let out = rest;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return out;
      out += value;
    }
  })();
  return { proc, url: `http://${m[1]}:${m[2]}`, stdoutRest, stderr };
}

function rssAnon(metrics: Map<string, number>): number {
  return metrics.get("fakeai_process_rss_anon_bytes") ??
    metrics.get("process_resident_memory_bytes")!;
}

Deno.test("serve: prints one Listening line, logs nothing per request, exits 0 on SIGTERM", async () => {
  const child = await spawnServe(["--ttft-ms", "0", "--itl-ms", "2", "--seed", "3"]);
  let signalled = false;
  try {
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${child.url}/v1/chat/completions`, {
        method: "POST",
        body: JSON.stringify({
          model: "m",
          messages: [{ role: "user", content: `hi ${i}` }],
          max_tokens: 5,
          stream: i % 2 === 0,
        }),
      });
      assert.equal(res.status, 200);
      await res.text();
    }
    const bad = await fetch(`${child.url}/v1/chat/completions`, { method: "POST", body: "{" });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    // a stream in flight when the signal arrives (10000 tokens, 20 s) does not keep the server alive
    const long = await fetch(`${child.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({
        model: "m",
        messages: [{ role: "user", content: "x" }],
        max_tokens: 10000,
        stream: true,
      }),
    });
    const reader = long.body!.getReader();
    assert.equal((await reader.read()).done, false);
    child.proc.kill("SIGTERM");
    signalled = true;
    const t0 = performance.now();
    let cut = false;
    try {
      while (!(await reader.read()).done) { /* drain */ }
    } catch {
      cut = true;
    }
    assert.ok(cut, "the in-flight stream is cut, not completed");
    assert.ok(performance.now() - t0 < 5000);
  } finally {
    // Only when the test failed before its own signal: a second SIGTERM could land after the
    // server has removed its handlers on the way out, and end it with the default 143.
    if (!signalled) {
      try {
        child.proc.kill("SIGTERM");
      } catch { /* already exited */ }
    }
  }
  const status = await child.proc.status;
  assert.equal(status.code, 0);
  assert.equal(await child.stdoutRest, "", "nothing after the first line");
  // FakeAI's timing flags without --profile choose the constant profile, said once at start;
  // nothing is logged per request.
  assert.equal(
    await child.stderr,
    "profile constant (FakeAI's timing): --ttft-ms, --itl-ms given without --profile\n",
  );
});

Deno.test("serve: leak mode grows the server's anonymous memory by about the configured bytes", async () => {
  const child = await spawnServe([
    "--ttft-ms",
    "0",
    "--itl-ms",
    "0",
    "--leak-bytes-per-request",
    "1048576",
  ]);
  try {
    const scrape = async () => parsePrometheus(await (await fetch(`${child.url}/metrics`)).text());
    const before = await scrape();
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${child.url}/v1/chat/completions`, {
        method: "POST",
        body: JSON.stringify({
          model: "m",
          messages: [{ role: "user", content: `leak ${i}` }],
          max_tokens: 2,
        }),
      });
      await res.text();
    }
    const after = await scrape();
    assert.equal(after.get("fakeai_leaked_bytes"), 40 * 1048576);
    const grew = rssAnon(after) - rssAnon(before);
    assert.ok(
      grew >= 30 * 1048576,
      `memory grew ${(grew / 1048576).toFixed(1)} MiB for 40 MiB retained`,
    );
  } finally {
    child.proc.kill("SIGTERM");
    await child.proc.status;
    await child.stdoutRest;
    await child.stderr;
  }
});

Deno.test("serveCommand: stops on the abort signal and resolves to 0", async () => {
  const ac = new AbortController();
  const original = Deno.stdout.write;
  const lines: string[] = [];
  Deno.stdout.write = (p: Uint8Array) => {
    lines.push(new TextDecoder().decode(p));
    return Promise.resolve(p.byteLength);
  };
  try {
    const done = serveCommand({ ...DEFAULT_SERVER_OPTIONS, port: 0 }, ac.signal);
    while (lines.length === 0) await new Promise((r) => setTimeout(r, 5));
    const m = LISTENING.exec(lines[0].trimEnd());
    assert.ok(m, lines[0]);
    const res = await fetch(`http://${m[1]}:${m[2]}/health`);
    assert.equal(res.status, 200);
    await res.body?.cancel();
    ac.abort();
    assert.equal(await done, 0);
  } finally {
    Deno.stdout.write = original;
  }
});
