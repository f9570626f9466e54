import assert from "node:assert/strict";
import { recordTimers } from "../_timers.ts";
import {
  closedShare,
  openShare,
  parseShard,
  parseStartAt,
  shareOffset,
  splitEven,
  waitUntil,
} from "../../load/shard.ts";
import { UsageError } from "../../util/errors.ts";
import { parseCommandLine } from "../../cli/args.ts";

Deno.test("an even split gives remainders to the lower indices and sums to the total", () => {
  assert.deepEqual([0, 1, 2].map((i) => splitEven(20, i, 3)), [7, 7, 6]);
  assert.deepEqual([0, 1, 2, 3].map((i) => splitEven(10, i, 4)), [3, 3, 2, 2]);
  assert.deepEqual([0, 1, 2].map((i) => splitEven(2, i, 3)), [1, 1, 0]);
  for (const total of [0, 1, 5, 99, 100, 1001]) {
    for (const n of [1, 2, 3, 7, 16]) {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        assert.equal(shareOffset(total, i, n), sum, `offset ${total} ${i}/${n}`);
        sum += splitEven(total, i, n);
      }
      assert.equal(sum, total, `${total} over ${n}`);
    }
  }
});

Deno.test("closed-loop shares split requests and concurrency; each shard with work keeps one connection", () => {
  assert.deepEqual(closedShare(100, 10, { index: 0, count: 3 }), {
    requests: 34,
    concurrency: 4,
    offset: 0,
  });
  assert.deepEqual(closedShare(100, 10, { index: 2, count: 3 }), {
    requests: 33,
    concurrency: 3,
    offset: 67,
  });
  // More shards than concurrency: still one connection each, never more than its requests.
  assert.deepEqual(closedShare(20, 2, { index: 3, count: 4 }), {
    requests: 5,
    concurrency: 1,
    offset: 15,
  });
  assert.equal(closedShare(2, 5, { index: 2, count: 3 }).concurrency, 0);
});

Deno.test("open-loop shares divide the rate and split a count", () => {
  assert.deepEqual(openShare(10, null, { index: 1, count: 4 }), {
    rate: 2.5,
    requests: null,
    offset: 0,
  });
  assert.deepEqual(openShare(9, 10, { index: 1, count: 3 }), { rate: 3, requests: 3, offset: 4 });
});

Deno.test("--shard parses i/n, 0-based, and rejects what is out of range", () => {
  assert.deepEqual(parseShard("2/3"), { index: 2, count: 3 });
  assert.deepEqual(parseShard(" 0 / 1 "), { index: 0, count: 1 });
  for (const bad of ["3/3", "1/0", "-1/3", "a/b", "1", "1/2/3"]) {
    assert.throws(() => parseShard(bad), UsageError, bad);
  }
  const cmd = parseCommandLine(["--shard", "1/4", "--workers", "2"], () => undefined);
  assert.equal(cmd.kind, "run");
  if (cmd.kind === "run") {
    assert.deepEqual(cmd.args.shard, { index: 1, count: 4 });
    assert.equal(cmd.args.workers, 2);
  }
  assert.throws(() => parseCommandLine(["--workers", "0"], () => undefined), UsageError);
});

Deno.test("--start-at takes epoch seconds or ISO-8601 with a zone", () => {
  assert.equal(parseStartAt("1767225600"), 1767225600_000);
  assert.equal(parseStartAt("1767225600.5"), 1767225600_500);
  assert.equal(parseStartAt("2026-01-01T00:00:00Z"), Date.UTC(2026, 0, 1));
  assert.equal(parseStartAt("2026-01-01T01:00:00+01:00"), Date.UTC(2026, 0, 1));
  for (const bad of ["tomorrow", "2026-01-01T00:00:00", "2026-13-45T00:00:00Z", ""]) {
    assert.throws(() => parseStartAt(bad), UsageError, bad);
  }
});

Deno.test("waitUntil waits for the time, and an abort ends the wait early", async () => {
  const t0 = Date.now();
  assert.equal(await waitUntil(t0 + 60), true);
  assert.ok(Date.now() - t0 >= 55, `waited ${Date.now() - t0} ms`);
  assert.equal(await waitUntil(t0 - 1000), true);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 20);
  const t1 = Date.now();
  assert.equal(await waitUntil(t1 + 60_000, ac.signal), false);
  assert.ok(Date.now() - t1 < 5000);
});

Deno.test("--start-at in epoch milliseconds is refused, saying so", () => {
  assert.throws(() => parseStartAt("1767225600000"), /if that was milliseconds/);
});

Deno.test("a wait past a timer's limit never arms a timer it cannot take", async () => {
  const stop = new AbortController();
  const delays = await recordTimers(async (sleep) => {
    let resolved: boolean | null = null;
    const waiting = waitUntil(Date.now() + 30 * 86_400_000, stop.signal).then((v) => resolved = v);
    await sleep(50);
    assert.equal(resolved, null, "thirty days ahead has not come");
    stop.abort();
    await waiting;
    assert.equal(resolved, false);
  });
  assert.ok(delays.length >= 1 && delays.length < 5, `${delays.length} timers armed`);
  assert.ok(delays.every((d) => d <= 2 ** 31 - 1), `delays ${delays}`);
});
