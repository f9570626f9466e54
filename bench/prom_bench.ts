/**
 * `deno bench bench/prom_bench.ts`: reading a server's metrics during a load. The sampler
 * scrapes every second on the thread that times the streams; during the load it parses only the
 * gauges and counters it samples, and the whole exposition only from the first and the last
 * scrape. Measured on an exposition the size of vLLM's (about 100 KB: histograms over label
 * sets), the whole parse against the sampled names' parse.
 *
 * @module
 */

import { parsePrometheus } from "../probes/prom.ts";

/** A vLLM-like exposition: `families` histograms of 20 buckets over `labelSets` label sets. */
function exposition(families: number, labelSets: number): string {
  const lines: string[] = [];
  const labels = (k: number) =>
    `engine="${k}",model_name="meta-llama/Llama-3.1-8B-Instruct",finished_reason="stop"`;
  for (const g of ["vllm:num_requests_running", "vllm:num_requests_waiting"]) {
    lines.push(`# HELP ${g} A gauge.`, `# TYPE ${g} gauge`);
    for (let k = 0; k < labelSets; k++) lines.push(`${g}{${labels(k)}} ${k + 3}`);
  }
  for (let f = 0; f < families; f++) {
    const name = `vllm:histogram_${f}_seconds`;
    lines.push(`# HELP ${name} A histogram.`, `# TYPE ${name} histogram`);
    for (let k = 0; k < labelSets; k++) {
      for (let b = 0; b < 20; b++) {
        lines.push(`${name}_bucket{${labels(k)},le="${(0.001 * 2 ** b).toPrecision(3)}"} ${b * 7}`);
      }
      lines.push(`${name}_bucket{${labels(k)},le="+Inf"} 140`);
      lines.push(`${name}_sum{${labels(k)}} 12.5`, `${name}_count{${labels(k)}} 140`);
    }
  }
  return lines.join("\n") + "\n";
}

const TEXT = exposition(16, 2);
const SAMPLED = new Set(["vllm:num_requests_running", "vllm:num_requests_waiting"]);
if (parsePrometheus(TEXT, SAMPLED).samples.length !== 4) throw new Error("bad fixture");

Deno.bench({
  name: `whole exposition (${(TEXT.length / 1024).toFixed(0)} KB)`,
  group: "metrics scrape",
  baseline: true,
  fn: () => {
    parsePrometheus(TEXT);
  },
});

Deno.bench({
  name: "sampled names only",
  group: "metrics scrape",
  fn: () => {
    parsePrometheus(TEXT, SAMPLED);
  },
});
