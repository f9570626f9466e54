import assert from "node:assert/strict";
import { describeLength, parseLength, sampleLength } from "../../workload/lengths.ts";
import { Prng } from "../../util/prng.ts";
import { UsageError } from "../../util/errors.ts";

Deno.test("length forms parse to their distribution and print back the same", () => {
  for (
    const text of ["512", "uniform:256,1024", "normal:1024,128", "lognormal:1024,512,64,4096"]
  ) {
    assert.equal(describeLength(parseLength(text, "--isl")), text);
  }
  assert.deepEqual(parseLength(" 64 ", "--osl"), { kind: "constant", value: 64 });
});

Deno.test("bad lengths are usage errors that name the option", () => {
  for (
    const bad of [
      "",
      "abc",
      "0",
      "1.5",
      "uniform:5",
      "uniform:9,3",
      "normal:100",
      "normal:100,-1",
      "gamma:1,2",
      "normal:100,10,50,20",
      "2000000",
    ]
  ) {
    assert.throws(
      () => parseLength(bad, "--isl"),
      (e: unknown) => e instanceof UsageError && e.message.startsWith("--isl"),
      bad,
    );
  }
});

Deno.test("draws stay within bounds and follow the requested mean and spread", () => {
  const rng = new Prng(7);
  const normal = parseLength("normal:1000,100", "x");
  const lognormal = parseLength("lognormal:1000,300", "x");
  const uniform = parseLength("uniform:10,20", "x");
  const stats = (d: ReturnType<typeof parseLength>) => {
    const xs = Array.from({ length: 20_000 }, () => sampleLength(d, rng));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    return { mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
  };
  const n = stats(normal);
  assert.ok(Math.abs(n.mean - 1000) < 5, `normal mean ${n.mean}`);
  assert.ok(Math.abs(n.sd - 100) < 5, `normal sd ${n.sd}`);
  const l = stats(lognormal);
  assert.ok(Math.abs(l.mean - 1000) < 15, `lognormal mean ${l.mean}`);
  assert.ok(Math.abs(l.sd - 300) < 20, `lognormal sd ${l.sd}`);
  assert.ok(l.min >= 1);
  const u = stats(uniform);
  assert.equal(u.min, 10);
  assert.equal(u.max, 20);
  const clipped = stats(parseLength("normal:100,1000,50,60", "x"));
  assert.ok(clipped.min >= 50 && clipped.max <= 60);
});

Deno.test("the same seed draws the same lengths", () => {
  const d = parseLength("normal:500,50", "x");
  const draw = (seed: number) => {
    const rng = new Prng(seed);
    return Array.from({ length: 10 }, () => sampleLength(d, rng));
  };
  assert.deepEqual(draw(3), draw(3));
  assert.notDeepEqual(draw(3), draw(4));
});
