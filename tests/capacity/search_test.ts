import assert from "node:assert/strict";
import { probeRequests, searchMaxLoad, wilson } from "../../capacity/search.ts";

Deno.test("Wilson interval: all met in 42 of 42 just reaches 90%; probes are sized for the target", () => {
  assert.ok(wilson(42, 42).low >= 0.9);
  assert.ok(wilson(30, 30).low < 0.9);
  assert.equal(probeRequests(0.9, 10), 39);
  assert.equal(probeRequests(0.99, 100), 419);
  assert.equal(probeRequests(0.9, 100), 100);
});

/** A model server: attainment 100% below `capacity`, 50% above. */
const model = (capacity: number) => (level: number) =>
  Promise.resolve({ requests: 100, met: level <= capacity ? 100 : 50 });

Deno.test("search brackets by doubling, bisects to within 10%, and the range holds the capacity", async () => {
  const spec = {
    kind: "rate" as const,
    start: 1,
    target: 0.9,
    maxProbes: 20,
    maxSeconds: 60,
    precision: 0.1,
  };
  const out = await searchMaxLoad(spec, model(37));
  assert.ok(out.sustained! <= 37 && out.failedAt! > 37, JSON.stringify(out));
  assert.ok(out.failedAt! / out.sustained! <= 1.1);
  assert.deepEqual(out.probes.slice(0, 7).map((p) => p.level), [1, 2, 4, 8, 16, 32, 64]);
  // Starting above the capacity halves down first.
  const high = await searchMaxLoad({ ...spec, start: 100 }, model(37));
  assert.ok(high.sustained! <= 37 && high.failedAt! > 37);
  // Concurrency levels are whole numbers; the range ends at adjacent levels.
  const c = await searchMaxLoad({ ...spec, kind: "concurrency", start: 1 }, model(5));
  assert.deepEqual([c.sustained, c.failedAt], [5, 6]);
});

Deno.test("the search stops at its probe limit and says so; nothing passing is said plainly", async () => {
  const spec = {
    kind: "rate" as const,
    start: 1,
    target: 0.9,
    maxProbes: 3,
    maxSeconds: 60,
    precision: 0.1,
  };
  const out = await searchMaxLoad(spec, model(1000));
  assert.equal(out.probes.length, 3);
  assert.match(out.stopped, /probe limit \(3\)/);
  const none = await searchMaxLoad(
    { ...spec, maxProbes: 20 },
    () => Promise.resolve({ requests: 100, met: 0 }),
  );
  assert.equal(none.sustained, null);
  assert.match(none.stopped, /even the lowest level failed/);
});
