/**
 * Reads and writes of one TCP connection, by the runtime's own I/O ops where this Deno has
 * them, else by the public `Deno.Conn` methods.
 *
 * Why: `Deno.Conn.read` records each pending read in a set of the connection and deletes it
 * when the read ends. V8 rebuilds a set's table when its last element is deleted and links the
 * old table to the new one, so each table is kept alive by the one before it, through young
 * collections, until the chain is freed. One table per read: at 200 streams of a chunk every
 * 10 ms, a sampling heap profile of the allocations that outlived young collections put half of
 * their bytes there; read by the ops, the same load ran a fifth fewer young collections and one
 * full collection instead of two (the full collections are what stall every stream's stamps at
 * once; docs/performance.md). `Deno.Conn.write` adds an async frame per write. The ops themselves
 * (`Deno[Deno.internal].core.read`/`write`, with the connection's resource id) do neither.
 * They are not a public API: they are looked up once, checked, and the public methods used
 * when they are missing, so a Deno without them reads the same bytes, only with more garbage.
 *
 * @module
 */

/** Read into a view: the byte count, 0 at the end of the stream. Rejects as `Deno.Conn` does. */
export type ReadInto = (view: Uint8Array) => Promise<number>;
/** Write from a view: the bytes written (maybe fewer than given). */
export type WriteFrom = (bytes: Uint8Array) => Promise<number>;

/** One connection's read and write, and which kind of I/O they use. */
export interface ConnIo {
  read: ReadInto;
  write: WriteFrom;
  /** `ops` when the runtime's ops are used, `public` for the `Deno.Conn` methods. */
  kind: "ops" | "public";
}

interface CoreOps {
  read(rid: number, view: Uint8Array): Promise<number>;
  write(rid: number, bytes: Uint8Array): Promise<number>;
}

let ops: CoreOps | null | undefined;

/** The runtime's I/O ops, or null where this Deno does not expose them. */
function coreOps(): CoreOps | null {
  if (ops !== undefined) return ops;
  ops = null;
  try {
    const d = Deno as unknown as Record<string | symbol, unknown>;
    const key = d.internal;
    if (typeof key !== "symbol") return ops;
    const internal = d[key] as { core?: Partial<CoreOps> } | undefined;
    const core = internal?.core;
    if (typeof core?.read === "function" && typeof core.write === "function") {
      const read = core.read, write = core.write;
      ops = {
        read: (rid, view) => read.call(core, rid, view),
        write: (rid, bytes) => write.call(core, rid, bytes),
      };
    }
  } catch {
    // a runtime that guards its internals: the public methods it is
  }
  return ops;
}

/** The resource id of a plain TCP connection, or -1 (TLS and unknown connections). */
function ridOf(conn: Deno.Conn): number {
  for (const s of Object.getOwnPropertySymbols(conn)) {
    if (s.description === "Deno.internal.rid") {
      const rid = (conn as unknown as Record<symbol, unknown>)[s];
      return typeof rid === "number" && Number.isInteger(rid) && rid >= 0 ? rid : -1;
    }
  }
  return -1;
}

/**
 * The read and write of `conn`: the runtime's ops when available and `preferOps` is true (for
 * a plain TCP connection only: a TLS connection's bytes go through its own methods), else the
 * connection's public methods.
 */
export function connIo(conn: Deno.Conn, preferOps: boolean): ConnIo {
  const core = preferOps ? coreOps() : null;
  const rid = core === null ? -1 : ridOf(conn);
  if (core !== null && rid >= 0) {
    return {
      read: (view) => core.read(rid, view),
      write: (bytes) => core.write(rid, bytes),
      kind: "ops",
    };
  }
  return {
    read: (view) => conn.read(view).then(zeroAtEnd),
    write: (bytes) => conn.write(bytes),
    kind: "public",
  };
}

function zeroAtEnd(n: number | null): number {
  return n ?? 0;
}
