/**
 * Keeping secrets out of everything the tool prints or writes: API keys in text, secret
 * flags in command lines, credentials in URLs.
 *
 * One pass covers everything that leaves the process: the secrets the run knows are
 * registered once ({@linkcode addSecret}), and {@linkcode scrub} removes each in every form a
 * server may echo it (raw, URL-encoded, JSON-escaped, base64 at any alignment) together with
 * the usual secret-bearing shapes (`Authorization: Bearer …`, `OPENAI_API_KEY=…`, `--auth=…`).
 * The console ({@linkcode scrubConsole}) and every file the tool writes go through it.
 *
 * @module
 */

import { terminalSafe } from "./format.ts";

/** Replace every occurrence of each secret in `text` by `***`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length > 0) out = out.split(s).join("***");
  }
  return out;
}

/**
 * Flags whose value is a secret in a command line (`--api-key`, `--hf-token`, `--auth=`…; not
 * `--max-tokens` or `--tokenizer`).
 */
const SECRET_FLAG =
  /((?:^|\s)--?[\w-]*(?:api[-_]?keys?|token(?!s|izer)|password|passwd|secret|auth(?!or))[\w-]*(?:=|\s+))(?!\*\*\*)(\S+)/gi;

/**
 * A secret flag given with `=` (`--api-key=…`, `--auth=…`) anywhere in text; the spaced form
 * is ambiguous in prose ("give --api-key or …") and is scrubbed only in command lines.
 */
const SECRET_FLAG_ASSIGNED =
  /((?:^|[\s"'])--?[\w-]*(?:api[-_]?keys?|token(?!s|izer)|password|passwd|secret|auth(?!or))[\w-]*=)(?!\*\*\*)([^\s"']+)/gi;

/** A credential after its scheme word. */
const SCHEME_TOKEN = /\b(Bearer|Basic)(\s+)(?!\*\*\*)[A-Za-z0-9._~+/=-]{8,}/gi;

/** A secret header's value: `Authorization: …`, `"x-api-key": "…"`. */
const SECRET_HEADER =
  /\b((?:proxy-)?authorization|x-api-key|api-key)(["']?\s*[:=]\s*["']?)(?!\*\*\*|Bearer\b|Basic\b)[^\s"',;}]+/gi;

/** An environment assignment of a secret: `OPENAI_API_KEY=…`, `HF_TOKEN=…`. */
const SECRET_ENV =
  /\b([A-Z][A-Z0-9_]*(?:API_?KEY|TOKEN(?!S)|SECRET|PASSWORD|PASSWD)[A-Z0-9_]*)=(?!\*\*\*)[^\s"']+/g;

/** Secrets this process knows, longest first when scrubbed. */
const SECRETS = new Set<string>();
let forms: string[] = [];

/**
 * Register a secret (an API key) to be removed from everything the process prints or writes.
 * Secrets shorter than 4 characters are ignored (they would blank ordinary text).
 */
export function addSecret(secret: string | null | undefined): void {
  if (!secret || secret.length < 4 || SECRETS.has(secret)) return;
  SECRETS.add(secret);
  forms = [...new Set([...SECRETS].flatMap(secretForms))].sort((a, b) => b.length - a.length);
}

function base64(text: string): string | null {
  try {
    const bytes = new TextEncoder().encode(text);
    let bin = "";
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin);
  } catch {
    return null;
  }
}

/**
 * The forms a server may echo `secret` in: as it is, URL-encoded, JSON-escaped, and base64
 * (standard and URL-safe) at each of the three byte alignments a longer encoded text may put
 * it at (the characters that also depend on neighbouring bytes are left out).
 */
export function secretForms(secret: string): string[] {
  const out = new Set<string>([
    secret,
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
  ]);
  for (let k = 0; k < 3; k++) {
    const b = base64("\0".repeat(k) + secret);
    if (b === null) continue;
    const head = k === 0 ? 0 : 4;
    const tail = ((k + new TextEncoder().encode(secret).length) % 3) === 0 ? 0 : 4;
    const core = b.slice(head, b.length - tail);
    if (core.length >= 8) {
      out.add(core);
      out.add(core.replaceAll("+", "-").replaceAll("/", "_"));
    }
  }
  return [...out];
}

/**
 * `text` with every form of every registered secret, and every secret-bearing shape
 * (scheme tokens, secret headers, secret environment assignments, secret flags), replaced
 * by `***`.
 */
export function scrub(text: string): string {
  let out = text;
  for (const f of forms) if (out.includes(f)) out = out.split(f).join("***");
  return out
    .replace(SCHEME_TOKEN, "$1$2***")
    .replace(SECRET_HEADER, "$1$2***")
    .replace(SECRET_ENV, "$1=***")
    .replace(SECRET_FLAG_ASSIGNED, "$1***");
}

let consoleScrubbed = false;

/**
 * Route `console.log`, `.error`, `.warn` and `.info` through {@linkcode scrub}, once, and
 * make control characters a server or a file supplied harmless to the terminal.
 */
export function scrubConsole(): void {
  if (consoleScrubbed) return;
  consoleScrubbed = true;
  for (const name of ["log", "error", "warn", "info"] as const) {
    const original = console[name].bind(console);
    console[name] = (...args: unknown[]) =>
      original(...args.map((a) => typeof a === "string" ? terminalSafe(scrub(a)) : a));
  }
}

/** A command line with secrets removed: values of key/token/password flags and `secrets`. */
export function redactCommand(
  command: string,
  secrets: readonly (string | null | undefined)[] = [],
): string {
  return scrub(redact(command, secrets.map((s) => s ?? undefined)).replace(SECRET_FLAG, "$1***"));
}

/** A URL without user name and password. */
export function publicUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.href;
  } catch {
    return url;
  }
}
