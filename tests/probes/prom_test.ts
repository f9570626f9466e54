import assert from "node:assert/strict";
import {
  findSamples,
  parsePrometheus,
  parsePromValue,
  parseSampleLine,
  residentMemory,
  scrapeResidentMemory,
} from "../../probes/prom.ts";
import { mockServer } from "../_mock.ts";

const EXPOSITION = `# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 1.234567e+08
# A free-form comment that is not HELP or TYPE
# HELP http_requests_total Requests, with a \\\\ backslash and a\\nnewline.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
metric_without_timestamp_and_labels 12.47
something_weird{problem="division by zero"} +Inf -3982045
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5",} 4773
rpc_duration_seconds_sum 1.7560473e+07
nan_value NaN
neg_inf{a="b"} -Inf
# EOF
`;

Deno.test("parsePrometheus reads HELP/TYPE, comments, labels with escapes, Inf/NaN and timestamps", () => {
  const doc = parsePrometheus(EXPOSITION);
  assert.deepEqual(doc.errors, []);
  assert.equal(doc.samples.length, 10);
  assert.equal(doc.families.get("process_resident_memory_bytes")?.type, "gauge");
  assert.equal(
    doc.families.get("http_requests_total")?.help,
    "Requests, with a \\ backslash and a\nnewline.",
  );
  assert.equal(doc.families.get("rpc_duration_seconds")?.type, "summary");
  const reqs = findSamples(doc, "http_requests_total", { code: "400" });
  assert.equal(reqs.length, 1);
  assert.equal(reqs[0].value, 3);
  assert.equal(reqs[0].timestampMs, 1395066363000);
  assert.deepEqual(reqs[0].labels, { method: "post", code: "400" });
  const ms = findSamples(doc, "msdos_file_access_time_seconds")[0];
  assert.equal(ms.labels.path, "C:\\DIR\\FILE.TXT");
  assert.equal(ms.labels.error, 'Cannot find file:\n"FILE.TXT"');
  assert.equal(ms.value, 1.458255915e9);
  const weird = findSamples(doc, "something_weird")[0];
  assert.equal(weird.value, Infinity);
  assert.equal(weird.timestampMs, -3982045);
  assert.deepEqual(findSamples(doc, "rpc_duration_seconds")[0].labels, { quantile: "0.5" });
  assert.ok(Number.isNaN(findSamples(doc, "nan_value")[0].value));
  assert.equal(findSamples(doc, "neg_inf")[0].value, -Infinity);
  assert.equal(findSamples(doc, "metric_without_timestamp_and_labels")[0].timestampMs, null);
  assert.deepEqual(residentMemory(doc), { bytes: 123456700, series: 1 });
});

Deno.test("malformed lines are reported with their line number and the rest still parses", () => {
  const doc = parsePrometheus(
    'ok 1\nbad{a="x} 2\nnovalue\nlabel{1a="x"} 3\nx{a="\\q"} 4\nfine{a="1"} 5 notatime\nlast 6\n',
  );
  assert.deepEqual(doc.samples.map((s) => s.name), ["ok", "last"]);
  assert.deepEqual(doc.errors.map((e) => e.line), [2, 3, 4, 5, 6]);
});

Deno.test("with a set of names, only their samples are parsed, as the whole parse reads them", () => {
  const whole = parsePrometheus(EXPOSITION);
  for (
    const keep of [
      ["http_requests_total", "nan_value"],
      ["msdos_file_access_time_seconds", "rpc_duration_seconds_sum", "neg_inf"],
      ["something_weird", "rpc_duration_seconds", "metric_without_timestamp_and_labels"],
      ["process_resident_memory_bytes"],
      ["absent"],
    ]
  ) {
    const names = new Set(keep);
    const kept = parsePrometheus(EXPOSITION, names);
    assert.deepEqual(kept.samples, whole.samples.filter((s) => names.has(s.name)), keep.join());
    assert.deepEqual(kept.errors, []);
    assert.equal(kept.families.size, 0, "families are not read");
  }
  // CRLF line ends, leading blanks, a last line without its end; a kept line that is malformed
  // is reported at its line, one that is not kept is not even read.
  const text = 'a 1\r\n  b{x="1"} 2\r\nb{x="2} 3\r\nbad{x="} 4\r\n# c 5\r\nb 7';
  const doc = parsePrometheus(text, new Set(["b"]));
  assert.deepEqual(doc.samples.map((s) => [s.labels, s.value]), [[{ x: "1" }, 2], [{}, 7]]);
  assert.deepEqual(doc.errors.map((e) => e.line), [3]);
  assert.deepEqual(
    doc.samples,
    parsePrometheus(text).samples.filter((s) => s.name === "b"),
  );
});

Deno.test("parsePromValue accepts the special values and rejects text", () => {
  assert.equal(parsePromValue("+Inf"), Infinity);
  assert.equal(parsePromValue("-inf"), -Infinity);
  assert.ok(Number.isNaN(parsePromValue("NaN")));
  assert.equal(parsePromValue("-1.5e-3"), -0.0015);
  assert.throws(() => parsePromValue("12abc"), SyntaxError);
  assert.throws(() => parseSampleLine('a{b="c"} 1 2 3'), SyntaxError);
  assert.throws(() => parseSampleLine('a{b="c",b="d"} 1'), /duplicate/);
});

Deno.test("residentMemory sums labelled series only when no unlabelled one exists", () => {
  const labelled = parsePrometheus(
    'process_resident_memory_bytes{pid="1"} 100\nprocess_resident_memory_bytes{pid="2"} 50\n',
  );
  assert.deepEqual(residentMemory(labelled), { bytes: 150, series: 2 });
  assert.equal(residentMemory(parsePrometheus("other 1\n")), null);
});

Deno.test("scrapeResidentMemory reads the gauge over HTTP and says when it is absent", async () => {
  let body = "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 4096\n";
  const mock = mockServer(() => new Response(body));
  try {
    assert.deepEqual(await scrapeResidentMemory(`${mock.url}/metrics`), { bytes: 4096, series: 1 });
    body = "up 1\n";
    await assert.rejects(
      () => scrapeResidentMemory(`${mock.url}/metrics`),
      /no process_resident_memory_bytes/,
    );
  } finally {
    await mock.close();
  }
});
