/**
 * A real Prometheus (with its remote-write receiver) and a real Pushgateway on loopback for
 * tests, from Debian's `prometheus` and `prometheus-pushgateway` packages (`.ci/run` installs
 * them); each is started on a free port and stopped by its PID.
 *
 * @module
 */

import { freePort } from "./_loopback.ts";

/** Where a binary is, or null. */
export function findBinary(names: readonly string[]): string | null {
  for (const name of names) {
    for (const dir of ["/usr/bin", "/usr/local/bin", "/bin"]) {
      try {
        if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/** A started service: its base URL, and how to stop it. */
export interface Service {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Stop it (SIGTERM, then SIGKILL) and remove its files. */
  stop(): Promise<void>;
}

async function waitReady(url: string, child: Deno.ChildProcess, ms = 20_000): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    try {
      const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      await r.body?.cancel();
      if (r.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`${url} did not become ready in ${ms} ms`);
}

async function start(bin: string, args: (port: number, dir: string) => string[]): Promise<Service> {
  const dir = await Deno.makeTempDir();
  const port = freePort();
  const child = new Deno.Command(bin, {
    args: args(port, dir),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child);
  return {
    url,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // gone
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // gone
        }
      }, 5000);
      await child.status;
      clearTimeout(timer);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Prometheus with its remote-write receiver and no scrape jobs, on loopback. */
export async function startPrometheus(bin: string): Promise<Service> {
  return await start(bin, (port, dir) => {
    Deno.writeTextFileSync(`${dir}/prometheus.yml`, "global:\n  scrape_interval: 15s\n");
    return [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-remote-write-receiver",
    ];
  });
}

/** The Pushgateway on loopback, nothing persisted. */
export async function startPushgateway(bin: string): Promise<Service> {
  return await start(bin, (port) => [`--web.listen-address=127.0.0.1:${port}`]);
}
