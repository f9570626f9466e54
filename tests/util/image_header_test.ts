/** Image headers: format and size of PNG, JPEG, GIF and WebP files without decoding them. */
import assert from "node:assert/strict";
import { readImageHeader } from "../../util/image_header.ts";
import { encodeImage, imagePixels } from "../../workload/images.ts";

function bytes(...parts: (string | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "string") { for (const c of p) out.push(c.charCodeAt(0)); }
    else out.push(...p);
  }
  return new Uint8Array(out);
}

const le16 = (v: number) => [v & 0xff, v >> 8];
const le24 = (v: number) => [v & 0xff, (v >> 8) & 0xff, v >> 16];

Deno.test("PNG and JPEG sizes are read from files the encoders wrote", async () => {
  const size = { width: 123, height: 45 };
  const px = imagePixels(size, 1, 2);
  for (const format of ["png", "jpeg"] as const) {
    const head = readImageHeader(await encodeImage(px, size, format));
    assert.deepEqual(head, {
      format,
      mime: `image/${format}`,
      width: 123,
      height: 45,
    });
  }
});

Deno.test("GIF and the three WebP headers give their sizes", () => {
  assert.deepEqual(
    readImageHeader(bytes("GIF89a", le16(300), le16(200), [0, 0, 0])),
    { format: "gif", mime: "image/gif", width: 300, height: 200 },
  );
  const riff = (chunk: string, data: number[]) =>
    bytes("RIFF", [0, 0, 0, 0], "WEBP", chunk, [0, 0, 0, 0], data);
  // Lossy: frame tag, start code, 14-bit width and height.
  const lossy = riff("VP8 ", [0, 0, 0, 0x9d, 0x01, 0x2a, ...le16(640), ...le16(480)]);
  assert.deepEqual(readImageHeader(lossy)?.width, 640);
  assert.deepEqual(readImageHeader(lossy)?.height, 480);
  // Lossless: signature 0x2f, then (width-1) and (height-1) in 14 bits each.
  const packed = (99 & 0x3fff) | ((49 & 0x3fff) << 14);
  const lossless = riff("VP8L", [
    0x2f,
    packed & 0xff,
    (packed >> 8) & 0xff,
    (packed >> 16) & 0xff,
    packed >>> 24,
  ]);
  assert.deepEqual([readImageHeader(lossless)?.width, readImageHeader(lossless)?.height], [
    100,
    50,
  ]);
  // Extended: 24-bit canvas width-1 and height-1.
  const extended = riff("VP8X", [0, 0, 0, 0, ...le24(1999), ...le24(999)]);
  assert.deepEqual(readImageHeader(extended), {
    format: "webp",
    mime: "image/webp",
    width: 2000,
    height: 1000,
  });
});

Deno.test("anything else, or a header cut short, is null", () => {
  assert.equal(readImageHeader(bytes("not an image at all, really")), null);
  assert.equal(readImageHeader(bytes("\x89PNG\r\n\x1a\n")), null);
  assert.equal(readImageHeader(bytes([0xff, 0xd8, 0xff, 0xe0, 0, 16])), null);
  assert.equal(readImageHeader(bytes("GIF89a", le16(0), le16(5))), null, "zero width");
  assert.equal(readImageHeader(new Uint8Array(0)), null);
});
