/**
 * Throughput suite: requests and tokens per second, latency, TTFT, TPOT and ITL for small,
 * medium and large payloads, streaming and not (the original's 7 tests).
 *
 * @module
 */

import { runClosedTest, type SuiteContext } from "../../runner/runner.ts";
import type { Payload } from "../../workload/payload.ts";
import type { Suite, TestDef } from "../suite.ts";

/** The original suite's three payloads (non-streaming form). */
export const PAYLOADS: Record<"small" | "medium" | "large", Payload> = {
  small: {
    label: "small",
    model: "meta-llama/Llama-3.1-8B-Instruct",
    messages: [{ role: "user", content: "Hello" }],
    max_tokens: 50,
    stream: false,
  },
  medium: {
    label: "medium",
    model: "openai/gpt-oss-120b",
    messages: [
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: "Write a short story about a robot learning to code." },
    ],
    max_tokens: 200,
    stream: false,
  },
  large: {
    label: "large",
    model: "openai/gpt-oss-120b",
    messages: [
      { role: "system", content: "You are an expert software engineer." },
      {
        role: "user",
        content: "Explain in detail how asynchronous programming works in Python, " +
          "including coroutines, event loops, async/await syntax, and provide code examples " +
          "demonstrating best practices for concurrent I/O operations.",
      },
    ],
    max_tokens: 500,
    stream: false,
  },
};

/** One throughput test: a payload, streaming or not, N requests at concurrency C. */
export interface ThroughputTest {
  /** Test name. */
  name: string;
  /** Payload size. */
  size: keyof typeof PAYLOADS;
  /** Stream or not. */
  stream: boolean;
  /** Counted requests. */
  requests: number;
  /** Concurrency. */
  concurrency: number;
}

/** The original's 7 tests, in order. */
export const FULL_TESTS: readonly ThroughputTest[] = [
  {
    name: "Small Payload - Non-Streaming",
    size: "small",
    stream: false,
    requests: 100,
    concurrency: 10,
  },
  {
    name: "Small Payload - Streaming",
    size: "small",
    stream: true,
    requests: 100,
    concurrency: 10,
  },
  {
    name: "Medium Payload - Non-Streaming",
    size: "medium",
    stream: false,
    requests: 50,
    concurrency: 10,
  },
  {
    name: "Medium Payload - Streaming",
    size: "medium",
    stream: true,
    requests: 50,
    concurrency: 10,
  },
  {
    name: "Large Payload - Non-Streaming",
    size: "large",
    stream: false,
    requests: 20,
    concurrency: 5,
  },
  { name: "Large Payload - Streaming", size: "large", stream: true, requests: 20, concurrency: 5 },
  {
    name: "High Concurrency - Small Payload",
    size: "small",
    stream: false,
    requests: 200,
    concurrency: 50,
  },
];

/** Quick mode: small payload, non-streaming and streaming, 20 requests at 5 each. */
export const QUICK_TESTS: readonly ThroughputTest[] = [
  {
    name: "Quick Throughput - Non-Streaming",
    size: "small",
    stream: false,
    requests: 20,
    concurrency: 5,
  },
  {
    name: "Quick Throughput - Streaming",
    size: "small",
    stream: true,
    requests: 20,
    concurrency: 5,
  },
];

/** A test definition for one throughput test. */
export function throughputTest(t: ThroughputTest): TestDef {
  return {
    name: t.name,
    run: (ctx: SuiteContext) =>
      runClosedTest(ctx, {
        suite: "throughput",
        name: t.name,
        payload: { ...PAYLOADS[t.size], stream: t.stream },
        requests: t.requests,
        concurrency: t.concurrency,
      }),
  };
}

/** The throughput suite. */
export const throughputSuite: Suite = {
  name: "throughput",
  title: "THROUGHPUT BENCHMARKS",
  tests: (ctx) => (ctx.quick ? QUICK_TESTS : FULL_TESTS).map(throughputTest),
};
