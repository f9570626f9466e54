import assert from "node:assert/strict";
import { V8_FLAGS_ARG } from "../../engine/target.ts";
import {
  compileArgs,
  denortUrl,
  outputPath,
  parseCompileArgs,
  reachable,
  TARGETS,
  unreachableMessage,
} from "../../deploy/compile.ts";

const HOST = "x86_64-unknown-linux-gnu";

Deno.test("compile targets: the host by default, --target repeatable, --all for every one", () => {
  assert.deepEqual(parseCompileArgs([], HOST).targets, [HOST]);
  assert.deepEqual(
    parseCompileArgs(["--target", "aarch64-apple-darwin", "--target=x86_64-pc-windows-msvc"], HOST)
      .targets,
    ["aarch64-apple-darwin", "x86_64-pc-windows-msvc"],
  );
  assert.deepEqual(parseCompileArgs(["--all"], HOST).targets, [...TARGETS]);
  assert.throws(() => parseCompileArgs(["--target", "sparc"], HOST), /unknown --target/);
  assert.throws(() => parseCompileArgs(["--fast"], HOST), /unknown argument/);
});

Deno.test("compile bakes in --allow-all and names outputs per target", () => {
  const args = compileArgs("/src/main.ts", "/src/dist/fakeai-bench", HOST);
  assert.equal(args[0], "compile");
  assert.ok(args.includes("--allow-all"));
  assert.ok(args.includes(V8_FLAGS_ARG), "the program's V8 flags are baked in");
  assert.equal(args[args.indexOf("--target") + 1], HOST);
  assert.equal(args.at(-1), "/src/main.ts");
  assert.equal(outputPath("dist", HOST, HOST), "dist/fakeai-bench");
  assert.equal(
    outputPath("dist", "x86_64-pc-windows-msvc", HOST),
    "dist/fakeai-bench-x86_64-pc-windows-msvc.exe",
  );
});

Deno.test("an unreachable download host is detected quickly and reported in one line", async () => {
  const t0 = performance.now();
  assert.equal(await reachable("http://127.0.0.1:9/denort.zip", 1000), false);
  assert.ok(performance.now() - t0 < 3000);
  const msg = unreachableMessage(HOST, "2.9.6");
  assert.equal(msg.split("\n").length, 1);
  assert.match(msg, /DENORT_BIN/);
  assert.ok(msg.includes(denortUrl(HOST, "2.9.6")));
  assert.equal(denortUrl(HOST, "2.9.6"), `https://dl.deno.land/release/v2.9.6/denort-${HOST}.zip`);
});
