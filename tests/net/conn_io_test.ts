import assert from "node:assert/strict";
import { connIo } from "../../net/conn_io.ts";
import { loopbackPair as pair } from "../_loopback.ts";

Deno.test("conn_io: the Deno this project pins exposes the runtime's I/O ops", async () => {
  // The client's stamps depend on them (net/conn_io.ts): a Deno that drops them must be noticed.
  const p = await pair();
  try {
    assert.equal(connIo(p.client, true).kind, "ops");
    assert.equal(connIo(p.client, false).kind, "public");
  } finally {
    p.close();
  }
});

for (const preferOps of [true, false]) {
  const kind = preferOps ? "ops" : "public";
  Deno.test(`conn_io (${kind}): bytes both ways, 0 at the end, Interrupted when closed in a read`, async () => {
    const enc = new TextEncoder();
    const dec = new TextDecoder();
    const p = await pair();
    try {
      const io = connIo(p.client, preferOps);
      assert.equal(await io.write(enc.encode("ping")), 4);
      const got = new Uint8Array(16);
      assert.equal(dec.decode(got.subarray(0, (await p.server.read(got))!)), "ping");
      await p.server.write(enc.encode("pong"));
      const view = new Uint8Array(16);
      const n = await io.read(view);
      assert.equal(dec.decode(view.subarray(0, n)), "pong");
      p.server.close();
      assert.equal(await io.read(view), 0, "the end of the stream reads 0");
    } finally {
      p.close();
    }
    const q = await pair();
    try {
      const io = connIo(q.client, preferOps);
      const pending = io.read(new Uint8Array(16));
      q.client.close();
      await assert.rejects(pending, Deno.errors.Interrupted);
    } finally {
      q.close();
    }
  });
}
