/** The request deadlines' list: order, removal from anywhere, sweeps at a given time. */
import assert from "node:assert/strict";
import { Deadline, Deadlines } from "../../net/deadlines.ts";

class Timed extends Deadline {
  constructor(readonly name: string, at: number, readonly fired: string[]) {
    super();
    this.at = at;
  }
  fire(): void {
    this.fired.push(this.name);
  }
}

Deno.test("deadlines fire in order of their time, only once due", () => {
  const dl = new Deadlines(1000);
  const fired: string[] = [];
  try {
    for (const [name, at] of [["a", 10], ["b", 20], ["c", 30]] as const) {
      dl.add(new Timed(name, at, fired));
    }
    dl.sweep(5);
    assert.deepEqual(fired, [], "nothing is due at 5");
    dl.sweep(20);
    assert.deepEqual(fired, ["a", "b"]);
    assert.equal(dl.size, 1);
    dl.sweep(100);
    assert.deepEqual(fired, ["a", "b", "c"]);
    assert.equal(dl.size, 0);
  } finally {
    dl.close();
  }
});

Deno.test("deadlines: one deleted from the head, the middle or the tail never fires", () => {
  const dl = new Deadlines(1000);
  const fired: string[] = [];
  try {
    const items = [1, 2, 3, 4, 5].map((i) => new Timed(`d${i}`, i, fired));
    for (const d of items) dl.add(d);
    dl.delete(items[0]);
    dl.delete(items[2]);
    dl.delete(items[4]);
    dl.delete(items[4]); // twice: nothing
    assert.equal(dl.size, 2);
    dl.sweep(10);
    assert.deepEqual(fired, ["d2", "d4"]);
    // A deleted deadline can be watched again.
    items[0].at = 20;
    dl.add(items[0]);
    dl.add(items[0]); // already watched: nothing
    assert.equal(dl.size, 1);
    dl.sweep(20);
    assert.deepEqual(fired, ["d2", "d4", "d1"]);
  } finally {
    dl.close();
  }
});

Deno.test("deadlines added out of order still fire in order of their time", () => {
  const dl = new Deadlines(1000);
  const fired: string[] = [];
  try {
    for (const [name, at] of [["c", 30], ["a", 10], ["d", 40], ["b", 20], ["a2", 10]] as const) {
      dl.add(new Timed(name, at, fired));
    }
    dl.sweep(25);
    assert.deepEqual(fired, ["a", "a2", "b"], "equal times keep the order they came in");
    dl.sweep(40);
    assert.deepEqual(fired, ["a", "a2", "b", "c", "d"]);
  } finally {
    dl.close();
  }
});

Deno.test("deadlines: a fire that deletes or adds others is safe; close forgets the rest", () => {
  const dl = new Deadlines(1000);
  const fired: string[] = [];
  const later = new Timed("later", 50, fired);
  const dropped = new Timed("dropped", 15, fired);
  class Chain extends Timed {
    override fire(): void {
      super.fire();
      dl.delete(dropped);
      dl.add(later);
    }
  }
  try {
    dl.add(new Chain("first", 10, fired));
    dl.add(dropped);
    dl.add(new Timed("kept", 60, fired));
    dl.sweep(20);
    assert.deepEqual(fired, ["first"], "the one its fire deleted does not fire");
    assert.equal(dl.size, 2);
    dl.close();
    assert.equal(dl.size, 0);
    assert.equal(later.linked, false);
    dl.sweep(1000);
    assert.deepEqual(fired, ["first"]);
  } finally {
    dl.close();
  }
});
