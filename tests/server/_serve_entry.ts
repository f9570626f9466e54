/**
 * Runs `serveCommand(parseServeArgs(Deno.args))` so tests can spawn the server as a child process.
 *
 * @module
 */

import { serveCommand } from "../../server/main.ts";
import { parseServeArgs } from "../../server/options.ts";

Deno.exit(await serveCommand(parseServeArgs(Deno.args)));
