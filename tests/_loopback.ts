/** A connected TCP pair on 127.0.0.1, for tests of a connection's reads and writes. */
export interface LoopbackPair {
  /** The connecting end. */
  client: Deno.TcpConn;
  /** The accepted end. */
  server: Deno.Conn;
  /** Close both ends (either may be closed already). */
  close(): void;
}

/** Connect a TCP pair on loopback; the listener is closed once it has accepted. */
export async function loopbackPair(): Promise<LoopbackPair> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = await Deno.connect({
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
  });
  const server = await accepted;
  listener.close();
  return {
    client,
    server,
    close() {
      for (const c of [client, server]) {
        try {
          c.close();
        } catch {
          // closed
        }
      }
    },
  };
}

/** A loopback port with nothing listening on it (bound, then released). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
