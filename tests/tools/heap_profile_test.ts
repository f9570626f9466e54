import assert from "node:assert/strict";
import { sitesOf } from "../../bench/heap_profile.ts";

const frame = (functionName: string, url: string, lineNumber: number) => ({
  functionName,
  url,
  lineNumber,
});

Deno.test("heap_profile: sites are the nodes with bytes of their own, largest first, last frames", () => {
  const head = {
    callFrame: frame("(root)", "", -1),
    selfSize: 0,
    children: [{
      callFrame: frame("send", "file:///x/net/client.ts", 9),
      selfSize: 100,
      children: [
        { callFrame: frame("", "file:///x/net/http1.ts", 41), selfSize: 5000, children: [] },
        {
          callFrame: frame("read", "ext:deno_net/01_net.js", 0),
          selfSize: 0,
          children: [{ callFrame: frame("delete", "", -1), selfSize: 700, children: [] }],
        },
      ],
    }],
  };
  const sites = sitesOf(head, 2);
  assert.deepEqual(sites.map((s) => s.bytes), [5000, 700, 100]);
  assert.equal(sites[0].stack, "send net/client.ts:10 < (anonymous) net/http1.ts:42");
  assert.equal(sites[1].stack, "read ext:deno_net/01_net.js:1 < delete :0");
  assert.equal(sites[2].stack, "(root) :0 < send net/client.ts:10");
});
