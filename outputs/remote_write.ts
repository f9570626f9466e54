/**
 * Prometheus remote write (protocol 1.0): a `prometheus.WriteRequest` of time series, encoded
 * with protobuf and compressed with Snappy's block format, POSTed with
 * `Content-Encoding: snappy`, `Content-Type: application/x-protobuf` and
 * `X-Prometheus-Remote-Write-Version: 0.1.0`.
 *
 * Facts: the Prometheus remote write specification 1.0 and `prompb/types.proto`,
 * `prompb/remote.proto` (WriteRequest = 1: repeated TimeSeries; TimeSeries = 1: repeated Label,
 * 2: repeated Sample; Label = 1: name, 2: value; Sample = 1: double value, 2: int64 timestamp).
 *
 * @module
 */

import protobuf from "protobufjs";
import { compress } from "snappyjs";
import type { Sample } from "./metrics.ts";

const { Field, Type } = protobuf;

const Label = new Type("Label").add(new Field("name", 1, "string")).add(
  new Field("value", 2, "string"),
);
const PromSample = new Type("Sample").add(new Field("value", 1, "double")).add(
  new Field("timestamp", 2, "int64"),
);
const TimeSeries = new Type("TimeSeries")
  .add(new Field("labels", 1, "Label", "repeated"))
  .add(new Field("samples", 2, "Sample", "repeated"));
const WriteRequest = new Type("WriteRequest").add(
  new Field("timeseries", 1, "TimeSeries", "repeated"),
);
new protobuf.Root().define("prometheus").add(Label).add(PromSample).add(TimeSeries).add(
  WriteRequest,
);

/** The protobuf message types, for tests that decode what was sent. */
export const REMOTE_WRITE_TYPES = { WriteRequest, TimeSeries, Label, Sample: PromSample };

/**
 * A WriteRequest of `samples` at `timestampMs`, protobuf-encoded: labels sorted by name with
 * `__name__` first, as the specification requires.
 */
export function encodeWriteRequest(samples: readonly Sample[], timestampMs: number): Uint8Array {
  const timeseries = samples.map((s) => ({
    labels: [["__name__", s.name], ...Object.entries(s.labels)]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => ({ name, value })),
    samples: [{ value: s.value, timestamp: Math.round(timestampMs) }],
  }));
  return WriteRequest.encode(WriteRequest.create({ timeseries })).finish();
}

/** The body remote write sends: the encoded WriteRequest, Snappy block-compressed. */
export function remoteWriteBody(samples: readonly Sample[], timestampMs: number): Uint8Array {
  return new Uint8Array(compress(encodeWriteRequest(samples, timestampMs)));
}

/** The headers of a remote write request. */
export const REMOTE_WRITE_HEADERS = {
  "content-type": "application/x-protobuf",
  "content-encoding": "snappy",
  "x-prometheus-remote-write-version": "0.1.0",
  "user-agent": "fakeai-bench",
};
