/**
 * Headless Chromium driven over the DevTools protocol (a WebSocket), for browser tests:
 * open a page, collect console errors, exceptions and network requests, evaluate
 * expressions, take screenshots and print to PDF.
 *
 * @module
 */

/** Where Chromium may be installed. */
export const CHROMIUM_PATHS = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
];

/** The Chromium executable, or null when none is installed. */
export function findChromium(): string | null {
  const env = Deno.env.get("CHROMIUM");
  for (const p of env ? [env, ...CHROMIUM_PATHS] : CHROMIUM_PATHS) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch {
      // not here
    }
  }
  return null;
}

type Msg = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { message: string };
  sessionId?: string;
};

/** One browser with one page. */
export class Browser {
  #proc: Deno.ChildProcess;
  #ws: WebSocket;
  #id = 0;
  #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #waiters: { method: string; resolve(p: Record<string, unknown>): void }[] = [];
  #session = "";
  #profile: string;
  /** Console errors, uncaught exceptions and error log entries seen. */
  readonly errors: string[] = [];
  /** URLs the page requested. */
  readonly requests: string[] = [];

  private constructor(proc: Deno.ChildProcess, ws: WebSocket, profile: string) {
    this.#proc = proc;
    this.#ws = ws;
    this.#profile = profile;
    ws.onmessage = (ev) => this.#onMessage(JSON.parse(ev.data as string) as Msg);
  }

  /** Start Chromium headless and attach to a fresh page. */
  static async launch(executable: string): Promise<Browser> {
    const profile = await Deno.makeTempDir({ prefix: "chromium-profile-" });
    const proc = new Deno.Command(executable, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        `--user-data-dir=${profile}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    const url = await devtoolsUrl(proc.stderr);
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
    const b = new Browser(proc, ws, profile);
    const { targetId } = await b.send("Target.createTarget", { url: "about:blank" }) as {
      targetId: string;
    };
    const { sessionId } = await b.send("Target.attachToTarget", { targetId, flatten: true }) as {
      sessionId: string;
    };
    b.#session = sessionId;
    for (const m of ["Runtime.enable", "Log.enable", "Network.enable", "Page.enable"]) {
      await b.send(m);
    }
    return b;
  }

  #onMessage(m: Msg): void {
    if (m.id !== undefined) {
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error.message));
      else p?.resolve(m.result);
      return;
    }
    const params = m.params ?? {};
    if (m.method === "Runtime.consoleAPICalled" && params.type === "error") {
      this.errors.push(`console.error: ${JSON.stringify(params.args)}`);
    } else if (m.method === "Runtime.exceptionThrown") {
      this.errors.push(`exception: ${JSON.stringify(params.exceptionDetails)}`);
    } else if (m.method === "Log.entryAdded") {
      const e = params.entry as { level: string; text: string; url?: string };
      if (e.level === "error") this.errors.push(`log: ${e.text} ${e.url ?? ""}`);
    } else if (m.method === "Network.requestWillBeSent") {
      this.requests.push((params.request as { url: string }).url);
    }
    this.#waiters = this.#waiters.filter((w) => {
      if (w.method !== m.method) return true;
      w.resolve(params);
      return false;
    });
  }

  /** Send a DevTools command (to the page once attached). */
  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = ++this.#id;
    const msg: Msg = { id, method, params };
    if (this.#session) msg.sessionId = this.#session;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify(msg));
    });
  }

  /** Wait for the next event of a kind. */
  next(method: string, timeoutMs = 15000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${method} in ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        method,
        resolve: (p) => {
          clearTimeout(t);
          resolve(p);
        },
      });
    });
  }

  /** Set the viewport size. */
  async viewport(width: number, height: number, mobile = false): Promise<void> {
    await this.send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile,
    });
  }

  /** Navigate and wait for the load event. */
  async open(url: string): Promise<void> {
    const loaded = this.next("Page.loadEventFired");
    await this.send("Page.navigate", { url });
    await loaded;
  }

  /** Evaluate an expression in the page; returns its value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", { expression, returnByValue: true }) as {
      result: { value: T };
      exceptionDetails?: unknown;
    };
    if (r.exceptionDetails) {
      throw new Error(`evaluate failed: ${JSON.stringify(r.exceptionDetails)}`);
    }
    return r.result.value;
  }

  /** A PNG screenshot of the viewport. */
  async screenshot(): Promise<Uint8Array> {
    const r = await this.send("Page.captureScreenshot", { format: "png" }) as { data: string };
    return Uint8Array.from(atob(r.data), (c) => c.charCodeAt(0));
  }

  /** The page printed to PDF. */
  async pdf(): Promise<Uint8Array> {
    const r = await this.send("Page.printToPDF", { printBackground: true }) as { data: string };
    return Uint8Array.from(atob(r.data), (c) => c.charCodeAt(0));
  }

  /** Close the browser and remove its profile. */
  async close(): Promise<void> {
    try {
      this.#session = "";
      await Promise.race([this.send("Browser.close"), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      // already closing
    }
    try {
      this.#ws.close();
    } catch {
      // closed
    }
    try {
      this.#proc.kill("SIGKILL");
    } catch {
      // exited
    }
    await this.#proc.status;
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }
}

async function devtoolsUrl(stderr: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    const m = text.match(/DevTools listening on (ws:\/\/\S+)/);
    if (m) {
      // Keep draining stderr so Chromium never blocks on a full pipe.
      (async () => {
        try {
          while (!(await reader.read()).done) { /* drain */ }
        } catch {
          // closed
        }
      })();
      return m[1];
    }
  }
  throw new Error(`Chromium did not start: ${text.slice(-500)}`);
}
