/**
 * Typed errors, each carrying the process exit code that `main.ts` maps it to.
 *
 * Exit codes (docs/ARCHITECTURE.md, "Exit codes"): 0 ok · 1 internal error · 2 usage or config error ·
 * 3 target unreachable or not OpenAI-compatible · 4 a threshold or regression gate failed ·
 * 5 a suite could not run · 6 a test had no successful request, or the target stopped
 * answering · 130 interrupted.
 *
 * @module
 */

/** Process exit codes used by every command. */
export const ExitCode = {
  Ok: 0,
  Internal: 1,
  Usage: 2,
  Target: 3,
  Gate: 4,
  Suite: 5,
  Failures: 6,
  Interrupted: 130,
} as const;

/** One of the values of {@linkcode ExitCode}. */
export type ExitCodeValue = typeof ExitCode[keyof typeof ExitCode];

/** Base class of every error the tool raises on purpose; carries an exit code. */
export class BenchError extends Error {
  /** The process exit code this error maps to. */
  readonly exitCode: ExitCodeValue;
  /** Create an error with a message and an exit code. */
  constructor(message: string, exitCode: ExitCodeValue, options?: ErrorOptions) {
    super(message, options);
    this.name = "BenchError";
    this.exitCode = exitCode;
  }
}

/** Bad command line: unknown flag, bad value, missing argument (exit 2). */
export class UsageError extends BenchError {
  /** Create a usage error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.Usage, options);
    this.name = "UsageError";
  }
}

/** Bad configuration: scenario file, output folder, inconsistent options (exit 2). */
export class ConfigError extends BenchError {
  /** Create a configuration error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.Usage, options);
    this.name = "ConfigError";
  }
}

/** Why a target failed its probe. */
export type TargetProblem = "unreachable" | "auth" | "not_openai" | "timeout";

/** The target cannot be benchmarked: unreachable, key rejected, or not OpenAI-compatible (exit 3). */
export class TargetError extends BenchError {
  /** What kind of problem the probe found. */
  readonly problem: TargetProblem;
  /** Create a target error of a given kind. */
  constructor(message: string, problem: TargetProblem, options?: ErrorOptions) {
    super(message, ExitCode.Target, options);
    this.name = "TargetError";
    this.problem = problem;
  }
}

/** A `--fail-if` threshold or a `compare` regression gate failed (exit 4). */
export class GateError extends BenchError {
  /** Create a gate error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.Gate, options);
    this.name = "GateError";
  }
}

/**
 * An error below the tool's own (a transport's, a parser's) that says which of a few kinds it
 * is; subclasses name the kinds and set their `name`.
 */
export class KindError<K extends string> extends Error {
  /** What went wrong. */
  readonly kind: K;

  /** An error of `kind`. */
  constructor(kind: K, message: string, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
  }
}
