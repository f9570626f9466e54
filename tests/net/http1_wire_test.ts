/** Chunk-size lines read straight from a connection's buffer. */
import assert from "node:assert/strict";
import { Http1Error, takeChunkSize } from "../../net/http1_wire.ts";

/** A connection's buffer state holding `text` (unread from `r`). */
const buffered = (text: string, r = 0) => {
  const buf = new TextEncoder().encode(text);
  return { buf, r, w: buf.length };
};

Deno.test("chunk sizes: hex of either case, extensions, blanks, CRLF or LF", () => {
  const c = buffered("1a\r\nFF;name=value\r\n 0a \t\n0\r\n");
  assert.equal(takeChunkSize(c), 26);
  assert.equal(c.r, 4, "the line and its CRLF are taken");
  assert.equal(takeChunkSize(c), 255);
  assert.equal(takeChunkSize(c), 10);
  assert.equal(takeChunkSize(c), 0);
  assert.equal(c.r, c.w);
});

Deno.test("chunk sizes: a line whose end has not come leaves the buffer as it was", () => {
  const c = buffered("xx1a", 2);
  assert.equal(takeChunkSize(c), -1);
  assert.equal(c.r, 2);
  const long = buffered("1".repeat(5000));
  assert.throws(() => takeChunkSize(long), /chunk line too long/);
});

Deno.test("chunk sizes: what is not a size is a protocol error that shows the line", () => {
  for (const line of ["zz", "", "1a zz", "0x1a", "1g", ";ext", "1".repeat(13)]) {
    assert.throws(
      () => takeChunkSize(buffered(`${line}\r\n`)),
      (e: unknown) =>
        e instanceof Http1Error && e.kind === "protocol" &&
        e.message === `bad chunk size: ${line.slice(0, 20)}`,
      JSON.stringify(line),
    );
  }
  assert.equal(takeChunkSize(buffered(`${"f".repeat(12)}\r\n`)), 16 ** 12 - 1);
  assert.equal(
    takeChunkSize(buffered(`${"0".repeat(20)}1a\r\n`)),
    26,
    "leading zeros count for nothing",
  );
});
