import assert from "node:assert/strict";
import { BlockPool } from "../../twin/blocks.ts";

Deno.test("blocks: handed out least recently freed first; a freed registered block stays a hit until reused", () => {
  const pool = new BlockPool(3);
  const a = pool.allocate(), b = pool.allocate();
  assert.equal(pool.free, 1);
  pool.register(a, 101);
  pool.register(b, 102);
  pool.release(b);
  pool.release(a);
  assert.equal(pool.free, 3);
  assert.equal(pool.lookup(101), a, "a freed block is still in the cache");
  // The never-used block was freed first (at construction), then b, then a.
  const c = pool.allocate();
  assert.notEqual(c, a);
  assert.notEqual(c, b);
  assert.equal(pool.allocate(), b, "b freed before a: evicted first");
  assert.equal(pool.lookup(102), -1, "its registration is gone");
  assert.equal(pool.evictions, 1);
  assert.equal(pool.lookup(101), a);
});

Deno.test("blocks: holding a free hit takes it out of the free queue; shared blocks free with their last holder", () => {
  const pool = new BlockPool(2);
  const a = pool.allocate();
  pool.register(a, 7);
  pool.release(a);
  assert.ok(pool.isFree(a));
  pool.hold(a);
  pool.hold(a);
  assert.equal(pool.free, 1);
  pool.release(a);
  assert.equal(pool.free, 1, "one holder left");
  pool.release(a);
  assert.equal(pool.free, 2);
  assert.throws(() => {
    pool.allocate();
    pool.allocate();
    pool.allocate();
  }, RangeError);
});

Deno.test("blocks: reset forgets every registration and keeps blocks in use", () => {
  const pool = new BlockPool(4);
  const a = pool.allocate();
  pool.register(a, 1);
  pool.register(a, 2); // already registered: ignored
  assert.equal(pool.lookup(2), -1);
  pool.reset();
  assert.equal(pool.lookup(1), -1);
  assert.equal(pool.used, 1);
});
