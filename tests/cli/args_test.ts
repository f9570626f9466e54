import assert from "node:assert/strict";
import { parseCommandLine } from "../../cli/args.ts";
import { UsageError } from "../../util/errors.ts";
import { normalizeBaseUrl } from "../../net/client.ts";

const noEnv = () => undefined;

Deno.test("defaults: run all suites with seed 42", () => {
  const cmd = parseCommandLine([], noEnv);
  assert.equal(cmd.kind, "run");
  if (cmd.kind !== "run") return;
  assert.deepEqual(cmd.args.suites, ["throughput", "kv-cache", "concurrent", "memory"]);
  assert.equal(cmd.args.seed, 42);
  assert.equal(cmd.args.url, null);
  assert.equal(cmd.args.apiKey, null);
});

Deno.test("suites: repeatable, comma-separated, aliases, run order kept", () => {
  const cmd = parseCommandLine(["--suite", "memory,kv_cache", "--suite", "throughput"], noEnv);
  assert.ok(cmd.kind === "run");
  assert.deepEqual(cmd.args.suites, ["throughput", "kv-cache", "memory"]);
  assert.equal(cmd.args.suitesExplicit, true);
  const skip = parseCommandLine(["--skip-memory"], noEnv);
  assert.ok(skip.kind === "run");
  assert.ok(!skip.args.suites.includes("memory"));
});

Deno.test("the API key comes from --api-key, else OPENAI_API_KEY", () => {
  const env = (n: string) => (n === "OPENAI_API_KEY" ? "sk-env" : undefined);
  const a = parseCommandLine([], env);
  assert.ok(a.kind === "run" && a.args.apiKey === "sk-env");
  const b = parseCommandLine(["--api-key", "sk-flag"], env);
  assert.ok(b.kind === "run" && b.args.apiKey === "sk-flag");
});

Deno.test("usage errors are one line and say how to get help", () => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /unknown option --bogus.*--help/],
    [["--suite", "nope"], /unknown suite 'nope'/],
    [["--seed", "abc"], /--seed expects a number/],
    [["--seed=-1"], /--seed must be at least 0/],
    [["--seed", "-1"], /--seed got a value that looks like an option; write --seed=VALUE/],
    [["--timeout", "0"], /--timeout must be greater than 0/],
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["--url"], /--url needs a value/],
    [
      ["--api-key=", "sk-stray-secret"],
      /^unexpected argument number \d+ \(after --api-key\): a word that belongs to no option/,
    ],
    [["--skip-memory", "--suite", "memory"], /no suite left/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseCommandLine(argv, noEnv), (err: unknown) => {
      assert.ok(err instanceof UsageError, `${argv.join(" ")}: ${err}`);
      assert.equal(err.exitCode, 2);
      assert.match(err.message, re);
      assert.ok(!err.message.includes("\n"), "one line");
      assert.ok(!err.message.includes("sk-stray-secret"), "stray words are not echoed");
      return true;
    });
  }
});

Deno.test("help, version and serve are dispatched", () => {
  assert.deepEqual(parseCommandLine(["--help"], noEnv), { kind: "help", topic: "run" });
  assert.deepEqual(parseCommandLine(["-V"], noEnv), { kind: "version" });
  assert.deepEqual(parseCommandLine(["serve", "--port", "0"], noEnv), {
    kind: "serve",
    argv: ["--port", "0"],
  });
});

Deno.test("base URLs: http(s) only, trailing slash and /v1 removed", () => {
  assert.equal(normalizeBaseUrl("http://127.0.0.1:8000/"), "http://127.0.0.1:8000");
  assert.equal(normalizeBaseUrl("http://localhost:8000/v1/"), "http://localhost:8000");
  assert.equal(normalizeBaseUrl("https://h/x/v1"), "https://h/x");
  assert.throws(() => normalizeBaseUrl("ftp://h"), /http or https/);
  assert.throws(() => normalizeBaseUrl("not a url"), /not a URL/);
  assert.throws(() => normalizeBaseUrl("http://u:p@h"), /credentials/);
  // A query or fragment would be silently dropped from every request: refused.
  assert.throws(() => normalizeBaseUrl("https://h/openai?api-version=2024-06-01"), /query string/);
  assert.throws(() => normalizeBaseUrl("http://h:8000/#x"), /fragment/);
});

Deno.test("a value option given twice is a usage error; a stray word is named unless it may be a secret", () => {
  for (const argv of [["--seed", "1", "--seed", "2"], ["--url", "http://a", "--url=http://b"]]) {
    assert.throws(() => parseCommandLine(argv, () => undefined), /is given twice/);
  }
  // Repeatable options and repeated switches stay fine.
  parseCommandLine(
    ["--fail-if", "a.b>1", "--fail-if", "c.d<2", "--quick", "--quick"],
    () => undefined,
  );
  assert.throws(
    () => parseCommandLine(["--quick", "stray"], () => undefined),
    /unexpected argument 'stray'/,
  );
  assert.throws(
    () => parseCommandLine(["--api-key=", "sk-secret"], () => undefined),
    (e: unknown) =>
      e instanceof Error && /number 2 \(after --api-key\)/.test(e.message) &&
      !e.message.includes("sk-secret"),
  );
});

Deno.test("--api-key-file: the key is the file's first line; a missing or empty file, or both forms, are usage errors", () => {
  const files: Record<string, string> = { k: "sk-from-file\nignored\n", empty: "\n" };
  const read = (p: string) => {
    if (!(p in files)) throw new Deno.errors.NotFound(p);
    return files[p];
  };
  const run = (argv: string[], env: Record<string, string> = {}) => {
    const cmd = parseCommandLine(argv, (n) => env[n], read);
    if (cmd.kind !== "run") throw new Error("not run");
    return cmd.args;
  };
  assert.equal(run(["--api-key-file", "k"]).apiKey, "sk-from-file");
  assert.equal(run(["--api-key-file", "k"]).apiKeySource, "file");
  assert.equal(run([], { OPENAI_API_KEY: "sk-env" }).apiKeySource, "env");
  assert.equal(run(["--api-key", "sk-flag"]).apiKeySource, "flag");
  assert.equal(run(["--api-key="], { OPENAI_API_KEY: "sk-env" }).apiKey, null);
  assert.throws(
    () => run(["--api-key-file", "nope"]),
    /cannot read --api-key-file nope: no such file/,
  );
  assert.throws(() => run(["--api-key-file", "empty"]), /is empty/);
  assert.throws(() => run(["--api-key", "a", "--api-key-file", "k"]), /not both/);
});
