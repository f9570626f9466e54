/**
 * GPUs by name, with the datasheet figures the twin's roofline needs: memory, memory bandwidth,
 * dense BF16/FP16 tensor throughput, and the link tensor parallelism all-reduces over.
 *
 * @module
 */

/** One GPU's figures. */
export interface GpuSpec {
  /** Short name (`h100-sxm`). */
  name: string;
  /** Full name. */
  title: string;
  /** Memory (bytes). */
  memoryBytes: number;
  /** Memory bandwidth (bytes/s). */
  memoryBandwidth: number;
  /** Dense BF16/FP16 tensor throughput (FLOP/s, without sparsity). */
  denseFlops: number;
  /** Bandwidth of the GPU-to-GPU link one direction (bytes/s): NVLink, or PCIe without it. */
  linkBandwidth: number;
}

const GB = 1e9, GiB = 1024 ** 3, TB = 1e12, T = 1e12;

/** The GPUs the twin knows, by short name. */
export const GPUS: Readonly<Record<string, GpuSpec>> = {
  // NVIDIA H100 Tensor Core GPU datasheet (SXM5): 80 GB HBM3, 3.35 TB/s, BF16 1,979 TFLOPS
  // with sparsity (989.5 dense), NVLink 900 GB/s (both directions: 450 GB/s each way).
  "h100-sxm": {
    name: "h100-sxm",
    title: "NVIDIA H100 SXM 80 GB",
    memoryBytes: 80 * GiB,
    memoryBandwidth: 3.35 * TB,
    denseFlops: 989.5 * T,
    linkBandwidth: 450 * GB,
  },
  // NVIDIA H200 Tensor Core GPU datasheet (SXM): 141 GB HBM3e, 4.8 TB/s, BF16 1,979 TFLOPS with
  // sparsity (989.5 dense), NVLink 900 GB/s.
  "h200": {
    name: "h200",
    title: "NVIDIA H200 SXM 141 GB",
    memoryBytes: 141 * GB,
    memoryBandwidth: 4.8 * TB,
    denseFlops: 989.5 * T,
    linkBandwidth: 450 * GB,
  },
  // NVIDIA A100 Tensor Core GPU datasheet (80 GB SXM): HBM2e 2,039 GB/s, BF16 312 TFLOPS dense
  // (624 with sparsity), NVLink 600 GB/s.
  "a100-80gb": {
    name: "a100-80gb",
    title: "NVIDIA A100 SXM 80 GB",
    memoryBytes: 80 * GiB,
    memoryBandwidth: 2.039 * TB,
    denseFlops: 312 * T,
    linkBandwidth: 300 * GB,
  },
  // NVIDIA L40S datasheet: 48 GB GDDR6, 864 GB/s, BF16 362.05 TFLOPS dense (733 with sparsity),
  // no NVLink: PCIe Gen4 x16, 64 GB/s both directions.
  "l40s": {
    name: "l40s",
    title: "NVIDIA L40S 48 GB",
    memoryBytes: 48 * GB,
    memoryBandwidth: 864 * GB,
    denseFlops: 362 * T,
    linkBandwidth: 32 * GB,
  },
  // NVIDIA HGX B200 datasheet, per GPU: 180 GB HBM3e, 8 TB/s, FP16/BF16 4.5 PFLOPS with sparsity
  // (2.25 dense), fifth-generation NVLink 1.8 TB/s.
  "b200": {
    name: "b200",
    title: "NVIDIA B200 180 GB",
    memoryBytes: 180 * GB,
    memoryBandwidth: 8 * TB,
    denseFlops: 2250 * T,
    linkBandwidth: 900 * GB,
  },
};

/** The default GPU of the embedded server's twin. */
export const DEFAULT_GPU = "h100-sxm";

/** A GPU by name (`h100-sxm`, `H100`, `a100`…), or undefined. */
export function gpuNamed(name: string): GpuSpec | undefined {
  const key = name.trim().toLowerCase().replace(/[\s_]/g, "-");
  const alias: Record<string, string> = {
    h100: "h100-sxm",
    "h100-sxm5": "h100-sxm",
    "h200-sxm": "h200",
    a100: "a100-80gb",
    "a100-80g": "a100-80gb",
    "a100-sxm": "a100-80gb",
  };
  return GPUS[key] ?? GPUS[alias[key] ?? ""];
}
