/**
 * Images: sizes read from PNG and JPEG headers, prompt tokens per model family, and generated
 * workload images that decode to the asked size and are the same for the same seed.
 */
import assert from "node:assert/strict";
import {
  dataUrlBytes,
  imageSize,
  imageTokens,
  qwenResize,
  readImagePart,
} from "../../server/images.ts";
import { buildImages } from "../../workload/images.ts";

Deno.test("generated PNG and JPEG images decode to the asked size, the same for a seed", () => {
  for (const format of ["png", "jpeg"] as const) {
    const sizes = [{ width: 320, height: 200 }, { width: 64, height: 96 }];
    const a = buildImages(3, sizes, format, 7);
    const b = buildImages(3, sizes, format, 7);
    assert.deepEqual(a.map((x) => x.url), b.map((x) => x.url), "deterministic");
    assert.notEqual(a[0].url, a[2].url, "distinct images");
    for (const [k, img] of a.entries()) {
      const bytes = dataUrlBytes(img.url)!;
      assert.equal(bytes.length, img.bytes);
      assert.deepEqual(imageSize(bytes), sizes[k % 2], `${format} ${k}`);
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

Deno.test("an image part that is not a data URL of a PNG or JPEG is named, not guessed", () => {
  assert.match(readImagePart("https://example.com/cat.png") as string, /only data:image/);
  assert.match(
    readImagePart(`data:image/png;base64,${btoa("not a png")}`) as string,
    /PNG or JPEG/,
  );
});
