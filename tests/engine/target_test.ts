import assert from "node:assert/strict";
import { selfCommand, V8_FLAGS_ARG } from "../../engine/target.ts";

Deno.test("under deno, the program re-runs itself with deno run --allow-all and its entry", () => {
  const entry = new URL("../../main.ts", import.meta.url).href;
  const c = selfCommand(["serve", "--port", "0"], entry, "/usr/local/bin/deno");
  assert.equal(c.cmd, "/usr/local/bin/deno");
  assert.deepEqual(c.args.slice(0, 4), ["run", "--allow-all", "--no-prompt", V8_FLAGS_ARG]);
  assert.ok(c.args.includes(new URL(entry).pathname), c.args.join(" "));
  assert.deepEqual(c.args.slice(-3), ["serve", "--port", "0"]);
  const w = selfCommand(["serve"], "C:/x/main.ts", "C:\\deno\\deno.exe");
  assert.equal(w.args[0], "run");
});

Deno.test("a compiled executable re-runs itself with the arguments only", () => {
  for (const exe of ["/opt/bin/fakeai-bench", "/dist/fakeai-bench-aarch64-apple-darwin"]) {
    assert.deepEqual(selfCommand(["serve", "--port", "0"], "file:///main.ts", exe), {
      cmd: exe,
      args: ["serve", "--port", "0"],
    });
  }
  const win = "C:\\bench\\fakeai-bench.exe";
  assert.deepEqual(selfCommand(["serve"], "file:///main.ts", win), { cmd: win, args: ["serve"] });
});

Deno.test("the deno tasks that run the program use the same V8 flags", async () => {
  const cfg = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  for (const task of ["bench", "serve"]) {
    assert.ok(cfg.tasks[task].includes(V8_FLAGS_ARG), `${task}: ${cfg.tasks[task]}`);
  }
});
