import assert from "node:assert/strict";
import { probeTarget } from "../../net/client.ts";
import { TargetError } from "../../util/errors.ts";
import { freePort } from "../_loopback.ts";

Deno.test("an unreachable target's error names the URL and the reason, not 'fetch failed'", async () => {
  const url = `http://127.0.0.1:${freePort()}`;
  await assert.rejects(probeTarget(url), (e: unknown) => {
    assert.ok(e instanceof TargetError);
    assert.equal(e.problem, "unreachable");
    assert.equal(e.message, `cannot reach ${url}: connection refused`);
    return true;
  });
  // fetch refuses ports on its unsafe list; the native transport does not.
  await assert.rejects(
    probeTarget("http://127.0.0.1:9", { http: "fetch" }),
    /port is blocked by the runtime/,
  );
});

Deno.test("the probe uses the load's transport: a server on port 6000 (fetch's blocked list) is reachable natively", async () => {
  let server: Deno.HttpServer | null = null;
  try {
    server = Deno.serve(
      { hostname: "127.0.0.1", port: 6000, onListen() {} },
      (req) =>
        new URL(req.url).pathname === "/v1/models"
          ? Response.json({ object: "list", data: [{ id: "m" }] })
          : Response.json({ status: "ok" }),
    );
  } catch {
    return; // port 6000 is taken on this machine: nothing to show here
  }
  try {
    const probe = await probeTarget("http://127.0.0.1:6000");
    assert.deepEqual(probe.models, ["m"]);
    await assert.rejects(probeTarget("http://127.0.0.1:6000", { http: "fetch" }), /blocked/);
  } finally {
    await server.shutdown();
  }
});

for (const http of ["native", "fetch"] as const) {
  Deno.test(`${http}: a /v1/models redirect to another host is refused, not followed`, async () => {
    let otherHits = 0;
    const other = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
      otherHits++;
      return Response.json({ object: "list", data: [{ id: "elsewhere" }] });
    });
    const otherUrl = `http://localhost:${(other.addr as Deno.NetAddr).port}`;
    const target = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req) =>
        new URL(req.url).pathname === "/v1/models"
          ? new Response(null, { status: 301, headers: { location: `${otherUrl}/v1/models` } })
          : Response.json({ status: "ok" }),
    );
    try {
      const url = `http://127.0.0.1:${(target.addr as Deno.NetAddr).port}`;
      await assert.rejects(probeTarget(url, { http }), (e: unknown) => {
        assert.ok(e instanceof TargetError);
        assert.match(
          e.message,
          /HTTP 301, a redirect to http:\/\/localhost:\d+: redirects are not followed/,
        );
        return true;
      });
      assert.equal(otherHits, 0, "the other host was never asked");
    } finally {
      await Promise.all([target.shutdown(), other.shutdown()]);
    }
  });
}
