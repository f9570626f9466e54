import assert from "node:assert/strict";
import { ConfigError } from "../../util/errors.ts";
import { judgeSchedule } from "../../runner/runner.ts";
import { bodyOf } from "../../workload/payload.ts";
import { loadScenario, MAX_SCENARIO_BYTES, parseScenario as parse0 } from "../../plan/scenario.ts";
import { SUITE_RULES } from "../../cli/plan.ts";

const parseScenario = (text: string, file: string) => parse0(text, file, SUITE_RULES);
import { RecordAggregator } from "../../measure/aggregate.ts";
import { emptyRecord } from "../../measure/record.ts";

const GOOD = `
replace: [concurrent]
tests:
  - suite: concurrent
    name: "Custom {concurrency}"
    payload:
      messages: [{ role: system, content: Be brief. }, { role: user, content: Hi }]
      max_tokens: 7
      stream: true
      extra: { ignore_eos: true }
    load: { concurrency: [5, 25, 75], requests: [10, 50, 75], warmup: 0 }
  - suite: kv_cache
    name: Open
    load: { rate: 20, duration_s: 3, arrival: poisson, max_in_flight: 4 }
`;

Deno.test("a scenario expands a concurrency list into one test per level", () => {
  const s = parseScenario(GOOD, "s.yaml");
  assert.deepEqual(s.replace, ["concurrent"]);
  assert.deepEqual(s.suites, ["kv-cache", "concurrent"]);
  assert.deepEqual(s.tests.map((t) => t.name), ["Custom 5", "Custom 25", "Custom 75", "Open"]);
  const [a, , c, open] = s.tests;
  assert.deepEqual(a.load, { kind: "closed", concurrency: 5, requests: 10, warmup: 0 });
  assert.equal(c.load.kind === "closed" && c.load.requests, 75);
  assert.equal(a.payload.max_tokens, 7);
  assert.equal(a.payload.stream, true);
  assert.equal(a.source, "s.yaml tests[0]");
  const body = bodyOf(a.payload, "m");
  assert.equal(body.ignore_eos, true);
  assert.equal(body.messages.length, 2);
  assert.deepEqual(open.load, {
    kind: "open",
    rate: 20,
    duration_s: 3,
    requests: null,
    arrival: "poisson",
    max_in_flight: 4,
    warmup: null,
    max_queue_delay_ms: null,
  });
  // The default payload fills what a test leaves out.
  assert.equal(open.payload.model, "meta-llama/Llama-3.1-8B-Instruct");
  assert.equal(open.payload.max_tokens, 50);
});

Deno.test("JSON scenarios parse the same way; names without a placeholder get the level", () => {
  const s = parseScenario(
    JSON.stringify({
      tests: [{ suite: "throughput", name: "T", load: { rate: [5, 10], requests: 9 } }],
    }),
    "s.json",
  );
  assert.deepEqual(s.tests.map((t) => t.name), ["T (5 RPS)", "T (10 RPS)"]);
  assert.deepEqual(s.replace, []);
});

function problems(text: string, file = "bad.yaml"): string {
  try {
    parseScenario(text, file);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.exitCode, 2);
    return err.message;
  }
  assert.fail("no error");
}

Deno.test("each validation problem names the file, the path, the line and what is wrong", () => {
  const msg = problems(`tests:
  - suite: concurrent
    name: ok
    load: { concurrency: 5, requests: 10 }
  - suite: concurrent
    name: a
    load: { concurrency: 5, requests: 10 }
  - suite: concurrent
    name: b
    load:
      rate: fast
      duration_s: 5
  - suite: concurent
    name: c
    payload: { max_token: 5 }
    load: { concurrency: 0, requests: 1, duration_s: 3 }
`);
  assert.match(msg, /bad\.yaml: tests\[2\]\.load\.rate \(line 11\): must be a number, got "fast"/);
  assert.match(msg, /tests\[3\]\.suite \(line 13\): unknown suite "concurent"/);
  assert.match(msg, /tests\[3\]\.payload\.max_token.*did you mean 'max_tokens'/);
  assert.match(msg, /tests\[3\]\.load\.concurrency.*between 1 and/);
  assert.match(msg, /tests\[3\]\.load\.duration_s.*only applies to an open loop/);
});

Deno.test("structural problems: both loop kinds, missing bounds, duplicate names, syntax", () => {
  assert.match(
    problems(`tests: [{ suite: concurrent, name: x, load: { concurrency: 2, rate: 3 } }]`),
    /tests\[0\]\.load.*either concurrency .* or rate/,
  );
  assert.match(
    problems(`tests: [{ suite: concurrent, name: x, load: { rate: 3 } }]`),
    /tests\[0\]\.load.*needs duration_s or requests/,
  );
  assert.match(
    problems(`tests:
  - { suite: concurrent, name: "x {concurrency}", load: { concurrency: [1, 2], requests: 3 } }
  - { suite: concurrent, name: x 2, load: { concurrency: 4, requests: 3 } }`),
    /tests\[1\]\.name.*"x 2" is already used by tests\[0\]/,
  );
  assert.match(
    problems(
      `tests: [{ suite: concurrent, name: x, load: { concurrency: [1, 2], requests: [1, 2, 3] } }]`,
    ),
    /requests.*one number or a list as long as concurrency \(2\)/,
  );
  assert.match(problems("tests: [1, 2"), /^bad\.yaml:\d+:\d+: not valid YAML/);
  assert.match(problems("{", "bad.json"), /^bad\.json: not valid JSON/);
  assert.match(problems("tests: []"), /bad\.yaml: tests .*non-empty list/);
  assert.match(problems("test: []"), /bad\.yaml: test .*did you mean 'tests'/);
  assert.match(
    problems(
      `tests: [{ suite: concurrent, name: x, payload: { extra: { stream: true } }, load: { concurrency: 1, requests: 1 } }]`,
    ),
    /payload\.extra\.stream.*set stream in payload itself/,
  );
});

Deno.test("the schedule is judged kept by the queue-delay p99 against the bound", () => {
  const agg = new RecordAggregator();
  for (let i = 0; i < 100; i++) {
    const r = emptyRecord(i + (i >= 95 ? 0.05 : 0.001), i);
    r.tEnd = r.tSend + 0.01;
    r.e2e = 0.01;
    agg.add(r);
  }
  const m = agg.metrics();
  const loose = judgeSchedule(m, 100, 10, 9.9);
  assert.equal(loose.kept, true);
  assert.equal(loose.note, null);
  const tight = judgeSchedule(m, 10, 10, 9.9);
  assert.equal(tight.kept, false);
  assert.ok(
    tight.queueDelayP99Ms > 40 && tight.queueDelayP99Ms <= 50,
    String(tight.queueDelayP99Ms),
  );
  assert.match(tight.note!, /schedule not kept: queue delay p99 .* exceeds 10 ms/);
});

Deno.test("JSON duplicate keys, YAML alias bombs and oversized files are refused (exit 2)", async () => {
  const dup = '{"tests": [{"name": "a", "name": "b", "concurrency": 1, "requests": 2}]}';
  assert.throws(
    () => parseScenario(dup, "dup.json"),
    (e: unknown) => e instanceof ConfigError && /dup\.json:1:\d+: .*[Uu]nique|dup/i.test(e.message),
  );
  let bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (let i = 1; i < 10; i++) {
    bomb += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`;
  }
  bomb += "tests: *a9\n";
  assert.throws(
    () => parseScenario(bomb, "bomb.yaml"),
    (e: unknown) => e instanceof ConfigError && /bomb\.yaml/.test(e.message),
  );
  const dir = await Deno.makeTempDir();
  try {
    const big = `${dir}/big.yaml`;
    await Deno.writeTextFile(big, "#".repeat(MAX_SCENARIO_BYTES + 1));
    await assert.rejects(
      () => loadScenario(big, SUITE_RULES),
      (e: unknown) => e instanceof ConfigError && /over the limit/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a scenario's out and tag lists are checked as --out and --tag are", () => {
  const ok = parseScenario(
    "out: [prometheus-rw=http://127.0.0.1:9090/api/v1/write, openmetrics=/tmp/x.prom]\n" +
      "tag: [env=staging]\n" +
      "tests:\n  - suite: concurrent\n    name: c\n    load: {concurrency: 1, requests: 1}\n",
    "s.yaml",
  );
  assert.deepEqual(ok.outputs, {
    out: ["prometheus-rw=http://127.0.0.1:9090/api/v1/write", "openmetrics=/tmp/x.prom"],
    tag: ["env=staging"],
  });
  assert.throws(
    () =>
      parseScenario(
        "out: [influx=http://x]\ntag: [run_id=x]\n" +
          "tests:\n  - suite: concurrent\n    name: c\n    load: {concurrency: 1, requests: 1}\n",
        "bad.yaml",
      ),
    (e: unknown) =>
      e instanceof ConfigError && /out\[0\].*KIND=TARGET/s.test(e.message) &&
      /tag\[0\].*the tool's own/s.test(e.message),
  );
});
