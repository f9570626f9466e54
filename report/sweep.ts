/**
 * A sweep in the reports: one row per level, the knee, the Pareto frontier and why it stopped
 * (its charts are drawn in `charts.ts`), as `analysis/sweep.ts` found them.
 *
 * @module
 */

import type { SweepView } from "../analysis/sweep.ts";
import { type Block, heading, para, table } from "./doc.ts";
import { fixed, ms } from "./format.ts";

/** The unit of a sweep's levels. */
export const unit = (
  kind: SweepView["kind"],
): string => (kind === "rate" ? "req/s offered" : "concurrent");

/** The sweep sections of a suite's report. */
export function sweepBlocks(sweeps: readonly SweepView[]): Block[] {
  const out: Block[] = [];
  for (const s of sweeps) {
    out.push(heading(2, `Sweep over ${s.kind} (${s.points.length} levels)`));
    const frontier = new Set(s.frontier);
    out.push(
      table(
        [
          s.kind === "rate" ? "Offered rate" : "Concurrency",
          "Requests/s",
          "Output tok/s",
          "Per-user tok/s",
          "Latency p50",
          "Latency p99",
          "TTFT p50",
          "Errors",
          "",
        ],
        s.points.map((p, i) => [
          fixed(p.level, p.level % 1 === 0 ? 0 : 2),
          fixed(p.rps),
          fixed(p.output_tps, 1),
          p.per_user_tps === null ? "—" : fixed(p.per_user_tps, 1),
          ms(p.latency_p50),
          ms(p.latency_p99),
          p.ttft_p50 === null ? "—" : ms(p.ttft_p50),
          `${fixed(p.error_rate * 100, 1)}%`,
          [i === s.knee ? "knee" : "", frontier.has(i) ? "Pareto" : ""].filter(Boolean).join(", "),
        ]),
      ),
    );
    const k = s.knee === null ? null : s.points[s.knee];
    out.push(
      para(
        k
          ? `Knee at ${fixed(k.level, 2)} ${unit(s.kind)}: ${fixed(k.output_tps, 1)} output ` +
            `tokens/s (${fixed(k.rps)} req/s) at p99 ${ms(k.latency_p99)}; past it, output ` +
            "tokens/s rose by less than 5% while p99 latency rose by more than 50%."
          : "No knee: throughput kept rising with load, or latency did not climb (extend the " +
            "sweep past saturation to find it).",
      ),
    );
    if (s.stoppedBecause) {
      out.push(para(`The sweep stopped after its last level: ${s.stoppedBecause}.`));
    }
    out.push(
      para(
        "Latencies are from the intended send time in open loops (corrected for coordinated " +
          "omission). Per-user tokens/s is 1 ÷ the median time per output token. The Pareto " +
          "levels are those no other level beats in both total and per-user output tokens/s.",
      ),
    );
  }
  return out;
}
