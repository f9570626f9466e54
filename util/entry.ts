/**
 * The program's entry module, as it runs (source, bundle or compiled executable): work that
 * must not share the measuring thread runs in Web Workers of the program's own entry, so no
 * build needs an extra file. Set by `main.ts`; unset when the program's modules are imported
 * by something else (tests), where such work stays in the calling thread.
 *
 * @module
 */

let entry: string | null = null;

/** Record the entry module's URL (`main.ts` calls this with its `import.meta.url`). */
export function setProgramEntry(url: string): void {
  entry = url;
}

/** The entry module's URL, or null when the program was not started through its entry. */
export function programEntry(): string | null {
  return entry;
}

/** True when this code runs inside a Web Worker. */
export function inWorker(): boolean {
  return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !==
    "undefined";
}
