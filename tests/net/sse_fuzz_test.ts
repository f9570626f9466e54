import assert from "node:assert/strict";
import { type SseEvent, SseParser } from "../../net/sse.ts";
import { randomChunks, randomStream, Rng } from "../_fuzz.ts";

type Ev = { data: string; event: string | null; id: string | null };

/**
 * An independent reading of the WHATWG event-stream rules over the decoded text (a leading
 * BOM dropped, lines split on CRLF, CR or LF), with the parser's one leniency: an event still
 * pending at the end of the stream is dispatched.
 */
function reference(bytes: Uint8Array): Ev[] {
  const text = new TextDecoder().decode(bytes); // drops one leading BOM, as the spec says
  const lines = text.split(/\r\n|\r|\n/);
  const last = lines.pop()!; // an unterminated last line ("" when the text ends in a newline)
  if (last !== "") lines.push(last);
  const out: Ev[] = [];
  let data: string[] = [];
  let event: string | null = null;
  let id: string | null = null;
  const dispatch = () => {
    if (data.length > 0) out.push({ data: data.join("\n"), event, id });
    data = [];
    event = null;
  };
  for (const line of lines) {
    if (line === "") {
      dispatch();
      continue;
    }
    if (line.startsWith(":")) continue;
    const c = line.indexOf(":");
    const field = c < 0 ? line : line.slice(0, c);
    let value = c < 0 ? "" : line.slice(c + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
    else if (field === "id" && !value.includes("\0")) id = value;
  }
  dispatch();
  return out;
}

/** Feed `chunks` (read i arrives at time i) and end at time `chunks.length`. */
function parse(chunks: Uint8Array[]): SseEvent[] {
  const got: SseEvent[] = [];
  const p = new SseParser((e) => got.push(e));
  chunks.forEach((c, i) => p.push(c, i));
  p.end(chunks.length);
  return got;
}

const strip = (evs: SseEvent[]): Ev[] => evs.map(({ data, event, id }) => ({ data, event, id }));

Deno.test("fuzz: random byte streams, random reads: same events as the reference, never a throw", () => {
  const rng = new Rng(0x5eed);
  let events = 0;
  for (let n = 0; n < 1000; n++) {
    const bytes = randomStream(rng);
    const want = reference(bytes);
    // One byte per read: event k's time is the index of the byte that completed it.
    const bytewise = parse(Array.from(bytes, (b) => new Uint8Array([b])));
    assert.deepEqual(strip(bytewise), want, `stream #${n}: ${JSON.stringify([...bytes])}`);
    for (let k = 0; k < 3; k++) {
      const chunks = randomChunks(rng, bytes);
      const got = parse(chunks);
      assert.deepEqual(strip(got), want, `stream #${n} chunking #${k}`);
      // Each event is stamped with the read that held the byte completing it.
      const readOf: number[] = [];
      chunks.forEach((c, i) => c.forEach(() => readOf.push(i)));
      got.forEach((e, j) => {
        const b = bytewise[j].t;
        assert.equal(e.t, b === bytes.length ? chunks.length : readOf[b], `#${n} event ${j}`);
      });
    }
    events += want.length;
  }
  assert.ok(events > 700, `only ${events} events generated`);
});

Deno.test("a byte-order mark is dropped only at the start of the stream", () => {
  const bom = "\uFEFF";
  const got = parse([new TextEncoder().encode(`${bom}data: ${bom}a\n\ndata:${bom}\n\n`)]);
  assert.deepEqual(strip(got), [
    { data: `${bom}a`, event: null, id: null },
    { data: bom, event: null, id: null },
  ]);
  // Split inside the leading mark.
  const split = parse([
    new Uint8Array([0xef]),
    new Uint8Array([0xbb, 0xbf]),
    new TextEncoder().encode("data: x\n\n"),
  ]);
  assert.deepEqual(strip(split), [{ data: "x", event: null, id: null }]);
});
