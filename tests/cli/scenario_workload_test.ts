import assert from "node:assert/strict";
import { ConfigError, UsageError } from "../../util/errors.ts";
import { parseScenario as parse0 } from "../../plan/scenario.ts";
import { type WorkloadArgs, workloadScenario as workload0 } from "../../plan/workload.ts";
import { SUITE_RULES } from "../../cli/plan.ts";
import { parseCommandLine } from "../../cli/args.ts";

const parseScenario = (text: string, file: string) => parse0(text, file, SUITE_RULES);
const workloadScenario = (a: WorkloadArgs) => workload0(a, "throughput");

Deno.test("a scenario test's workload: lengths, endpoint, files next to the scenario file", () => {
  const s = parseScenario(
    `
tests:
  - suite: concurrent
    name: "ISL {concurrency}"
    workload: { isl: "normal:1024,128", osl: 64, endpoint: completions, tokenizer: ./tok }
    load: { concurrency: [2, 4], requests: 10 }
  - suite: throughput
    name: Replay
    workload: { trace: traces/t.jsonl, trace_speed: 4 }
  - suite: memory
    name: Chats
    workload: { dataset: builtin, turns: 3, think_time_s: 0.5 }
    load: { rate: 2, duration_s: 5 }
`,
    "/etc/bench/s.yaml",
  );
  const [a, b, , replay, chats] = [s.tests[0], s.tests[1], null, s.tests[2], s.tests[3]];
  assert.deepEqual(a.workload?.isl, {
    kind: "normal",
    mean: 1024,
    stddev: 128,
    min: 1,
    max: 1_000_000,
  });
  assert.deepEqual(a.workload?.osl, { kind: "constant", value: 64 });
  assert.equal(a.workload?.endpoint, "completions");
  assert.equal(a.workload?.tokenizer, "/etc/bench/tok");
  assert.equal(b.load.kind, "closed");
  assert.equal(replay.workload?.trace, "/etc/bench/traces/t.jsonl");
  assert.equal(replay.workload?.traceSpeed, 4);
  assert.equal(replay.load.kind, "open", "a trace needs no load: it has its own schedule");
  assert.equal(chats.workload?.dataset, "builtin");
  assert.equal(chats.workload?.turns, 3);
});

Deno.test("bad workload fields are reported with their path and line", () => {
  assert.throws(
    () =>
      parseScenario(
        `
tests:
  - suite: throughput
    name: A
    workload:
      isl: "normal:abc"
      endpont: chat
      turns: 0
    load: { concurrency: 1, requests: 1 }
  - suite: throughput
    name: B
    workload: { trace: t.jsonl, dataset: d.json }
`,
        "w.yaml",
      ),
    (e: unknown) => {
      const m = (e as Error).message;
      return e instanceof ConfigError &&
        /tests\[0\]\.workload\.isl \(line 6\): .*not a number/.test(m) &&
        /tests\[0\]\.workload\.endpont \(line 7\): unknown field \(did you mean 'endpoint'\?\)/
          .test(m) &&
        /tests\[0\]\.workload\.turns \(line 8\): must be between 1 and 1000/.test(m) &&
        /tests\[1\]\.workload \(line 12\): give trace or dataset, not both/.test(m) &&
        !/tests\[1\]\.load/.test(m);
    },
  );
});

function cli(argv: string[]) {
  const cmd = parseCommandLine(argv, () => undefined);
  if (cmd.kind !== "run") throw new Error("not run");
  return cmd.args;
}

Deno.test("the command line's workload is one throughput test replacing the built-in ones", () => {
  assert.equal(workloadScenario(cli(["--quick"])), null, "no workload option, no workload test");
  const s = workloadScenario(cli(["--isl", "512", "--osl", "64", "--concurrency", "4"]))!;
  assert.deepEqual(s.replace, ["throughput"]);
  assert.equal(s.tests.length, 1);
  assert.equal(s.tests[0].name, "Workload: chat isl=512 osl=64, 4 concurrent");
  assert.deepEqual(s.tests[0].load, {
    kind: "closed",
    concurrency: 4,
    requests: 100,
    warmup: null,
  });
  const open = workloadScenario(
    cli(["--rate", "5", "--duration", "3", "--endpoint", "/v1/responses"]),
  )!;
  assert.equal(open.tests[0].load.kind, "open");
  assert.equal(open.tests[0].workload?.endpoint, "responses");
  assert.equal(open.tests[0].load.kind === "open" && open.tests[0].load.requests, null);
});

Deno.test("contradictory workload options are usage errors", () => {
  for (
    const argv of [
      ["--rate", "5", "--concurrency", "2"],
      ["--duration", "3"],
      ["--trace", "t.jsonl", "--turns", "2"],
      ["--dataset", "builtin", "--isl", "100"],
      ["--batch", "4"],
      ["--isl", "100", "--config", "x.yaml"],
      ["--think-time", "2"],
      ["--tokenizer", "llama3"],
      ["--image-transport", "url"],
      ["--isl", "64", "--image-transport", "url"],
    ]
  ) {
    assert.throws(() => workloadScenario(cli(argv)), UsageError, argv.join(" "));
  }
  assert.throws(() => cli(["--isl", "normal:5"]), UsageError);
  assert.throws(() => cli(["--images", "1", "--image-transport", "ftp"]), UsageError);
  // With images (generated or a dataset's), the transport is taken.
  for (const extra of [["--images", "1"], ["--dataset", "v.jsonl"]]) {
    const t = workloadScenario(cli([...extra, "--image-transport", "url"]))!.tests[0];
    assert.equal(t.workload?.imageTransport, "url");
  }
  const scenario = (how: string) =>
    parseScenario(
      `tests:\n  - suite: throughput\n    name: V\n    workload: { images: 1, image_transport: ${how} }\n    load: { concurrency: 1, requests: 1 }\n`,
      "v.yaml",
    );
  assert.equal(scenario("url").tests[0].workload?.imageTransport, "url");
  assert.throws(
    () => scenario("tcp"),
    /tests\[0\]\.workload\.image_transport \(line 4\): must be one of data, url, got "?tcp/,
  );
  assert.throws(() => cli(["--endpoint", "audio"]), UsageError);
});

Deno.test("a scenario test's own SLOs parse; a bad one names its path and line", () => {
  const s = parseScenario(
    `
tests:
  - suite: throughput
    name: A
    slo: [ttft=500ms, "itl.p99=80ms"]
    load: { concurrency: 1, requests: 1 }
`,
    "s.yaml",
  );
  assert.deepEqual(s.tests[0].slos?.map((x) => x.text), ["ttft=500ms", "itl.p99=80ms"]);
  assert.throws(
    () =>
      parseScenario(
        `tests:\n  - suite: throughput\n    name: A\n    slo: [ttfb=1s]\n    load: { concurrency: 1, requests: 1 }\n`,
        "b.yaml",
      ),
    (e: unknown) =>
      e instanceof ConfigError &&
      /tests\[0\]\.slo\[0\] \(line 4\): .*unknown metric "ttfb"/.test(e.message),
  );
});
