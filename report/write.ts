/**
 * Atomic file writes: write a temporary file beside the target, then rename it over the
 * target, so a crash never leaves half a report.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { scrub } from "../util/redact.ts";

/**
 * Write `data` to `path` atomically, creating parent folders. Text goes through the scrub of
 * every secret the process knows (util/redact.ts), whatever wrote it.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${crypto.randomUUID()}.tmp`);
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, scrub(data));
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** Write a value as indented JSON, atomically, with a final newline. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}
