/**
 * `--fail-if EXPR` gates: `suite.metric OP number`, e.g. `throughput.ttft_p99_ms>800` or
 * `concurrent.error_rate>0.01`. Names come from the metric catalogue (report/metrics.ts) and
 * are checked before any request is sent; the gates are evaluated after the reports are
 * written.
 *
 * @module
 */

import { UsageError } from "../util/errors.ts";
import type { SuiteName } from "../measure/result.ts";
import type { SuiteResult } from "../suites/mod.ts";
import { formatMetric, lookupMetric, type MetricRef, runMetricValues } from "./metrics.ts";

/** Comparison operators a gate may use. */
export const GATE_OPERATORS = [">=", "<=", "==", "!=", ">", "<"] as const;

/** A comparison operator. */
export type GateOperator = typeof GATE_OPERATORS[number];

/** One parsed `--fail-if` expression: the run fails when `metric OP value` holds. */
export interface Gate {
  /** The expression as given. */
  expr: string;
  /** The metric. */
  ref: MetricRef;
  /** Operator. */
  op: GateOperator;
  /** Threshold, in the metric's unit. */
  value: number;
}

/**
 * Parse one expression. Throws {@linkcode UsageError} for bad syntax or an unknown metric
 * (naming close matches), or when `suites` is given and the metric's suite will not run.
 */
export function parseGate(expr: string, suites?: readonly SuiteName[]): Gate {
  const m = expr.match(/^\s*([A-Za-z0-9_.-]+)\s*(>=|<=|==|!=|>|<)\s*(-?[0-9.]+(?:e-?\d+)?)\s*$/i);
  if (!m) {
    throw new UsageError(
      `--fail-if '${expr}' is not METRIC OP NUMBER (OP one of ${GATE_OPERATORS.join(" ")}), ` +
        `e.g. throughput.ttft_p99_ms>800`,
    );
  }
  const ref = lookupMetric(m[1]);
  const value = Number(m[3]);
  if (!Number.isFinite(value)) throw new UsageError(`--fail-if '${expr}': bad number '${m[3]}'`);
  if (suites && !suites.includes(ref.suite)) {
    throw new UsageError(
      `--fail-if '${expr}' needs the ${ref.suite} suite, which this run does not include`,
    );
  }
  return { expr: expr.trim(), ref, op: m[2] as GateOperator, value };
}

/** Parse every expression (see {@linkcode parseGate}). */
export function parseGates(exprs: readonly string[], suites?: readonly SuiteName[]): Gate[] {
  return exprs.map((e) => parseGate(e, suites));
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

/** The outcome of one gate. */
export interface GateResult {
  /** The gate. */
  gate: Gate;
  /** The metric's value (null = not measured). */
  value: number | null;
  /** True when the gate failed the run (its condition held, or the metric was not measured). */
  failed: boolean;
  /** One line saying what happened. */
  message: string;
}

/** Evaluate gates against a run's suites. A metric that was not measured fails its gate. */
export function evaluateGates(
  gates: readonly Gate[],
  suites: readonly SuiteResult[],
): GateResult[] {
  const values = runMetricValues(suites);
  return gates.map((gate) => {
    const value = values.get(gate.ref.qualified)?.value ?? null;
    if (value === null) {
      return {
        gate,
        value,
        failed: true,
        message: `${gate.ref.qualified} was not measured (gate ${gate.expr})`,
      };
    }
    const failed = holds(value, gate.op, gate.value);
    return {
      gate,
      value,
      failed,
      message: `${gate.ref.qualified} = ${formatMetric(gate.ref.def, value)} (${
        failed ? "fails" : "passes"
      } ${gate.op}${gate.value})`,
    };
  });
}
