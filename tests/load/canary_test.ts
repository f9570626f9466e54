import assert from "node:assert/strict";
import { startCanary, startCanaryOrSay } from "../../load/canary.ts";

/** The program's entry, whose workers serve the canary. */
const ENTRY = new URL("../../main.ts", import.meta.url).href;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Keep this thread busy for `ms` (a stall of the measuring thread). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* stall */ }
}

Deno.test("the canary measures the stamping error of this thread, stalls included", async () => {
  const canary = await startCanary(ENTRY);
  try {
    // An empty window reports nothing.
    assert.equal(canary.window().stop(), null);
    await sleep(600); // the first answer is under way
    const calm = canary.window();
    await sleep(1600);
    const quiet = calm.stop();
    assert.ok(quiet !== null && quiet.samples >= 49, `samples ${quiet?.samples}`);
    // Now stall the thread 80 ms in every 120: the chunks that arrive meanwhile are all stamped
    // when it ends, the first gap after a stall some 70 ms longer than it was sent.
    const stalled = canary.window();
    const until = performance.now() + 1600;
    while (performance.now() < until) {
      busy(80);
      await sleep(40);
    }
    const rough = stalled.stop();
    assert.ok(rough !== null && rough.samples >= 49, `samples ${rough?.samples}`);
    assert.ok(rough.p99_ms >= 40, `stalled p99 ${rough.p99_ms} ms`);
    assert.ok(
      quiet.p99_ms < rough.p99_ms / 2,
      `quiet p99 ${quiet.p99_ms} ms against stalled ${rough.p99_ms} ms`,
    );
    assert.ok(quiet.p50_ms <= quiet.p99_ms && rough.p50_ms <= rough.p99_ms);
  } finally {
    await canary.close();
  }
});

Deno.test("a canary whose worker cannot start fails with an error, leaving nothing behind", async () => {
  const bad = new URL("./_broken_entry.ts", import.meta.url).href;
  await assert.rejects(() => startCanary(bad), /the canary failed: .*fails as it loads/);
  // A run goes on without it, saying so in one line.
  const lines: string[] = [];
  assert.equal(await startCanaryOrSay(bad, (line) => lines.push(line)), null);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^stamping canary not started \(the canary failed: .*\): tests state/);
});
