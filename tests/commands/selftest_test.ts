import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseCommandLine } from "../../cli/args.ts";
import { UsageError } from "../../util/errors.ts";
import { selftestCommand } from "../../commands/selftest.ts";

const entry = fileURLToPath(new URL("../../main.ts", import.meta.url));

Deno.test("cli: --http-client and the selftest command parse; bad values are usage errors", () => {
  const run = parseCommandLine(["--http-client", "fetch"], () => undefined);
  assert.equal(run.kind === "run" && run.args.httpClient, "fetch");
  const dflt = parseCommandLine([], () => undefined);
  assert.equal(dflt.kind === "run" && dflt.args.httpClient, "native");
  assert.throws(() => parseCommandLine(["--http-client", "curl"]), UsageError);
  const st = parseCommandLine(["selftest", "--seconds", "0.5"]);
  assert.deepEqual(st, { kind: "selftest", args: { httpClient: "native", seconds: 0.5 } });
  assert.throws(() => parseCommandLine(["selftest", "--seconds", "0"]), UsageError);
  assert.deepEqual(parseCommandLine(["selftest", "-h"]), { kind: "help", topic: "selftest" });
});

Deno.test("selftest: measures capacity, timestamp error and SSE speed against the embedded server", async () => {
  const lines: string[] = [];
  const code = await selftestCommand(
    { httpClient: "native", seconds: 0.5 },
    { entry, print: (l) => lines.push(l) },
  );
  assert.equal(code, 0, lines.join("\n"));
  const text = lines.join("\n");
  assert.match(text, /client capacity\s+[\d,]+ req\/s at 50 connections/);
  assert.match(text, /µs of client CPU per request/);
  assert.match(text, /timestamp error .* p99 [\d.]+ ms.* over [\d,]+ gaps/);
  assert.match(text, /SSE parsing\s+[\d.]+ M events\/s/);
  assert.doesNotMatch(text, /error sample/);
});
