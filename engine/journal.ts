/**
 * The run's journal: every completed test on disk the moment it completes, so any
 * interruption (Ctrl-C, SIGTERM, SIGKILL, the OOM killer, a container timeout) leaves every
 * completed test recoverable. `fakeai-bench report DIR` rebuilds the full report set from it;
 * `run --resume DIR` runs only the tests it lacks.
 *
 * Layout, under the output folder:
 *
 * - `progress/run.json`: the run's header (configuration, target, host), written once the
 *   target answered;
 * - `progress/test-NNNN.json`: one completed test each, numbered in completion order;
 * - `progress/suite-NAME.json`: a suite's end state (skipped, error, interrupted);
 * - `progress/finished.json`: written once the reports of an interrupted run are (a run that
 *   completes removes its journal instead: its `run.json` holds everything).
 *
 * Every file is written whole to a temporary name and renamed into place, so a reader finds
 * either the complete file or none. Numbers that are NaN ("no number", `measure/summary.ts`)
 * survive the round trip.
 *
 * @module
 */

import { join } from "node:path";
import { ConfigError } from "../util/errors.ts";
import { scrub } from "../util/redact.ts";
import type { RunResult, SuiteName, SuiteResult, TestResult } from "../measure/result.ts";

/** The journal's folder under an output folder. */
export const JOURNAL_DIR = "progress";

/** The run as known before its first test: everything of `run.json` but the suites. */
export type JournalHeader = Omit<RunResult, "suites" | "interrupted" | "finished_at"> & {
  /** Suites the run was asked to run, in order. */
  suite_order: SuiteName[];
};

const NAN = "\u0000NaN";

function encode(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) => (typeof v === "number" && Number.isNaN(v) ? NAN : v),
  ) + "\n";
}

function decode(text: string): unknown {
  return JSON.parse(text, (_k, v) => (v === NAN ? NaN : v));
}

/** Write a file whole: a temporary name first, then a rename into place. */
function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${Deno.pid}`;
  Deno.writeTextFileSync(tmp, scrub(text));
  Deno.renameSync(tmp, path);
}

/** Appends a run's completed tests to its journal. */
export class RunJournal {
  readonly #dir: string;
  #next: number;

  private constructor(dir: string, next: number) {
    this.#dir = dir;
    this.#next = next;
  }

  /**
   * Start (or, resuming, continue) the journal of the run writing into `outputDir`.
   *
   * @param continueAfter tests already in the journal (resume), numbered before new ones.
   */
  static open(outputDir: string, header: JournalHeader, continueAfter = 0): RunJournal {
    const dir = join(outputDir, JOURNAL_DIR);
    Deno.mkdirSync(dir, { recursive: true });
    try {
      Deno.removeSync(join(dir, "finished.json"));
    } catch {
      // not there
    }
    writeAtomic(join(dir, "run.json"), encode(header));
    return new RunJournal(dir, continueAfter + 1);
  }

  /** Record a completed test. */
  test(suite: SuiteName, result: TestResult): void {
    const n = String(this.#next++).padStart(4, "0");
    writeAtomic(join(this.#dir, `test-${n}.json`), encode({ suite, result }));
  }

  /** Record a suite's end state. */
  suite(result: SuiteResult): void {
    const { tests: _tests, ...state } = result;
    writeAtomic(join(this.#dir, `suite-${result.suite}.json`), encode(state));
  }

  /**
   * The run's reports are written: a complete run removes its journal (its `run.json` holds
   * everything); an interrupted one keeps it, marked, for `--resume`.
   */
  finish(finishedAt: string, interrupted: boolean): void {
    if (!interrupted) {
      Deno.removeSync(this.#dir, { recursive: true });
      return;
    }
    writeAtomic(
      join(this.#dir, "finished.json"),
      encode({ finished_at: finishedAt, interrupted }),
    );
  }
}

/** What a journal holds. */
export interface Journal {
  /** The header. */
  header: JournalHeader;
  /** Completed tests in completion order. */
  tests: { suite: SuiteName; result: TestResult }[];
  /** End states of the suites that ended. */
  suites: Map<SuiteName, Omit<SuiteResult, "tests">>;
  /** Set when the run finished and wrote its reports. */
  finished: { finished_at: string; interrupted: boolean } | null;
}

function readOptional(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/**
 * Read the journal of an output folder; null when it has none.
 *
 * @throws {ConfigError} when a journal file cannot be read or parsed.
 */
export function readJournal(outputDir: string): Journal | null {
  const dir = join(outputDir, JOURNAL_DIR);
  const parse = (name: string, text: string) => {
    try {
      return decode(text);
    } catch (err) {
      throw new ConfigError(
        `${join(dir, name)} is not a journal file: ${err instanceof Error ? err.message : err}`,
      );
    }
  };
  let headerText: string | null;
  try {
    headerText = readOptional(join(dir, "run.json"));
  } catch (err) {
    throw new ConfigError(`cannot read ${dir}: ${err instanceof Error ? err.message : err}`);
  }
  if (headerText === null) return null;
  const header = parse("run.json", headerText) as JournalHeader;
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  const tests: Journal["tests"] = [];
  const suites = new Map<SuiteName, Omit<SuiteResult, "tests">>();
  for (const name of names) {
    if (/^test-\d+\.json$/.test(name)) {
      tests.push(parse(name, Deno.readTextFileSync(join(dir, name))) as Journal["tests"][number]);
    } else if (/^suite-[\w-]+\.json$/.test(name)) {
      const s = parse(name, Deno.readTextFileSync(join(dir, name))) as Omit<SuiteResult, "tests">;
      suites.set(s.suite, s);
    }
  }
  const fin = readOptional(join(dir, "finished.json"));
  return {
    header,
    tests,
    suites,
    finished: fin === null ? null : parse("finished.json", fin) as Journal["finished"],
  };
}

/** Why a suite has no end state in a journal whose run stopped early. */
export const CUT_SHORT =
  "not finished: the run ended before this suite did (rebuilt from the journal)";

/**
 * The run a journal describes. A run that never finished is marked interrupted; a suite that
 * has tests but no end state was cut short while it ran; one with neither never started.
 */
export function runFromJournal(j: Journal): RunResult {
  const { suite_order: order, ...header } = j.header;
  const done = j.finished;
  const at = j.header.started_at;
  // A test run again after `--resume` (it was cut short) is in the journal twice: the later
  // result stands, in the earlier one's place.
  const latest = new Map<string, TestResult>();
  for (const t of j.tests) latest.set(`${t.suite}\u0000${t.result.name}`, t.result);
  const suites: SuiteResult[] = order.map((name) => {
    const seen = new Set<string>();
    const tests: TestResult[] = [];
    for (const t of j.tests) {
      const key = `${t.suite}\u0000${t.result.name}`;
      if (t.suite !== name || seen.has(key)) continue;
      seen.add(key);
      tests.push(latest.get(key)!);
    }
    const state = j.suites.get(name);
    if (state) return { ...state, tests };
    return {
      suite: name,
      tests,
      started_at: at,
      finished_at: at,
      skipped: tests.length === 0 ? CUT_SHORT : null,
      error: null,
      interrupted: true,
    };
  });
  return {
    ...header,
    finished_at: done?.finished_at ?? new Date().toISOString(),
    suites,
    interrupted: done ? done.interrupted : true,
  };
}
