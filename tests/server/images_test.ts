/**
 * Images: sizes read from PNG and JPEG headers, prompt tokens per model family, and generated
 * workload images that decode to the asked size and are the same for the same seed.
 */
import assert from "node:assert/strict";
import { dataUrlBytes, fetchImage, readImagePart } from "../../server/images.ts";
import { imageTokens, qwenResize } from "../../twin/images.ts";
import { readImageHeader } from "../../util/image_header.ts";
import { buildImages } from "../../workload/images.ts";

Deno.test("generated PNG and JPEG images decode to the asked size, the same for a seed", async () => {
  for (const format of ["png", "jpeg"] as const) {
    const sizes = [{ width: 320, height: 200 }, { width: 64, height: 96 }];
    const a = await buildImages(3, sizes, format, 7);
    const b = await buildImages(3, sizes, format, 7);
    assert.deepEqual(a.map((x) => x.url), b.map((x) => x.url), "deterministic");
    assert.notEqual(a[0].url, a[2].url, "distinct images");
    for (const [k, img] of a.entries()) {
      const bytes = dataUrlBytes(img.url)!;
      assert.equal(bytes.length, img.bytes);
      const head = readImageHeader(bytes)!;
      assert.deepEqual({ width: head.width, height: head.height }, sizes[k % 2], `${format} ${k}`);
      assert.equal(head.format, format);
      assert.ok(img.url.startsWith(`data:image/${format};base64,`));
    }
  }
});

Deno.test("image tokens: Qwen2-VL's 28-pixel blocks, LLaVA-1.5's 576, OpenAI's tiles", () => {
  // 1024 rounds to 1036 = 37 × 28.
  assert.deepEqual(qwenResize(1024, 1024), { width: 1036, height: 1036 });
  assert.equal(imageTokens("Qwen/Qwen2.5-VL-7B-Instruct", 1024, 1024), 37 * 37);
  // Tiny images are scaled up to the 56 × 56 minimum: 4 tokens.
  assert.equal(imageTokens("Qwen/Qwen2-VL-2B-Instruct", 10, 10), 4);
  // Huge ones are scaled down under 12,845,056 pixels.
  assert.ok(imageTokens("qwen2-vl", 8000, 8000) <= 12_845_056 / 784);
  assert.equal(imageTokens("llava-hf/llava-1.5-7b-hf", 1024, 768), 576);
  // GPT-4o high detail: 1024² → 768² → 4 tiles: 85 + 4 × 170.
  assert.equal(imageTokens("gpt-4o", 1024, 1024), 765);
  // 2048 × 4096 fits 1024 × 2048, short side 768 → 768 × 1536: 2 × 3 tiles.
  assert.equal(imageTokens("gpt-4o-mini", 2048, 4096), 85 + 170 * 6);
});

Deno.test("an image part is read from a data URL, fetched from loopback, or refused by name", async () => {
  assert.match(
    readImagePart("https://example.com/cat.png") as string,
    /fetches images only from loopback/,
  );
  assert.match(readImagePart("ftp://127.0.0.1/cat.png") as string, /data:image.*or an http URL/);
  assert.deepEqual(readImagePart("http://127.0.0.1:9/images/0.png"), {
    url: "http://127.0.0.1:9/images/0.png",
  });
  assert.deepEqual(readImagePart("http://localhost/x.jpg"), { url: "http://localhost/x.jpg" });
  assert.match(
    readImagePart(`data:image/png;base64,${btoa("not a png")}`) as string,
    /not a PNG, JPEG, GIF or WebP/,
  );
  // The same bytes are the same image to the cache, whichever way they came.
  const [img] = await buildImages(1, [{ width: 40, height: 30 }], "png", 1);
  const read = readImagePart(img.url) as { width: number; height: number; hash: number };
  assert.deepEqual([read.width, read.height], [40, 30]);
});

Deno.test("fetchImage: the image from a loopback server, bounded by size and time", async () => {
  const [img] = await buildImages(1, [{ width: 64, height: 48 }], "jpeg", 3);
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/ok.jpg") return new Response(img.data as Uint8Array<ArrayBuffer>);
      if (path === "/hang") await new Promise((r) => setTimeout(r, 3000));
      if (path === "/big") return new Response(new Uint8Array(5000));
      return new Response("no", { status: 404 });
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const opts = { maxBytes: 4096, timeoutMs: 300 };
    const got = await fetchImage(`${base}/ok.jpg`, { ...opts, maxBytes: 1 << 20 });
    assert.ok(typeof got !== "string", String(got));
    assert.deepEqual([got.width, got.height], [64, 48]);
    const viaData = readImagePart(img.url) as { hash: number };
    assert.equal(got.hash, viaData.hash, "same bytes, same hash");
    assert.match(await fetchImage(`${base}/missing.png`, opts) as string, /answered HTTP 404/);
    assert.match(await fetchImage(`${base}/big`, opts) as string, /larger than 4096 bytes/);
    assert.match(await fetchImage(`${base}/hang`, opts) as string, /no answer in 300 ms/);
  } finally {
    ac.abort();
    await server.finished;
  }
});
