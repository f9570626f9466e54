import assert from "node:assert/strict";
import { probeTarget } from "../../net/client.ts";
import { TargetError } from "../../util/errors.ts";

/** A loopback port with nothing listening on it (bound, then released). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("an unreachable target's error names the URL and the reason, not 'fetch failed'", async () => {
  const url = `http://127.0.0.1:${freePort()}`;
  await assert.rejects(probeTarget(url), (e: unknown) => {
    assert.ok(e instanceof TargetError);
    assert.equal(e.problem, "unreachable");
    assert.equal(e.message, `cannot reach ${url}: connection refused`);
    return true;
  });
  await assert.rejects(probeTarget("http://127.0.0.1:9"), /port is blocked by the runtime/);
});
