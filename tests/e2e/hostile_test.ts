/**
 * Bounded against hostile servers: an SSE line that never ends, a close-delimited body that
 * never ends, a 1 GB body. Each request fails as too_large and the client's memory stays
 * bounded (its RSS is sampled from /proc while it runs). Outside the load too: an error body,
 * `/metrics` and `/health` of hundreds of MB leave the client under 300 MB. An error inside
 * the stream is a failure, in the reports and the exit code.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnProgram } from "./_run.ts";

const enc = new TextEncoder();
const JUNK = enc.encode("x".repeat(64 * 1024));

type Mode =
  | "endless-sse-line"
  | "endless-close-body"
  | "gigabyte-body"
  | "trickle"
  | "huge-error-body"
  | "huge-metrics"
  | "huge-health"
  | "error-in-stream";

/** A close-delimited answer of up to 400 MB of junk, for 20 s at most. */
async function junkBody(conn: Deno.Conn, head: string): Promise<void> {
  await conn.write(enc.encode(head));
  const until = performance.now() + 20_000;
  for (let sent = 0; sent < 400 * 2 ** 20 && performance.now() < until; sent += JUNK.length) {
    await conn.write(JUNK);
  }
}

const CHAT_ANSWER = JSON.stringify({
  choices: [{ index: 0, message: { content: "a b c d" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 8, completion_tokens: 4 },
});

/** A raw HTTP/1.1 server that answers /health and /v1/models, then misbehaves on POSTs. */
function hostileServer(mode: Mode): { url: string; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      serve(conn, mode).catch(() => {}).finally(() => {
        conns.delete(conn);
        try {
          conn.close();
        } catch {
          // closed
        }
      });
    }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed
        }
      }
    },
  };
}

async function serve(conn: Deno.Conn, mode: Mode): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  let head = "";
  while (true) {
    const n = await conn.read(buf);
    if (n === null) return;
    head += new TextDecoder().decode(buf.subarray(0, n));
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) continue;
    const [line] = head.split("\r\n");
    const path = line.split(" ")[1];
    if (
      (path === "/metrics" && mode === "huge-metrics") ||
      (path === "/health" && mode === "huge-health")
    ) {
      return await junkBody(
        conn,
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n",
      );
    }
    if (path === "/health" || path === "/v1/models") {
      const body = path === "/health" ? "ok" : JSON.stringify({ data: [{ id: "m" }] });
      await conn.write(
        enc.encode(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`),
      );
      head = head.slice(end + 4);
      continue;
    }
    if (path !== "/v1/chat/completions") return;
    if (mode === "huge-error-body") {
      return await junkBody(
        conn,
        "HTTP/1.1 500 Oops\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n",
      );
    }
    if (mode === "error-in-stream") {
      const error = {
        error: { message: "CUDA out of memory", type: "InternalServerError", code: 500 },
      };
      const tokenChunk = { choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: null }] };
      await conn.write(enc.encode(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n" +
          `data: ${JSON.stringify(tokenChunk)}\n\ndata: ${
            JSON.stringify(error)
          }\n\ndata: [DONE]\n\n`,
      ));
      return;
    }
    if (mode === "huge-metrics" || mode === "huge-health") {
      // A normal answer, then the connection closes (the request body is not read).
      await conn.write(
        enc.encode(
          "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n" +
            `content-length: ${CHAT_ANSWER.length}\r\n\r\n${CHAT_ANSWER}`,
        ),
      );
      return;
    }
    const start = mode === "endless-sse-line" || mode === "trickle"
      ? "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\ndata: "
      : mode === "endless-close-body"
      ? "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n"
      : "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n";
    await conn.write(enc.encode(start));
    if (mode === "trickle") {
      // A body that never ends, one byte every 50 ms: only the request timeout ends it.
      const until = performance.now() + 20_000;
      while (performance.now() < until) {
        await conn.write(enc.encode(" "));
        await new Promise((r) => setTimeout(r, 50));
      }
      return;
    }
    // Bounded even if the client never stops reading: 2 GB or 20 s.
    const until = performance.now() + 20_000;
    for (let sent = 0; sent < 2 ** 31 && performance.now() < until; sent += JUNK.length) {
      await conn.write(JUNK);
    }
    return;
  }
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

const CASES = [
  ["endless-sse-line", true],
  ["endless-close-body", false],
  ["gigabyte-body", false],
] as const;

for (const [mode, stream] of CASES) {
  for (const http of ["native", "fetch"] as const) {
    Deno.test({
      name: `hostile server (${mode}, ${http}): requests fail as too_large, memory stays bounded`,
      ignore: Deno.build.os !== "linux",
      sanitizeResources: false,
      sanitizeOps: false,
      fn: async () => {
        const server = hostileServer(mode);
        const dir = await Deno.makeTempDir();
        try {
          const p = spawnProgram([
            "--url",
            server.url,
            "--isl",
            "8",
            "--osl",
            "8",
            "--requests",
            "5",
            "--concurrency",
            "5",
            "--warmup",
            "0",
            "--timeout",
            "30",
            "--no-server-metrics",
            "--accept-failures",
            "--http-client",
            http,
            ...(stream ? [] : ["--no-stream"]),
            "-o",
            dir,
          ]);
          let peak = 0;
          let done = false;
          p.result.then(() => done = true);
          while (!done) {
            peak = Math.max(peak, rssKb(p.pid));
            await new Promise((r) => setTimeout(r, 25));
          }
          const r = await p.result;
          assert.equal(r.code, 0, r.stderr);
          const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
          const t = run.suites[0].tests[0];
          assert.equal(t.metrics.outcomes.too_large, 5, JSON.stringify(t.metrics.outcomes));
          // Five requests may each hold up to 64 MB (bodies) or 1 MB (SSE) before they fail;
          // the runtime itself takes about 100 MB.
          const bound = stream ? 300_000 : 800_000;
          assert.ok(peak < bound, `peak RSS ${peak} kB, bound ${bound} kB`);
        } finally {
          server.close();
          await Deno.remove(dir, { recursive: true });
        }
      },
    });
  }
}

for (const http of ["native", "fetch"] as const) {
  Deno.test({
    name: `a body that trickles forever (${http}): --timeout bounds the whole request`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const server = hostileServer("trickle");
      const dir = await Deno.makeTempDir();
      try {
        const t0 = performance.now();
        const p = spawnProgram([
          "--url",
          server.url,
          "--isl",
          "8",
          "--requests",
          "2",
          "--concurrency",
          "2",
          "--warmup",
          "0",
          "--timeout",
          "2",
          "--no-server-metrics",
          "--accept-failures",
          "--http-client",
          http,
          "-o",
          dir,
        ]);
        const r = await p.result;
        assert.equal(r.code, 0, r.stderr);
        const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
        assert.equal(run.suites[0].tests[0].metrics.outcomes.timeout, 2);
        assert.ok(performance.now() - t0 < 15_000, "the run ended long before the body would");
      } finally {
        server.close();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

/** Runs the program against `server`, sampling its RSS; returns the result and the peak (kB). */
async function runSampled(args: string[]) {
  const p = spawnProgram(args);
  let peak = 0;
  let done = false;
  p.result.then(() => done = true);
  while (!done) {
    peak = Math.max(peak, rssKb(p.pid));
    await new Promise((r) => setTimeout(r, 25));
  }
  return { r: await p.result, peak };
}

const OUTSIDE = [
  ["huge-error-body", "http_5xx"],
  ["huge-metrics", "ok"],
] as const;

for (const [mode, outcome] of OUTSIDE) {
  Deno.test({
    name: `hostile server (${mode}): bounded outside the load, peak RSS under 300 MB`,
    ignore: Deno.build.os !== "linux",
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const server = hostileServer(mode);
      const dir = await Deno.makeTempDir();
      try {
        const { r, peak } = await runSampled([
          "--url",
          server.url,
          "--isl",
          "8",
          "--osl",
          "8",
          "--requests",
          "3",
          "--concurrency",
          "3",
          "--warmup",
          "0",
          "--no-stream",
          "--accept-failures",
          "-o",
          dir,
        ]);
        assert.equal(r.code, 0, r.stderr);
        const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
        const t = run.suites[0].tests[0];
        assert.equal(t.metrics.outcomes[outcome], 3, JSON.stringify(t.metrics.outcomes));
        assert.ok(peak < 300_000, `peak RSS ${peak} kB`);
      } finally {
        server.close();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "hostile server (huge-health): the probe reads a bounded /health, the run goes on",
  ignore: Deno.build.os !== "linux",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const server = hostileServer("huge-health");
    const dir = await Deno.makeTempDir();
    try {
      const { r, peak } = await runSampled([
        "--url",
        server.url,
        "--isl",
        "8",
        "--requests",
        "2",
        "--warmup",
        "0",
        "--no-stream",
        "--no-server-metrics",
        "-o",
        dir,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /did not answer/);
      assert.ok(peak < 300_000, `peak RSS ${peak} kB`);
    } finally {
      server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "an error inside every stream: error_event failures in run.json and exit 6",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const server = hostileServer("error-in-stream");
    const dir = await Deno.makeTempDir();
    try {
      const { r } = await runSampled([
        "--url",
        server.url,
        "--isl",
        "8",
        "--requests",
        "4",
        "--warmup",
        "0",
        "--no-server-metrics",
        "-o",
        dir,
      ]);
      assert.equal(r.code, 6, r.stderr);
      const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
      const m = run.suites[0].tests[0].metrics;
      assert.equal(m.outcomes.error_event, 4, JSON.stringify(m.outcomes));
      assert.equal(m.outcomes.ok, 0);
      assert.match(m.error_samples[0], /CUDA out of memory/);
    } finally {
      server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
