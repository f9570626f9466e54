/**
 * The perf harness's floor for client capacity (figure 1): the least a Deno client can do per
 * non-streaming request. Each of N connections writes one fixed request, reads until the
 * answer's head and `content-length` body are in, and writes the next; no pool, no record, no
 * parsing beyond the head's end and its length. What it reaches is the runtime's ceiling on this
 * host; the client's rate against it is the client's own overhead, apart from the runtime's.
 *
 * With `"reads": true` it also does the least a measuring client must do with each answer:
 * stamp the send and the arrival, decode the body and `JSON.parse` it, take its usage's token
 * count and keep the latency (in a fixed ring). That is the floor for any client that reports
 * what the server answered, rather than only that it answered.
 *
 * Usage: `deno run --allow-net bench/bare_request_client.ts '{"url":…,"concurrency":50,
 * "seconds":5}'`; prints one JSON line (`rps`, `requests`, `cpu_us_per_request`). Requests in
 * the first 0.5 s are not counted.
 *
 * @module
 */

import process from "node:process";
import { connIo } from "../net/conn_io.ts";

/** The JSON argument. */
export interface BareRequestSpec {
  /** Target base URL (`http://127.0.0.1:PORT`). */
  url: string;
  /** Connections, each with one request in flight. */
  concurrency: number;
  /** Counted seconds. */
  seconds: number;
  /** Also stamp, decode and parse each answer (the floor of a client that reads answers). */
  reads?: boolean;
}

const CR = 13;
const LF = 10;
const WARMUP_MS = 500;

/** Index just past the head's blank line in `buf[0..w)`, or -1. */
function headEnd(buf: Uint8Array, w: number): number {
  for (let i = buf.indexOf(LF); i >= 0 && i < w; i = buf.indexOf(LF, i + 1)) {
    if (i >= 3 && buf[i - 1] === CR && buf[i - 2] === LF && buf[i - 3] === CR) return i + 1;
  }
  return -1;
}

/** The `content-length` of the head in `buf[0..end)` (ASCII, any case); 0 when absent. */
function contentLength(head: string): number {
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  return m ? Number(m[1]) : 0;
}

/** Run the loop; resolves with what it counted. */
export async function runBareRequests(spec: BareRequestSpec): Promise<Record<string, number>> {
  const url = new URL(spec.url);
  const body = JSON.stringify({
    model: "m",
    messages: [{ role: "user", content: "hi" }],
    max_tokens: 16,
  });
  const request = new TextEncoder().encode(
    `POST /v1/chat/completions HTTP/1.1\r\nhost: ${url.host}\r\n` +
      `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
  );
  const dec = new TextDecoder();
  let counting = false;
  let stop = false;
  let requests = 0;
  let tokens = 0;
  const reads = spec.reads === true;
  const latencies = new Float64Array(4096);
  let cpu0 = process.cpuUsage();
  let t0 = 0;
  const warm = setTimeout(() => {
    counting = true;
    cpu0 = process.cpuUsage();
    t0 = performance.now();
  }, WARMUP_MS);
  const end = setTimeout(() => (stop = true), WARMUP_MS + spec.seconds * 1000);

  const loop = async () => {
    const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
    conn.setNoDelay(true);
    // The same reads and writes as the client's (the runtime's ops where it has them).
    const io = connIo(conn, true);
    const buf = new Uint8Array(64 * 1024);
    let w = 0;
    try {
      while (!stop) {
        const sent = reads ? performance.now() : 0;
        await io.write(request);
        let head = -1; // bytes of the head, once it is in
        let need = -1; // bytes of head and body
        while (need < 0 || w < need) {
          const n = await io.read(buf.subarray(w));
          if (n === 0) return;
          w += n;
          if (need < 0) {
            head = headEnd(buf, w);
            if (head >= 0) need = head + contentLength(dec.decode(buf.subarray(0, head)));
          }
        }
        if (reads) {
          const answer = JSON.parse(dec.decode(buf.subarray(head, need)));
          tokens += answer?.usage?.completion_tokens ?? 0;
          latencies[requests & 4095] = performance.now() - sent;
        }
        buf.copyWithin(0, need, w);
        w -= need;
        if (counting) requests++;
      }
    } finally {
      conn.close();
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, loop));
  const seconds = (performance.now() - t0) / 1000;
  clearTimeout(warm);
  clearTimeout(end);
  const cpu = process.cpuUsage(cpu0);
  return {
    requests,
    tokens,
    rps: seconds > 0 ? requests / seconds : 0,
    cpu_us_per_request: requests > 0 ? (cpu.user + cpu.system) / requests : 0,
  };
}

if (import.meta.main) {
  console.log(JSON.stringify(await runBareRequests(JSON.parse(Deno.args[0]) as BareRequestSpec)));
}
