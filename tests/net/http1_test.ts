import assert from "node:assert/strict";
import { Http1Error, Http1Pool } from "../../net/http1.ts";
import { Conn } from "../../net/http1_wire.ts";
import { loopbackPair } from "../_loopback.ts";
import { ChatClient } from "../../net/client.ts";
import { mockServer } from "../_mock.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Register a test of the pool twice: reading and writing by the runtime's ops
 * (`net/conn_io.ts`) and by the public `Deno.Conn` methods, which a Deno without the ops uses.
 */
function eachIo(name: string, fn: (io: { runtimeOps: boolean }) => Promise<void>): void {
  Deno.test(`${name} (runtime ops)`, () => fn({ runtimeOps: true }));
  Deno.test(`${name} (public I/O)`, () => fn({ runtimeOps: false }));
}

/**
 * A raw TCP server: `reply(n)` gives the byte pieces written for the n-th request (in order of
 * arrival, over all connections), with delays (ms) before each; `closeAfter` closes the
 * connection after the reply.
 */
function rawServer(
  reply: (n: number, request: string) => { pieces: [number, string][]; closeAfter?: boolean },
) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let served = 0;
  let connections = 0;
  const conns = new Set<Deno.Conn>();
  (async () => {
    for await (const conn of listener) {
      connections++;
      conns.add(conn);
      (async () => {
        const buf = new Uint8Array(65536);
        let pending = "";
        try {
          while (true) {
            const n = await conn.read(buf);
            if (n === null) break;
            pending += dec.decode(buf.subarray(0, n));
            const end = pending.indexOf("\r\n\r\n");
            if (end < 0) continue;
            const len = Number(/content-length: (\d+)/i.exec(pending)?.[1] ?? 0);
            const rest = enc.encode(pending.slice(end + 4));
            if (rest.length < len) continue;
            const request = pending.slice(0, end + 4) + dec.decode(rest.subarray(0, len));
            pending = dec.decode(rest.subarray(len));
            const r = reply(served++, request);
            for (const [delay, text] of r.pieces) {
              if (delay > 0) await new Promise((res) => setTimeout(res, delay));
              await conn.write(enc.encode(text));
            }
            if (r.closeAfter) break;
          }
        } catch {
          // client went away
        } finally {
          conns.delete(conn);
          try {
            conn.close();
          } catch {
            // closed
          }
        }
      })();
    }
  })().catch(() => {});
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    close() {
      listener.close();
      for (const c of conns) c.close();
    },
  };
}

const json = (body: string, extra = "") =>
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${
    enc.encode(body).length
  }\r\n${extra}\r\n${body}`;

const post = { method: "POST", path: "/x", headers: {}, body: enc.encode("{}") };

eachIo("http1: keep-alive reuses one connection for sequential requests", async (io) => {
  const srv = rawServer(() => ({ pieces: [[0, json('{"a":1}')]] }));
  const pool = new Http1Pool(srv.url, io);
  try {
    for (let i = 0; i < 20; i++) {
      const res = await pool.request(post);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), '{"a":1}');
    }
    assert.equal(srv.connections, 1);
    assert.equal(pool.open, 1);
  } finally {
    pool.close();
    srv.close();
  }
});

eachIo("http1: the request carries host, headers and a content-length body", async (io) => {
  let seen = "";
  const srv = rawServer((_n, req) => {
    seen = req;
    return { pieces: [[0, json("{}")]] };
  });
  const pool = new Http1Pool(srv.url, io);
  try {
    const res = await pool.request({
      method: "POST",
      path: "/v1/chat/completions",
      headers: { authorization: "Bearer k" },
      body: enc.encode('{"é":1}'),
    });
    await res.text();
    assert.match(seen, /^POST \/v1\/chat\/completions HTTP\/1\.1\r\n/);
    assert.match(seen, new RegExp(`host: 127\\.0\\.0\\.1:${new URL(srv.url).port}\r\n`));
    assert.match(seen, /authorization: Bearer k\r\n/);
    assert.match(seen, /content-length: 8\r\n/); // bytes, not characters
    assert.ok(seen.endsWith('{"é":1}'));
  } finally {
    pool.close();
    srv.close();
  }
});

eachIo("http1: chunked bodies split anywhere, extensions and trailers", async (io) => {
  const body = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" +
    "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\n";
  // Write it one byte at a time for the first request, whole for the second.
  const srv = rawServer((n) => ({
    pieces: n === 0 ? [...body].map((c) => [0, c] as [number, string]) : [[0, body]],
  }));
  const pool = new Http1Pool(srv.url, io);
  try {
    for (let i = 0; i < 2; i++) {
      const res = await pool.request(post);
      assert.equal(await res.text(), "hello, world");
    }
    assert.equal(srv.connections, 1, "a fully read chunked body leaves the connection reusable");
  } finally {
    pool.close();
    srv.close();
  }
});

eachIo(
  "http1: chunk sizes in either hex case with bare LF ends; a bad size is a protocol error",
  async (io) => {
    const good = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" +
      "A\n0123456789\n1b \r\nabcdefghijklmnopqrstuvwxyz!\r\n0\n\n";
    const bad = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n";
    const srv = rawServer((n) => ({ pieces: [[0, n === 0 ? good : bad]] }));
    const pool = new Http1Pool(srv.url, io);
    try {
      const res = await pool.request(post);
      assert.equal(await res.text(), "0123456789abcdefghijklmnopqrstuvwxyz!");
      const broken = await pool.request(post);
      await assert.rejects(
        () => broken.text(),
        (e: unknown) =>
          e instanceof Http1Error && e.kind === "protocol" && /bad chunk size: zz/.test(e.message),
      );
    } finally {
      pool.close();
      srv.close();
    }
  },
);

eachIo("http1: stream() hands pieces over as they arrive, with their arrival time", async (io) => {
  const srv = rawServer(() => ({
    pieces: [
      [0, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"],
      [0, "3\r\nabc\r\n"],
      [80, "3\r\ndef\r\n"],
      [0, "0\r\n\r\n"],
    ],
  }));
  const pool = new Http1Pool(srv.url, io);
  try {
    const res = await pool.request(post);
    const got: [string, number][] = [];
    await res.stream((b, t) => got.push([dec.decode(b), t]));
    assert.equal(got.map((g) => g[0]).join(""), "abcdef");
    const tAbc = got.find((g) => g[0].includes("c"))![1];
    const tDef = got.find((g) => g[0].includes("d"))![1];
    assert.ok(tDef - tAbc >= 70 && tDef - tAbc < 300, `gap ${tDef - tAbc}`);
  } finally {
    pool.close();
    srv.close();
  }
});

eachIo(
  "http1: a body without length runs to the close; large bodies grow the buffer",
  async (io) => {
    const big = "x".repeat(200_000);
    const srv = rawServer((n) =>
      n === 0
        ? { pieces: [[0, `HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n${big}`]], closeAfter: true }
        : { pieces: [[0, json(big)]] }
    );
    const pool = new Http1Pool(srv.url, io);
    try {
      assert.equal((await (await pool.request(post)).text()).length, big.length);
      assert.equal((await (await pool.request(post)).text()).length, big.length);
      assert.equal(srv.connections, 2);
    } finally {
      pool.close();
      srv.close();
    }
  },
);

eachIo("http1: a stale kept-alive connection is retried once on a new one", async (io) => {
  // The server closes every connection after its reply without saying so.
  const srv = rawServer(() => ({ pieces: [[0, json("{}")]], closeAfter: true }));
  const pool = new Http1Pool(srv.url, io);
  try {
    for (let i = 0; i < 3; i++) {
      await (await pool.request(post)).text();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(srv.connections, 3);
  } finally {
    pool.close();
    srv.close();
  }
});

eachIo("http1: a connection cut inside the body rejects with Http1Error", async (io) => {
  const srv = rawServer(() => ({
    pieces: [[0, "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort"]],
    closeAfter: true,
  }));
  const pool = new Http1Pool(srv.url, io);
  try {
    const res = await pool.request(post);
    await assert.rejects(
      res.text(),
      (e: unknown) => e instanceof Http1Error && e.kind === "closed",
    );
  } finally {
    pool.close();
    srv.close();
  }
});

Deno.test("http1: ChatClient over a raw server reads status, worker header and usage", async () => {
  const body = JSON.stringify({
    choices: [{ message: { content: "a b c" } }],
    usage: { prompt_tokens: 4, completion_tokens: 3 },
  });
  const srv = rawServer((n) => ({
    pieces: [[0, n === 0 ? json(body, "x-fakeai-worker: w1\r\n") : "HTTP/1.0 503 Busy\r\n\r\n"]],
    closeAfter: n !== 0,
  }));
  const client = new ChatClient({ baseUrl: srv.url, timeoutMs: 2000, http: "native" });
  try {
    const ok = await client.chat({ model: "m", messages: [] });
    assert.equal(ok.outcome, "ok", ok.error ?? "");
    assert.equal(ok.worker, "w1");
    assert.equal(ok.outputTokens, 3);
    assert.equal(ok.inputTokens, 4);
    const bad = await client.chat({ model: "m", messages: [] });
    assert.equal(bad.outcome, "http_5xx");
    assert.equal(bad.status, 503);
  } finally {
    client.close();
    srv.close();
  }
});

eachIo(
  "http1: header lookup ignores case, joins repeats, skips 1xx heads, survives non-ASCII",
  async (io) => {
    const heads = [
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nX-Worker: w-1\r\nVia: a\r\n" +
      "content-type: text/plain\r\nVIA:  b \r\ncontent-length: 2\r\n\r\nok",
      // A field value that lower-casing lengthens ("İ" becomes two code units).
      "HTTP/1.1 200 OK\r\nx-name: İstanbul\r\nX-Worker: w-2\r\ncontent-length: 2\r\n\r\nok",
    ];
    const srv = rawServer((n) => ({ pieces: [[0, heads[n]]] }));
    const pool = new Http1Pool(srv.url, io);
    try {
      const a = await pool.request(post);
      assert.equal(a.status, 201);
      assert.equal(a.header("x-worker"), "w-1");
      assert.equal(a.header("via"), "a, b");
      assert.equal(a.header("content-type"), "text/plain");
      assert.equal(a.header("x-missing"), null);
      assert.equal(a.takeText(), "ok");
      const b = await pool.request(post);
      assert.equal(b.header("x-name"), "İstanbul");
      assert.equal(b.header("x-worker"), "w-2");
      assert.equal(await b.text(), "ok");
    } finally {
      pool.close();
      srv.close();
    }
  },
);

eachIo(
  "http1: a body that came with the head is taken at once, with its arrival time",
  async (io) => {
    const srv = rawServer(() => ({ pieces: [[0, json('{"a":1}')]] }));
    const pool = new Http1Pool(srv.url, io);
    try {
      const before = performance.now();
      const res = await pool.request(post);
      const after = performance.now();
      assert.ok(res.bodyArrivedAt >= before && res.bodyArrivedAt <= after);
      assert.equal(res.takeText(), '{"a":1}');
      assert.equal(res.takeText(), null); // read once
      await assert.rejects(() => res.text(), Http1Error);
      // A body still on its way is not taken without waiting.
      const slow = rawServer(() => ({
        pieces: [[0, "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nab"], [30, "cd"]],
      }));
      const pool2 = new Http1Pool(slow.url, io);
      try {
        const r = await pool2.request(post);
        assert.equal(r.takeText(), null);
        assert.ok(Number.isNaN(r.bodyArrivedAt));
        assert.equal(await r.text(), "abcd");
      } finally {
        pool2.close();
        slow.close();
      }
    } finally {
      pool.close();
      srv.close();
    }
  },
);

eachIo(
  "http1: a repeated request reuses its bytes; a new body or header set is rendered anew",
  async (io) => {
    const seen: string[] = [];
    const srv = rawServer((_n, req) => {
      seen.push(req);
      return { pieces: [[0, json("{}")]] };
    });
    const pool = new Http1Pool(srv.url, io);
    const headers = { "x-h": "1" };
    const one = enc.encode('{"n":1}');
    const two = enc.encode('{"n":22}');
    try {
      for (const body of [one, one, two, one]) {
        (await pool.request({ method: "POST", path: "/x", headers, body })).takeText();
      }
      (await pool.request({ method: "POST", path: "/x", headers: { "x-h": "2" }, body: one }))
        .takeText();
      (await pool.request({ method: "PUT", path: "/y", headers, body: one })).takeText();
      assert.equal(seen.length, 6);
      assert.deepEqual(seen.map((r) => r.slice(r.indexOf("\r\n\r\n") + 4)), [
        '{"n":1}',
        '{"n":1}',
        '{"n":22}',
        '{"n":1}',
        '{"n":1}',
        '{"n":1}',
      ]);
      assert.match(seen[2], /content-length: 8\r\n/);
      assert.match(seen[3], /content-length: 7\r\n/);
      assert.match(seen[4], /x-h: 2\r\n/);
      assert.match(seen[5], /^PUT \/y HTTP\/1\.1\r\n/);
    } finally {
      pool.close();
      srv.close();
    }
  },
);

eachIo("a body larger than one write goes out whole while the answer is awaited", async (io) => {
  // The server reads nothing for a while, so the kernel takes the body in parts; it answers
  // only once it has all of it.
  const mock = mockServer(async (req) => {
    await new Promise((r) => setTimeout(r, 200));
    const got = (await req.arrayBuffer()).byteLength;
    return Response.json({ got });
  });
  const pool = new Http1Pool(mock.url, { ...io, maxIdle: 1 });
  try {
    const body = "x".repeat(16 * 1024 * 1024);
    let cancel = () => {};
    // Bounded: a client that waits for the answer before finishing its write never gets one.
    const timer = setTimeout(() => cancel(), 15_000);
    const res = await pool.request({
      method: "POST",
      path: "/",
      headers: { "content-type": "text/plain" },
      body,
    }, (c) => cancel = c).finally(() => clearTimeout(timer));
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(await res.text()), { got: body.length });
  } finally {
    pool.close();
    await mock.close();
  }
});

eachIo(
  "http1: a streamed body's next bytes are read and stamped on arrival, before the caller asks",
  async (io) => {
    const head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n" +
      "transfer-encoding: chunked\r\n\r\n";
    const chunk = (s: string) => `${enc.encode(s).length.toString(16)}\r\n${s}\r\n`;
    // The head, then a chunk 30 ms later; the body ends after another 30 ms. The request after
    // it, on the same connection, gets a plain answer.
    const srv = rawServer((n) =>
      n === 0
        ? {
          pieces: [[0, head], [30, chunk("data: one\n\n")], [
            30,
            chunk("data: two\n\n") + "0\r\n\r\n",
          ]],
        }
        : { pieces: [[0, json('{"b":2}')]] }
    );
    const pool = new Http1Pool(srv.url, io);
    try {
      const res = await pool.request(post);
      // The caller is busy elsewhere while the first chunk arrives.
      await new Promise((r) => setTimeout(r, 120));
      const asked = performance.now();
      const stamps: number[] = [];
      let text = "";
      await res.stream((bytes, t) => {
        stamps.push(t);
        text += dec.decode(bytes);
      });
      assert.equal(text, "data: one\n\ndata: two\n\n");
      assert.ok(stamps[0] < asked, `first chunk stamped at ${stamps[0]}, asked at ${asked}`);
      // The connection, given back with nothing left running, serves the next request.
      const next = await pool.request(post);
      assert.equal(await next.text(), '{"b":2}');
      assert.equal(srv.connections, 1);
    } finally {
      pool.close();
      srv.close();
    }
  },
);

eachIo(
  "http1: a body that came whole with its head leaves a read running that the next request takes",
  async (io) => {
    const head = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
    const srv = rawServer((n) => ({
      pieces: [[0, `${head}5\r\nhello\r\n0\r\n\r\n`.replace("hello", `hell${n}`)]],
    }));
    const pool = new Http1Pool(srv.url, io);
    try {
      for (let i = 0; i < 5; i++) {
        const res = await pool.request(post);
        assert.equal(await res.text(), `hell${i}`);
      }
      assert.equal(srv.connections, 1, "one connection throughout");
    } finally {
      pool.close();
      srv.close();
    }
  },
);

eachIo(
  "http1: a reader that throws, or a cancel, ends a chunked read and closes its connection",
  async (io) => {
    const head = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
    // Request 0 streams two chunks; request 1 sends one and then nothing (it is cancelled);
    // request 2 answers whole.
    const srv = rawServer((n) => ({
      pieces: n === 0
        ? [[0, head + "3\r\nabc\r\n"], [20, "3\r\ndef\r\n0\r\n\r\n"]]
        : n === 1
        ? [[0, head + "3\r\nabc\r\n"]]
        : [[0, json('{"ok":1}')]],
    }));
    const pool = new Http1Pool(srv.url, io);
    try {
      const res = await pool.request(post);
      const boom = new Error("reader failed");
      await assert.rejects(
        res.stream(() => {
          throw boom;
        }),
        (e: unknown) => e instanceof Http1Error && e.kind === "closed" && e.cause === boom,
      );
      assert.equal(pool.open, 0, "the connection the failed read was on is closed");
      let cancel = () => {};
      const cut = await pool.request(post, (c) => (cancel = c));
      const pieces: string[] = [];
      const reading = cut.stream((b) => {
        pieces.push(dec.decode(b));
        cancel();
      });
      await assert.rejects(
        reading,
        (e: unknown) => e instanceof Http1Error && e.kind === "cancelled",
      );
      assert.deepEqual(pieces, ["abc"]);
      const next = await pool.request(post);
      assert.equal(await next.text(), '{"ok":1}');
      assert.equal(srv.connections, 3, "each ended read's connection was replaced");
    } finally {
      pool.close();
      srv.close();
    }
  },
);

Deno.test("http1: a connection's chunked reader reads one body at a time", async () => {
  const { client: tcp, server, close } = await loopbackPair();
  try {
    const conn = new Conn(tcp, true);
    const ended: unknown[] = [];
    const end = { bodyEnded: (err: unknown) => (ended.push(err), null) };
    let text = "";
    const first = conn.chunked().read((b) => (text += dec.decode(b)), end);
    await assert.rejects(
      conn.chunked().read(() => {}, end),
      (e: unknown) => e instanceof Http1Error && e.kind === "protocol",
    );
    await server.write(enc.encode("4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n"));
    await first;
    assert.equal(text, "wikipedia");
    assert.deepEqual(ended, [null], "the end is told once, without an error");
    await server.write(enc.encode("2\r\nok\r\n0\r\n\r\n"));
    let again = "";
    await conn.chunked().read((b) => (again += dec.decode(b)), end);
    assert.equal(again, "ok", "the reader serves the connection's next body");
  } finally {
    close();
  }
});
