/**
 * Option tables: one table per command gives its parser, its typed values and its help text,
 * so adding an option is one entry. Every problem is a {@linkcode UsageError} with a one-line
 * message.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";
import { PROGRAM } from "./version.ts";

/** What `node:util` parseArgs hands an option's reader. */
export type RawValue = string | boolean | (string | boolean)[] | undefined;

/** One option of a command. */
export interface OptionSpec<T> {
  /** Long name without the dashes (`output-dir`). */
  name: string;
  /** One-letter alias. */
  short?: string;
  /** Placeholder of the value in the help (`DIR`); absent for a switch. */
  arg?: string;
  /** Repeatable: every occurrence is kept, in order. */
  multiple?: boolean;
  /** Help text; a `\n` starts a line indented under the first. */
  help: string;
  /** The value, from what was given (`undefined` when the option is absent). */
  read(raw: RawValue): T;
}

/** A command's options, by the property name its parsed values use. */
// deno-lint-ignore no-explicit-any
export type OptionTable = Record<string, OptionSpec<any>>;

/** The typed values a table parses to. */
export type OptionValues<T extends OptionTable> = {
  [K in keyof T]: ReturnType<T[K]["read"]>;
};

/** Bounds of a number option. */
export interface NumberBounds {
  /** Require a whole number. */
  integer?: boolean;
  /** Lowest value allowed. */
  min?: number;
  /** The value must be greater than this. */
  exclusiveMin?: number;
  /** Highest value allowed. */
  max?: number;
}

/** Parse a number given for `flag`; `opts` bound it. */
export function parseNumber(
  flag: string,
  raw: string,
  opts: NumberBounds = {},
  hint = `run '${PROGRAM} --help' for usage`,
): number {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value)) {
    throw new UsageError(`${flag} expects a number, got '${raw}'; ${hint}`);
  }
  if (opts.integer && !Number.isInteger(value)) {
    throw new UsageError(`${flag} expects a whole number, got '${raw}'`);
  }
  if (opts.exclusiveMin !== undefined && value <= opts.exclusiveMin) {
    throw new UsageError(`${flag} must be greater than ${opts.exclusiveMin}, got ${raw}`);
  }
  if (opts.min !== undefined && value < opts.min) {
    throw new UsageError(`${flag} must be at least ${opts.min}, got ${raw}`);
  }
  if (opts.max !== undefined && value > opts.max) {
    throw new UsageError(`${flag} must be at most ${opts.max}, got ${raw}`);
  }
  return value;
}

/** The string an option was given, or undefined (absent, or a switch). */
export function stringOf(raw: RawValue): string | undefined {
  return typeof raw === "string" ? raw : undefined;
}

/** A switch: true when given. */
export function flag(name: string, help: string, short?: string): OptionSpec<boolean> {
  return { name, short, help, read: (raw) => raw === true };
}

/** A string option; `null` when absent. */
export function text(
  name: string,
  arg: string,
  help: string,
  short?: string,
): OptionSpec<string | null> {
  return { name, short, arg, help, read: (raw) => stringOf(raw) ?? null };
}

/** A repeatable string option: every value given, in order. */
export function texts(name: string, arg: string, help: string): OptionSpec<string[]> {
  return {
    name,
    arg,
    help,
    multiple: true,
    read: (
      raw,
    ) => (Array.isArray(raw) ? raw.filter((x): x is string => typeof x === "string") : []),
  };
}

/** A number option within `bounds`, `dflt` when absent. */
export function number<D extends number | null>(
  name: string,
  arg: string,
  help: string,
  bounds: NumberBounds,
  dflt: D,
): OptionSpec<number | D> {
  return {
    name,
    arg,
    help,
    read: (raw) => {
      const s = stringOf(raw);
      return s === undefined ? dflt : parseNumber(`--${name}`, s, bounds);
    },
  };
}

/** A value option read by `parse`, `dflt` when absent. */
export function custom<T, D>(
  name: string,
  arg: string,
  help: string,
  parse: (raw: string) => T,
  dflt: D,
  short?: string,
): OptionSpec<T | D> {
  return {
    name,
    short,
    arg,
    help,
    read: (raw) => {
      const s = stringOf(raw);
      return s === undefined ? dflt : parse(s);
    },
  };
}

/** One of `choices` (case-insensitive), `dflt` when absent. */
export function choice<C extends string>(
  name: string,
  arg: string,
  choices: readonly C[],
  help: string,
  dflt: C,
): OptionSpec<C> {
  const parse = (raw: string): C => {
    const k = raw.trim().toLowerCase();
    const hit = choices.find((c) => c === k);
    if (hit === undefined) {
      throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got '${raw}'`);
    }
    return hit;
  };
  return custom(name, arg, help, parse, dflt);
}

/** Turn a `node:util` parseArgs error into a one-line usage message ending in `hint`. */
export function usageFromParseError(
  err: unknown,
  hint: string,
  argv: readonly string[] = [],
): UsageError {
  const msg = err instanceof Error ? err.message : String(err);
  const unknown = msg.match(/Unknown option '([^']+)'/);
  if (unknown) return new UsageError(`unknown option ${unknown[1]}; ${hint}`);
  const missing = msg.match(/Option '([^']+?)(?: <value>)?' argument missing/);
  if (missing) {
    return new UsageError(`option ${missing[1].split(",").pop()!.trim()} needs a value; ${hint}`);
  }
  const ambiguous = msg.match(/Option '(?:-\w, )?(--[\w-]+)' argument is ambiguous/);
  if (ambiguous) {
    return new UsageError(
      `option ${ambiguous[1]} got a value that looks like an option; write ${ambiguous[1]}=VALUE`,
    );
  }
  const positional = msg.match(/Unexpected argument '([^']+)'/);
  if (positional) {
    // The stray word is named, unless it follows something secret-looking: after
    // `--api-key= sk-...` it would be the key itself; then only its position is.
    const i = argv.indexOf(positional[1]);
    const prev = i > 0 ? argv[i - 1] : "";
    const shown = /key|token|secret|passw/i.test(prev) || i < 0
      ? `number ${i + 1}${prev ? ` (after ${prev.split("=")[0]})` : ""}`
      : `'${positional[1].slice(0, 60)}'`;
    return new UsageError(
      `unexpected argument ${shown}: a word that belongs to no option; write values as ` +
        `--name VALUE or --name=VALUE; ${hint}`,
    );
  }
  return new UsageError(`${msg.split("\n")[0]}; ${hint}`);
}

/** What {@linkcode parseOptions} found. */
export interface Parsed<T extends OptionTable> {
  /** Every option's value (its default when absent). */
  values: OptionValues<T>;
  /** Words that belong to no option, in order. */
  positionals: string[];
}

/**
 * Parse `argv` against `table`. Unknown options, missing values and (unless `positionals`)
 * stray words are usage errors ending in `hint`; so is any value an option's reader refuses.
 */
export function parseOptions<T extends OptionTable>(
  table: T,
  argv: readonly string[],
  opts: {
    /** Accept words that belong to no option. */
    positionals?: boolean;
    /** The end of every usage message. */
    hint?: string;
    /** Turns a `node:util` parseArgs error into the command's own message. */
    describe?: (err: unknown) => UsageError;
  } = {},
): Parsed<T> {
  const hint = opts.hint ?? `run '${PROGRAM} --help' for usage`;
  const config: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> =
    {};
  for (const spec of Object.values(table)) {
    config[spec.name] = {
      type: spec.arg === undefined ? "boolean" : "string",
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: config,
      strict: true,
      allowPositionals: opts.positionals === true,
      tokens: true,
    });
  } catch (err) {
    if (opts.describe) throw opts.describe(err);
    throw usageFromParseError(err, hint, argv);
  }
  // A value option given twice would silently take the last one.
  const seen = new Map<string, string>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== "option" || config[t.name]?.type !== "string" || config[t.name].multiple) {
      continue;
    }
    const prev = seen.get(t.name);
    if (prev !== undefined) {
      throw new UsageError(`--${t.name} is given twice; give it once (${hint})`);
    }
    seen.set(t.name, t.value ?? "");
  }
  const raw = parsed.values as Record<string, RawValue>;
  const values = Object.fromEntries(
    Object.entries(table).map(([key, spec]) => [key, spec.read(raw[spec.name])]),
  ) as OptionValues<T>;
  return { values, positionals: parsed.positionals };
}

/** Column where help texts start. */
const HELP_COLUMN = 23;

/** The options part of a help text: one entry per option, in table order. */
export function optionsHelp(table: OptionTable): string {
  const out: string[] = [];
  const indent = " ".repeat(HELP_COLUMN);
  for (const spec of Object.values(table)) {
    const left = `${spec.short ? `-${spec.short}, ` : ""}--${spec.name}` +
      (spec.arg ? ` ${spec.arg}` : "");
    const [first, ...rest] = spec.help.split("\n");
    if (left.length <= HELP_COLUMN - 3) out.push(`  ${left.padEnd(HELP_COLUMN - 3)} ${first}`);
    else out.push(`  ${left}`, `${indent}${first}`);
    for (const line of rest) out.push(`${indent}${line}`);
  }
  return out.join("\n");
}

/** Escape text for a Markdown table cell. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("<", "\\<");
}

/**
 * An option table as a Markdown table (option, value, meaning), in the order the help lists
 * the options: the form `docs/options.md` publishes, generated so it cannot drift.
 */
export function optionsMarkdown(table: OptionTable): string {
  const rows = ["| Option | Value | Meaning |", "| --- | --- | --- |"];
  for (const spec of Object.values(table)) {
    const name = `${spec.short ? `\`-${spec.short}\`, ` : ""}\`--${spec.name}\``;
    const meaning = spec.help.split("\n").map((l) => l.trim()).join(" ");
    rows.push(
      `| ${name}${spec.multiple ? " (repeatable)" : ""} | ${spec.arg ? `\`${spec.arg}\`` : ""} | ${
        cell(meaning)
      } |`,
    );
  }
  return rows.join("\n");
}
