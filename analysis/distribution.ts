/**
 * What a chart of a distribution shows, computed from its sorted samples: the quantiles to plot
 * and the percentiles to mark. The charts (`report/charts.ts`) draw these; they compute none.
 *
 * @module
 */

import { percentileSorted } from "../measure/summary.ts";
import { quantileSample } from "../measure/aggregate.ts";

/** Up to `max` evenly spaced order statistics of sorted samples (all of them when fewer). */
export function plotQuantiles(sorted: readonly number[], max: number): number[] {
  return quantileSample(sorted as number[], max);
}

/** Percentile `p` (0–1) of sorted samples (numpy's linear interpolation). */
export function percentileOf(sorted: readonly number[], p: number): number {
  return percentileSorted(sorted, p);
}
