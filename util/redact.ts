/**
 * Keeping secrets out of everything the tool prints or writes: API keys in text, secret
 * flags in command lines, credentials in URLs.
 *
 * @module
 */

/** Replace every occurrence of each secret in `text` by `***`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length > 0) out = out.split(s).join("***");
  }
  return out;
}

/** Flags whose value is a secret in a command line. */
const SECRET_FLAG =
  /((?:^|\s)--?[\w-]*(?:api[-_]?keys?|token|password|passwd|secret)[\w-]*(?:=|\s+))(\S+)/gi;

/** A command line with secrets removed: values of key/token/password flags and `secrets`. */
export function redactCommand(
  command: string,
  secrets: readonly (string | null | undefined)[] = [],
): string {
  return redact(command, secrets.map((s) => s ?? undefined)).replace(SECRET_FLAG, "$1***");
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
