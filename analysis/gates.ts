/**
 * `--fail-if EXPR` gates: `suite.metric OP number`, e.g. `throughput.ttft_p99_ms>800` or
 * `concurrent.error_rate>0.01`. Names come from the metric catalogue and are checked when the
 * run's plan is built, before any request; the gates are judged after the reports are written.
 * A verdict says whether the gate failed; the command turns failures into the exit code.
 *
 * @module
 */

import { UsageError } from "../util/errors.ts";
import type { SuiteResult } from "../measure/result.ts";
import type { GateSpec } from "../plan/plan.ts";
import { type Catalogue, formatMetric } from "./catalogue.ts";

/** Comparison operators a gate may use. */
export const GATE_OPERATORS = [">=", "<=", "==", "!=", ">", "<"] as const;

/** A comparison operator. */
export type GateOperator = typeof GATE_OPERATORS[number];

/**
 * Parse one expression. Throws {@linkcode UsageError} for bad syntax or an unknown metric
 * (naming close matches), or when `suites` is given and the metric's suite will not run.
 */
export function parseGate(
  expr: string,
  catalogue: Catalogue,
  suites?: readonly string[],
): GateSpec {
  const m = expr.match(/^\s*([A-Za-z0-9_.-]+)\s*(>=|<=|==|!=|>|<)\s*(-?[0-9.]+(?:e-?\d+)?)\s*$/i);
  if (!m) {
    throw new UsageError(
      `--fail-if '${expr}' is not METRIC OP NUMBER (OP one of ${GATE_OPERATORS.join(" ")}), ` +
        `e.g. throughput.ttft_p99_ms>800`,
    );
  }
  const ref = catalogue.lookup(m[1]);
  const value = Number(m[3]);
  if (!Number.isFinite(value)) throw new UsageError(`--fail-if '${expr}': bad number '${m[3]}'`);
  if (suites && !suites.includes(ref.suite)) {
    throw new UsageError(
      `--fail-if '${expr}' needs the ${ref.suite} suite, which this run does not include`,
    );
  }
  return { expr: expr.trim(), metric: ref.qualified, op: m[2] as GateOperator, value };
}

/** Parse every expression (see {@linkcode parseGate}). */
export function parseGates(
  exprs: readonly string[],
  catalogue: Catalogue,
  suites?: readonly string[],
): GateSpec[] {
  return exprs.map((e) => parseGate(e, catalogue, suites));
}

function holds(a: number, op: GateOperator, b: number): boolean {
  switch (op) {
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case "==":
      return a === b;
    case "!=":
      return a !== b;
  }
}

/** The verdict of one gate. */
export interface GateVerdict {
  /** The gate. */
  gate: GateSpec;
  /** The metric's value (null = not measured). */
  value: number | null;
  /** True when the gate failed the run (its condition held, or the metric was not measured). */
  failed: boolean;
  /** One line saying what happened. */
  message: string;
}

/** Judge gates against a run's suites. A metric that was not measured fails its gate. */
export function judgeGates(
  gates: readonly GateSpec[],
  suites: readonly SuiteResult[],
  catalogue: Catalogue,
): GateVerdict[] {
  const values = catalogue.runValues(suites);
  return gates.map((gate) => {
    const value = values.get(gate.metric)?.value ?? null;
    if (value === null) {
      return {
        gate,
        value,
        failed: true,
        message: `${gate.metric} was not measured (gate ${gate.expr})`,
      };
    }
    const def = catalogue.lookup(gate.metric).def;
    const failed = holds(value, gate.op, gate.value);
    return {
      gate,
      value,
      failed,
      message: `${gate.metric} = ${formatMetric(def, value)} (${
        failed ? "fails: is" : "passes: not"
      } ${gate.op} ${gate.value})`,
    };
  });
}
