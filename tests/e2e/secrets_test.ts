import assert from "node:assert/strict";
import { openTest } from "../_open.ts";
import { join } from "node:path";
import { mockServer, tok } from "../_mock.ts";
import { checkReports } from "./_reports.ts";
import { type ProgramResult, runProgram, spawnServe } from "./_run.ts";

/** A key nobody could mistake for anything else. */
function recognisableKey(label: string): string {
  return `sk-fakeai-${label}-${crypto.randomUUID().replaceAll("-", "")}`;
}

/** Every file under `dir`, recursively, as bytes. */
async function allFiles(dir: string): Promise<{ path: string; bytes: Uint8Array }[]> {
  const out: { path: string; bytes: Uint8Array }[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await allFiles(path));
    else out.push({ path, bytes: await Deno.readFile(path) });
  }
  return out;
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Search stdout, stderr and every output byte for each secret (and its distinctive tail). */
async function assertNowhere(r: ProgramResult, dir: string, secrets: string[]): Promise<number> {
  const files = await allFiles(dir);
  const enc = new TextEncoder();
  for (const secret of secrets) {
    for (const needle of [secret, secret.slice(-16)]) {
      assert.ok(!r.stdout.includes(needle), `stdout holds ${needle}`);
      assert.ok(!r.stderr.includes(needle), `stderr holds ${needle}`);
      const bytes = enc.encode(needle);
      for (const f of files) assert.equal(indexOfBytes(f.bytes, bytes), -1, `${f.path} holds it`);
    }
  }
  return files.length;
}

openTest(
  "the API key never appears in stdout, stderr, reports, run.json or error samples",
  async () => {
    const key = recognisableKey("secret");
    const server = await spawnServe([
      "--api-key",
      key,
      "--ttft-ms",
      "5",
      "--itl-ms",
      "1",
      "--error-rate",
      "0.1",
      "--disconnect-rate",
      "0.1",
      "--malformed-rate",
      "0.1",
    ]);
    const dir = await Deno.makeTempDir();
    try {
      // Once by flag, once from the environment.
      for (const how of ["flag", "env"]) {
        const out = join(dir, how);
        const args = ["--url", server.url, "--quick", "--suite", "throughput", "-o", out];
        const r = how === "flag"
          ? await runProgram([...args, "--api-key", key])
          : await runProgram(args, { OPENAI_API_KEY: key });
        assert.equal(r.code, 0, r.stderr);
        const seen = await checkReports(out);
        const samples = seen.run.suites.flatMap((s) => s.tests)
          .flatMap((t) => t.metrics.error_samples);
        assert.ok(samples.length > 0, "faults on, yet no error sample to search");
        assert.equal(seen.run.suites[0].tests[0].metrics.outcomes.http_4xx, 0, "key refused");
        const n = await assertNowhere(r, out, [key]);
        assert.ok(n >= 4, `only ${n} files written`);
        const run = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
        assert.equal(run.plan.target.api_key_set, true);
      }
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

openTest("a wrong key is rejected (exit 3) and neither key is printed", async () => {
  const key = recognisableKey("right");
  const wrong = recognisableKey("wrong");
  const server = await spawnServe(["--api-key", key]);
  const dir = await Deno.makeTempDir();
  try {
    const r = await runProgram(["--url", server.url, "--quick", "-o", dir], {
      OPENAI_API_KEY: wrong,
    });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /rejected the API key \(HTTP 401\)/);
    await assertNowhere(r, dir, [key, wrong]);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

openTest(
  "a server that echoes the key in errors and in a broken stream: samples are redacted",
  async () => {
    const key = recognisableKey("echo");
    let n = 0;
    const mock = mockServer(async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/health") return new Response("ok");
      if (path === "/v1/models") return Response.json({ object: "list", data: [{ id: "m" }] });
      const auth = req.headers.get("authorization") ?? "";
      const body = await req.json();
      const i = n++;
      if (i % 3 === 0) {
        return Response.json({ error: { message: `upstream refused ${auth}` } }, { status: 500 });
      }
      if (i % 3 === 1 || !body.stream) {
        return new Response(`<html>${auth}</html>`, { status: 502 });
      }
      return new Response(tok("hi") + `data: {"oops": "${auth}"\n\n` + "data: [DONE]\n\n", {
        headers: { "content-type": "text/event-stream" },
      });
    });
    const dir = await Deno.makeTempDir();
    try {
      const r = await runProgram(
        ["--url", mock.url, "--quick", "--suite", "throughput", "-o", dir, "--accept-failures"],
        { OPENAI_API_KEY: key },
      );
      assert.equal(r.code, 0, r.stderr);
      const seen = await checkReports(dir);
      const samples = seen.run.suites.flatMap((s) => s.tests).flatMap((t) =>
        t.metrics.error_samples
      );
      assert.ok(samples.some((s) => s.includes("Bearer ***")), samples.join("\n"));
      assert.ok(samples.some((s) => s.startsWith("bad_body:")), samples.join("\n"));
      await assertNowhere(r, dir, [key]);
    } finally {
      await mock.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

openTest("the README's key invocations, run through deno task, print the key nowhere", async () => {
  const key = recognisableKey("readme");
  const server = await spawnServe(["--api-key", key, "--ttft-ms", "2", "--itl-ms", "1"]);
  const dir = await Deno.makeTempDir();
  const root = new URL("../..", import.meta.url).pathname;
  try {
    const readme = await Deno.readTextFile(join(root, "README.md"));
    const lines = readme.split("\n").filter((l) =>
      l.includes("deno task bench") && /OPENAI_API_KEY=|--api-key-file/.test(l)
    );
    assert.ok(lines.length >= 2, `README key examples: ${lines.join(" | ")}`);
    const keyFile = join(dir, "key.txt");
    await Deno.writeTextFile(keyFile, `${key}\n`);
    for (const [i, line] of lines.entries()) {
      const out = join(dir, `run${i}`);
      const cmd = line
        .replace(/https?:\/\/[^\s]+/, server.url)
        .replace("OPENAI_API_KEY=...", `OPENAI_API_KEY=${key}`)
        .replace(/--api-key-file \S+/, `--api-key-file ${keyFile}`) +
        ` --quick --suite throughput --warmup 0 -o ${out}`;
      const p = await new Deno.Command("sh", {
        args: ["-c", cmd],
        cwd: root,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const r: ProgramResult = {
        code: p.code,
        stdout: new TextDecoder().decode(p.stdout),
        stderr: new TextDecoder().decode(p.stderr),
        ms: 0,
      };
      assert.equal(r.code, 0, `${line}\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /warning: --api-key/);
      await assertNowhere(r, out, [key]);
    }
    // The flag form works, and says why it should not be used.
    const flag = await new Deno.Command(Deno.execPath(), {
      args: [
        "task",
        "bench",
        "--url",
        server.url,
        "--api-key",
        key,
        "--quick",
        "--suite",
        "throughput",
        "-o",
        join(dir, "flag"),
      ],
      cwd: root,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(flag.stderr);
    assert.equal(flag.code, 0, err);
    assert.match(err, /warning: --api-key leaves the key readable/);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

/** Every form a server may echo `key` in. */
function echoForms(key: string): string[] {
  const b64 = (s: string) => btoa(s);
  return [
    key,
    encodeURIComponent(`Bearer ${key}`),
    JSON.stringify(`"${key}"`).slice(1, -1),
    b64(key),
    b64(`Authorization: Bearer ${key}`),
    b64(`x${key}`),
    b64(`xy${key}`),
  ];
}

openTest(
  "a canary key echoed in every form (headers, bodies, metrics, errors) is in no output byte",
  async () => {
    const key = recognisableKey("canary");
    const forms = echoForms(key).join(" ");
    const mock = mockServer(async (req) => {
      const path = new URL(req.url).pathname;
      const auth = req.headers.get("authorization") ?? "";
      const headers = { server: `echo/1 ${auth}`, "x-echo": encodeURIComponent(auth) };
      if (path === "/health") return new Response(`ok ${forms}`, { headers });
      if (path === "/v1/models") {
        return Response.json({ object: "list", data: [{ id: `m` }], echo: forms }, { headers });
      }
      if (path === "/metrics") {
        return new Response(`# HELP x ${forms}\nvllm:num_requests_running{k="${key}"} 1\n`);
      }
      const body = await req.json();
      if (body.messages[0].content.length % 2 === 0) {
        return Response.json({ error: { message: `refused ${forms}` } }, { status: 500, headers });
      }
      return Response.json({
        choices: [{ index: 0, message: { content: `a b ${forms}` }, finish_reason: "stop" }],
        usage: { prompt_tokens: 8, completion_tokens: 4 },
      }, { headers });
    });
    const dir = await Deno.makeTempDir();
    try {
      const r = await runProgram(
        [
          "--url",
          mock.url,
          "--isl",
          "8",
          "--requests",
          "6",
          "--no-stream",
          "--accept-failures",
          "--metrics-url",
          `${mock.url}/metrics`,
          "-o",
          dir,
        ],
        { OPENAI_API_KEY: key },
      );
      assert.equal(r.code, 0, r.stderr);
      const files = await assertNowhere(r, dir, echoForms(key));
      assert.ok(files >= 3, `${files} files checked`);
      const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
      assert.match(JSON.stringify(run), /\*\*\*/, "the echo is there, scrubbed");
    } finally {
      await mock.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

openTest("a key echoed into a malformed content-length is not printed (exit 3)", async () => {
  const key = recognisableKey("header");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const serving = (async () => {
    for await (const conn of listener) {
      (async () => {
        const buf = new Uint8Array(8192);
        const n = await conn.read(buf);
        const head = new TextDecoder().decode(buf.subarray(0, n ?? 0));
        const auth = /authorization: ([^\r\n]*)/i.exec(head)?.[1] ?? "none";
        const answer = head.startsWith("GET /health")
          ? "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
          : `HTTP/1.1 200 OK\r\ncontent-length: ${auth}\r\nconnection: close\r\n\r\n{}`;
        await conn.write(new TextEncoder().encode(answer)).catch(() => {});
        conn.close();
      })().catch(() => {});
    }
  })().catch(() => {});
  const dir = await Deno.makeTempDir();
  try {
    for (const http of ["native", "fetch"]) {
      const r = await runProgram(
        ["--url", `http://127.0.0.1:${port}`, "--quick", "--http-client", http, "-o", dir],
        { OPENAI_API_KEY: key },
      );
      assert.equal(r.code, 3, r.stderr);
      await assertNowhere(r, dir, [key]);
    }
  } finally {
    listener.close();
    await serving;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a key with a line break is refused before anything is sent (exit 2)", async () => {
  const r = await runProgram(["--url", "http://127.0.0.1:9", "--quick"], {
    OPENAI_API_KEY: "sk-abc\r\nx-injected: 1",
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /OPENAI_API_KEY\) holds a control character/);
  assert.doesNotMatch(r.stderr, /x-injected/);
});
