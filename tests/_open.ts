/**
 * Tests whose servers, child processes and sockets outlive Deno's per-test resource and op
 * bookkeeping (a server started for several requests, a child process reaped after its
 * reports): they run with those sanitizers off.
 *
 * @module
 */

/** Register a test that starts servers or processes of its own. */
export function openTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, sanitizeResources: false, sanitizeOps: false, fn });
}
