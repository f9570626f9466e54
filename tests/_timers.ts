/**
 * Watching the timers code arms: `setTimeout` replaced for the length of a function, every
 * delay asked for recorded (and handed on capped, so a test never arms one that fires at once).
 *
 * @module
 */

/** Run `fn` with `setTimeout` recorded; resolves to the delays asked for. */
export async function recordTimers(
  fn: (realSleep: (ms: number) => Promise<void>) => Promise<void>,
): Promise<number[]> {
  const delays: number[] = [];
  const original = globalThis.setTimeout;
  globalThis.setTimeout = ((cb: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return original(cb, Math.min(ms ?? 0, 2 ** 31 - 1));
  }) as typeof setTimeout;
  try {
    await fn((ms) => new Promise((r) => original(r, ms)));
  } finally {
    globalThis.setTimeout = original;
  }
  return delays;
}
