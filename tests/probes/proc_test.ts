import assert from "node:assert/strict";
import {
  findListeningProcesses,
  isThisHost,
  parseCmdline,
  parseProcNetTcp,
  parseProcStatus,
  readCmdline,
  readProcMemory,
} from "../../probes/proc.ts";

const STATUS = `Name:\tdeno
Umask:\t0022
State:\tS (sleeping)
VmPeak:\t 1200000 kB
VmRSS:\t   51234 kB
RssAnon:\t   20480 kB
RssFile:\t   30000 kB
VmSwap:\t     128 kB
Threads:\t12
`;

Deno.test("parseProcStatus converts VmRSS, RssAnon and VmSwap from kB to bytes", () => {
  assert.deepEqual(parseProcStatus(STATUS), {
    rss: 51234 * 1024,
    rssAnon: 20480 * 1024,
    swap: 128 * 1024,
  });
  assert.deepEqual(parseProcStatus("VmRSS:\t 8 kB\n"), { rss: 8192, rssAnon: null, swap: null });
  assert.throws(() => parseProcStatus("Name:\tkthreadd\n"), RangeError);
});

Deno.test("parseCmdline joins NUL-separated arguments", () => {
  assert.equal(parseCmdline("deno\0run\0-A\0main.ts\0serve\0"), "deno run -A main.ts serve");
  assert.equal(parseCmdline(""), "");
});

const TCP =
  `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 12345 1 0000000000000000 100 0 0 10 0
   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 999 1 0000000000000000 20 4 30 10 -1
`;
const TCP6 =
  `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 777 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 778 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:0BB9 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 779 1 0000000000000000 100 0 0 10 0
`;

Deno.test("parseProcNetTcp decodes addresses, ports, states and inodes", () => {
  assert.deepEqual(parseProcNetTcp(TCP), [
    { address: "127.0.0.1", port: 8080, state: "0A", inode: 12345 },
    { address: "0.0.0.0", port: 80, state: "0A", inode: 222 },
    { address: "127.0.0.1", port: 8080, state: "01", inode: 999 },
  ]);
  assert.deepEqual(parseProcNetTcp(TCP6, true).map((s) => [s.address, s.port, s.inode]), [
    ["::1", 8080, 777],
    ["::", 3000, 778],
    ["::ffff:127.0.0.1", 3001, 779],
  ]);
});

Deno.test("isThisHost knows loopback names and addresses, and not remote ones", () => {
  for (const h of ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "0.0.0.0"]) {
    assert.ok(isThisHost(h), h);
  }
  assert.ok(isThisHost(Deno.hostname()));
  for (const h of ["example.com", "203.0.113.7", "2001:db8::1"]) assert.ok(!isThisHost(h), h);
});

Deno.test({
  name: "the process listening on a port is found through /proc, with its memory and command",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const port = (listener.addr as Deno.NetAddr).port;
      const owner = await findListeningProcesses(port, "127.0.0.1");
      assert.equal(owner.sockets.length, 1);
      assert.equal(owner.sockets[0].address, "127.0.0.1");
      assert.deepEqual(owner.pids, [Deno.pid]);
      const mem = await readProcMemory(Deno.pid);
      assert.ok(mem.rss > 1024 * 1024 && mem.rssAnon !== null && mem.rssAnon <= mem.rss);
      assert.match((await readCmdline(Deno.pid)) ?? "", /deno/);
    } finally {
      listener.close();
    }
    assert.equal(await readCmdline(2 ** 22 + 12345), null);
  },
});
