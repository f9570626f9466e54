/**
 * One bounded reader: every body the client reads outside the load goes through
 * `net/bounded.ts`, and it stops at its limit, naming the body and the limit.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { BodyTooLargeError, getBounded, readBounded } from "../../net/bounded.ts";
import { mockServer } from "../_mock.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

/** Every .ts file of the tool itself (not its tests, tools, benchmarks or embedded server). */
async function toolSources(dir = ROOT): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    const rel = relative(ROOT, path);
    if (e.isDirectory) {
      if (/^(tests|tools|bench|server|node_modules|\.)/.test(rel)) continue;
      out.push(...await toolSources(path));
    } else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

Deno.test("no module of the client reads a whole fetch body except through net/bounded.ts", async () => {
  const files = await toolSources();
  assert.ok(files.length > 50, `${files.length} files scanned`);
  const offenders: string[] = [];
  for (const f of files) {
    if (f.endsWith("net/bounded.ts")) continue;
    // The live view's page is a browser's script, reading its own server's state.
    if (f.endsWith("report/live_page.ts")) continue;
    const text = await Deno.readTextFile(f);
    for (const m of text.matchAll(/\.(text|json|arrayBuffer|bytes|blob|formData)\(\)/g)) {
      offenders.push(`${relative(ROOT, f)}: ${m[0]}`);
    }
  }
  assert.deepEqual(offenders, []);
});

Deno.test("readBounded stops at its limit, by declared length or as the body grows", async () => {
  const big = "x".repeat(5000);
  const declared = new Response(big, { headers: { "content-length": "5000" } });
  await assert.rejects(
    () => readBounded(declared, 1024, "/metrics body"),
    (e: unknown) =>
      e instanceof BodyTooLargeError && e.limit === 1024 &&
      /\/metrics body declares 5000 bytes, over the limit of 1 KiB/.test(e.message),
  );
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(new TextEncoder().encode("y".repeat(700)));
    },
  });
  await assert.rejects(
    () => readBounded(new Response(stream), 1024, "/health body"),
    /\/health body went past 1024 bytes/,
  );
  assert.equal(await readBounded(new Response("small"), 1024, "x"), "small");
});

Deno.test("getBounded: one timeout for the whole exchange, body included", async () => {
  const mock = mockServer(() =>
    new Response(
      new ReadableStream<Uint8Array>({
        async start(c) {
          c.enqueue(new TextEncoder().encode("a"));
          await new Promise((r) => setTimeout(r, 2000));
          c.close();
        },
      }),
    )
  );
  try {
    await assert.rejects(
      () => getBounded(`${mock.url}/`, { timeoutMs: 200, maxBytes: 100, what: "body" }),
      (e: unknown) => e instanceof DOMException && e.name === "TimeoutError",
    );
  } finally {
    await mock.close();
  }
});
