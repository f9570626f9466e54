/**
 * The floor of the perf harness's timestamp-error figure: the least a Deno client can do per
 * streamed chunk. Each connection writes a fixed streaming request, reads, stamps each read
 * with `performance.now()` and takes the server's `x_sent_ms` out of every complete event
 * with a regular expression: no HTTP parsing beyond that, no SSE parser, no JSON, no
 * statistics until the end. Its error against the server's stamps is what the runtime's own
 * per-read cost leaves; the difference to the real client is the client's.
 *
 * Takes one JSON argument (`url`, `concurrency`, `seconds`, `maxTokens`), prints one JSON
 * line (`stamps` as in `engine/selftest.ts`, `cpu_us_per_request`, `requests`).
 *
 * @module
 */

import process from "node:process";
import { connIo } from "../net/conn_io.ts";
import { SampleList } from "../measure/samples.ts";
import { timestampError } from "../engine/selftest.ts";

/** The JSON argument. */
export interface BareSpec {
  /** Target base URL (a server that stamps chunks with `x_sent_ms`). */
  url: string;
  /** Streams at once. */
  concurrency: number;
  /** Counted seconds (after half a second of warm-up). */
  seconds: number;
  /** Tokens per stream. */
  maxTokens: number;
}

const STAMP = /"x_sent_ms":([\d.]+)/;

/** Run the bare streams and summarise their timestamp error. */
export async function runBare(spec: BareSpec): Promise<unknown> {
  const url = new URL(spec.url);
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const body = JSON.stringify({
    model: "m",
    messages: [{ role: "user", content: "hi" }],
    max_tokens: spec.maxTokens,
    stream: true,
  });
  const request = enc.encode(
    `POST /v1/chat/completions HTTP/1.1\r\nhost: ${url.host}\r\n` +
      `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
  );
  const errors = new SampleList();
  const delivery = new SampleList();
  const origin = performance.timeOrigin;
  let counting = false;
  let stop = false;
  let requests = 0;
  let cpu0 = process.cpuUsage();
  const warm = setTimeout(() => {
    counting = true;
    cpu0 = process.cpuUsage();
  }, 500);
  const end = setTimeout(() => (stop = true), 500 + spec.seconds * 1000);

  const stream = async () => {
    const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
    conn.setNoDelay(true);
    // The same reads and writes as the client's (the runtime's ops where it has them).
    const io = connIo(conn, true);
    const buf = new Uint8Array(16 * 1024);
    try {
      while (!stop) {
        const counted = counting;
        await io.write(request);
        let pending = "";
        let prevSent = -1;
        let prevAt = -1;
        while (true) {
          const n = await io.read(buf);
          const t = performance.now();
          if (n === 0) return;
          pending += dec.decode(buf.subarray(0, n));
          for (let i = pending.indexOf("\n\n"); i >= 0; i = pending.indexOf("\n\n")) {
            const m = STAMP.exec(pending.slice(0, i));
            pending = pending.slice(i + 2);
            if (m === null || !counted) continue;
            const sent = Number(m[1]);
            delivery.push(origin + t - sent);
            if (prevSent >= 0) errors.push(t - prevAt - (sent - prevSent));
            prevSent = sent;
            prevAt = t;
          }
          if (pending.endsWith("0\r\n\r\n")) break; // the last chunk of the response
        }
        if (counted) requests++;
      }
    } finally {
      conn.close();
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, stream));
  clearTimeout(warm);
  clearTimeout(end);
  const cpu = process.cpuUsage(cpu0);
  return {
    requests,
    cpu_us_per_request: requests > 0 ? (cpu.user + cpu.system) / requests : 0,
    stamps: timestampError(errors.toFloat64Array(), delivery.toFloat64Array()),
  };
}

if (import.meta.main) {
  console.log(JSON.stringify(await runBare(JSON.parse(Deno.args[0]) as BareSpec)));
}
