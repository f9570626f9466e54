import assert from "node:assert/strict";
import { UsageError } from "../../util/errors.ts";
import { DEFAULT_SERVER_OPTIONS, parseServeArgs, serveHelp } from "../../server/options.ts";

const ALL_FLAGS = [
  "--host",
  "--port",
  "--seed",
  "--ttft-ms",
  "--itl-ms",
  "--ttft-variance",
  "--itl-variance",
  "--latency-ms",
  "--pause-at-s",
  "--pause-ms",
  "--prefill-ms-per-token",
  "--no-kv-cache",
  "--kv-block-size",
  "--kv-capacity-blocks",
  "--workers",
  "--overlap-weight",
  "--load-weight",
  "--api-key",
  "--error-rate",
  "--error-status",
  "--disconnect-rate",
  "--stall-rate",
  "--stall-ms",
  "--malformed-rate",
  "--leak-bytes-per-request",
  "--max-tokens-limit",
  "--stamp-chunks",
];

Deno.test("parseServeArgs: no flags gives the defaults", () => {
  const opts = parseServeArgs([]);
  assert.deepEqual(opts, { ...DEFAULT_SERVER_OPTIONS, apiKeys: [] });
  assert.equal(opts.host, "127.0.0.1");
  assert.equal(opts.port, 8000);
  assert.equal(opts.ttftMs, 20);
  assert.equal(opts.itlMs, 5);
  assert.equal(opts.kvBlockSize, 16);
  assert.equal(opts.maxBodyBytes, 32 * 1024 * 1024);
  // a 1000-token prompt is visibly faster when cached
  assert.ok(opts.prefillMsPerToken * 1000 >= 20);
});

Deno.test("parseServeArgs: every flag is read", () => {
  const opts = parseServeArgs([
    "--host=0.0.0.0",
    "--port",
    "0",
    "--seed",
    "7",
    "--ttft-ms",
    "50",
    "--itl-ms",
    "10.5",
    "--ttft-variance",
    "0",
    "--itl-variance",
    "25",
    "--latency-ms",
    "100",
    "--pause-at-s",
    "1.5",
    "--pause-ms",
    "1000",
    "--prefill-ms-per-token",
    "0.1",
    "--no-kv-cache",
    "--kv-block-size",
    "32",
    "--kv-capacity-blocks",
    "100",
    "--workers",
    "8",
    "--overlap-weight",
    "2",
    "--load-weight",
    "0",
    "--api-key",
    "k1",
    "--api-key",
    "k2",
    "--error-rate",
    "0.05",
    "--error-status",
    "429",
    "--disconnect-rate",
    "0.02",
    "--stall-rate",
    "0.5",
    "--stall-ms",
    "200",
    "--malformed-rate",
    "1",
    "--leak-bytes-per-request",
    "65536",
    "--max-tokens-limit",
    "4096",
    "--stamp-chunks",
  ]);
  assert.deepEqual(opts, {
    ...DEFAULT_SERVER_OPTIONS,
    host: "0.0.0.0",
    port: 0,
    seed: 7,
    ttftMs: 50,
    itlMs: 10.5,
    ttftVariancePct: 0,
    itlVariancePct: 25,
    latencyMs: 100,
    pauseAtS: 1.5,
    pauseMs: 1000,
    prefillMsPerToken: 0.1,
    kvCache: false,
    kvBlockSize: 32,
    kvCapacityBlocks: 100,
    workers: 8,
    overlapWeight: 2,
    loadWeight: 0,
    apiKeys: ["k1", "k2"],
    errorRate: 0.05,
    errorStatus: 429,
    disconnectRate: 0.02,
    stallRate: 0.5,
    stallMs: 200,
    malformedRate: 1,
    leakBytesPerRequest: 65536,
    maxTokensLimit: 4096,
    stampChunks: true,
    profile: "constant",
    profileNote: "profile constant (FakeAI's timing): --ttft-ms, --itl-ms, --ttft-variance, " +
      "--itl-variance, --latency-ms, --prefill-ms-per-token given without --profile",
  });
});

Deno.test("parseServeArgs: bad values throw a one-line UsageError naming the flag", () => {
  const cases: [string[], string][] = [
    [["--port", "abc"], "--port"],
    [["--port", "70000"], "--port"],
    [["--port", "1.5"], "--port"],
    [["--ttft-ms", "-1"], "--ttft-ms"],
    [["--itl-ms", ""], "--itl-ms"],
    [["--error-rate", "1.5"], "--error-rate"],
    [["--disconnect-rate", "-0.1"], "--disconnect-rate"],
    [["--stall-rate", "NaN"], "--stall-rate"],
    [["--malformed-rate", "2"], "--malformed-rate"],
    [["--error-status", "404"], "--error-status"],
    [["--workers", "0"], "--workers"],
    [["--kv-block-size", "0"], "--kv-block-size"],
    [["--max-tokens-limit", "x"], "--max-tokens-limit"],
    [["--leak-bytes-per-request", "-5"], "--leak-bytes-per-request"],
    [["--bogus"], "--bogus"],
    [["--port"], "--port"],
    [["extra"], "extra"],
    [["--api-key", ""], "--api-key"],
  ];
  for (const [argv, flag] of cases) {
    assert.throws(
      () => parseServeArgs(argv),
      (err: unknown) => {
        assert.ok(err instanceof UsageError, `${argv.join(" ")}: not a UsageError`);
        assert.ok(
          err.message.includes(flag),
          `${argv.join(" ")}: "${err.message}" does not name ${flag}`,
        );
        assert.ok(!err.message.includes("\n"), `${argv.join(" ")}: message has more than one line`);
        assert.equal(err.exitCode, 2);
        return true;
      },
    );
  }
});

Deno.test("serveHelp lists every flag with its default", () => {
  const help = serveHelp();
  for (const flag of ALL_FLAGS) assert.ok(help.includes(flag), `help lacks ${flag}`);
  assert.match(help, /--ttft-ms N\s+20\s/);
  assert.match(help, /--itl-ms N\s+5\s/);
  assert.match(help, /--port N\s+8000\s/);
  assert.match(help, /--kv-block-size N\s+16\s/);
});

Deno.test("--profile and --profile-file: the file applies first, flags win, bad values name the flag", async () => {
  // The same default as a run's embedded server: the twin.
  assert.equal(parseServeArgs([]).profile, "twin");
  assert.equal(parseServeArgs([]).profileNote, null);
  assert.equal(parseServeArgs(["--profile", "ENGINE"]).profile, "engine");
  // FakeAI's timing settings, from flags or the environment, choose FakeAI's timing and say so;
  // a --profile given with them wins.
  const fake = parseServeArgs(["--ttft-ms", "30"]);
  assert.equal(fake.profile, "constant");
  assert.match(fake.profileNote ?? "", /profile constant \(FakeAI's timing\): --ttft-ms given/);
  const env = parseServeArgs([], (n) => (n === "FAKEAI_GENERATION__TTFT_MS" ? "40" : undefined));
  assert.equal(env.profile, "constant");
  assert.equal(env.ttftMs, 40);
  assert.equal(parseServeArgs(["--ttft-ms", "30", "--profile", "engine"]).profile, "engine");
  assert.throws(
    () => parseServeArgs(["--profile", "gpu"]),
    /--profile: must be twin, engine or constant/,
  );
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        profile: "engine",
        "max-num-seqs": 32,
        "no-kv-cache": true,
        "api-key": ["a"],
      }),
    );
    const o = parseServeArgs(["--profile-file", file, "--max-num-seqs", "16"]);
    assert.equal(o.profile, "engine");
    assert.equal(o.maxNumSeqs, 16, "the flag wins over the file");
    assert.equal(o.kvCache, false);
    assert.deepEqual(o.apiKeys, ["a"]);
    await Deno.writeTextFile(file, JSON.stringify({ "max-num-seqs": 0 }));
    assert.throws(() => parseServeArgs([`--profile-file=${file}`]), /--max-num-seqs/);
    await Deno.writeTextFile(file, "[1, 2]");
    assert.throws(() => parseServeArgs(["--profile-file", file]), /must hold a JSON object/);
  } finally {
    await Deno.remove(file);
  }
  assert.throws(() => parseServeArgs(["--profile-file", "/nonexistent.json"]), /cannot read/);
});

Deno.test("serve --explain states TPOT at batch 1 and max-num-seqs and the saturation per shape", async () => {
  const { explainText } = await import("../../server/main.ts");
  const text = explainText(parseServeArgs(["--profile", "engine", "--max-num-seqs", "16"]));
  assert.match(text, /TPOT without prefill: 4\.10 ms at batch 1, 5\.60 ms at batch 16/);
  assert.match(text, /saturation at ISL 128 \/ OSL 128: \d+ output tokens\/s/);
  const twin = explainText(parseServeArgs(["--model-config", "llama-2-70b-hf", "--tp", "4"]));
  assert.match(twin, /twin: meta-llama\/Llama-2-70b-hf on 4 × NVIDIA H100 SXM 80 GB under vLLM/);
  assert.match(twin, /weights 34\.5 GB/);
});

Deno.test("twin options: defaults, flags, and what vLLM would refuse exits as a usage error", () => {
  const o = parseServeArgs([]);
  assert.equal(o.model, "meta-llama/Llama-3.1-8B-Instruct");
  assert.equal(o.gpu, "h100-sxm");
  assert.equal(o.tp, 1);
  const t = parseServeArgs(["--gpu", "h200", "--max-num-seqs", "64", "--max-model-len", "8192"]);
  assert.equal(t.gpu, "h200");
  assert.equal(t.maxModelLen, 8192);
  assert.throws(() => parseServeArgs(["--gpu", "tpu-v5"]), /--gpu: unknown GPU "tpu-v5"/);
  assert.throws(() => parseServeArgs(["--model-config", "/no/such/config.json"]), /--model-config/);
  assert.throws(() => parseServeArgs(["--tp", "3"]), /--tp: .*not divisible by 3/);
  assert.throws(
    () => parseServeArgs(["--gpu-memory-utilization", "1.5"]),
    /--gpu-memory-utilization/,
  );
  // The engine profile ignores the twin's options.
  assert.equal(parseServeArgs(["--profile", "engine", "--gpu", "tpu-v5"]).profile, "engine");
});
