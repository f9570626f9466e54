/**
 * Linux `/proc` readers: a process's memory (`/proc/<pid>/status`), its command line, and the
 * process behind a listening TCP port on this host (`/proc/net/tcp{,6}` → socket inode →
 * `/proc/<pid>/fd/* -> socket:[inode]`). Reading another process's `/proc` entries needs
 * `--allow-read` (in practice `--allow-all`) and the same user or more privileges.
 *
 * @module
 */

/** Memory of one process, in bytes. */
export interface ProcMemory {
  /** Resident set size (`VmRSS`). */
  rss: number;
  /** Anonymous resident memory (`RssAnon`), null on kernels that do not report it. */
  rssAnon: number | null;
  /** Swapped-out memory (`VmSwap`), null when not reported. */
  swap: number | null;
}

function kbField(text: string, name: string): number | null {
  const m = text.match(new RegExp(`^${name}:\\s+(\\d+)\\s*kB`, "m"));
  return m ? Number(m[1]) * 1024 : null;
}

/**
 * Parse the text of `/proc/<pid>/status` into bytes. Throws a `RangeError` when `VmRSS` is
 * missing (a zombie or kernel thread has no memory to report).
 */
export function parseProcStatus(text: string): ProcMemory {
  const rss = kbField(text, "VmRSS");
  if (rss === null) throw new RangeError("no VmRSS line in /proc status");
  return { rss, rssAnon: kbField(text, "RssAnon"), swap: kbField(text, "VmSwap") };
}

/** Read `/proc/<pid>/status`. Throws `Deno.errors.NotFound` when the process is gone. */
export async function readProcMemory(pid: number): Promise<ProcMemory> {
  return parseProcStatus(await Deno.readTextFile(`/proc/${pid}/status`));
}

/** Turn the NUL-separated bytes of `/proc/<pid>/cmdline` into a space-joined command line. */
export function parseCmdline(raw: string): string {
  return raw.split("\0").filter((a) => a.length > 0).join(" ");
}

/** The command line of a process, or null when it cannot be read or is empty. */
export async function readCmdline(pid: number): Promise<string | null> {
  try {
    const text = parseCmdline(await Deno.readTextFile(`/proc/${pid}/cmdline`));
    return text.length > 0 ? text : null;
  } catch {
    return null;
  }
}

/** True when `/proc/<pid>/status` can be read. */
export async function processExists(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}/status`);
    return true;
  } catch {
    return false;
  }
}

/** One row of `/proc/net/tcp` or `/proc/net/tcp6`. */
export interface TcpSocket {
  /** Local address, dotted IPv4 or full IPv6 (`0.0.0.0`, `::` when wildcard). */
  address: string;
  /** Local port. */
  port: number;
  /** Kernel state code (`0A` = LISTEN). */
  state: string;
  /** Socket inode. */
  inode: number;
}

/** Kernel state code of a listening TCP socket. */
export const TCP_LISTEN = "0A";

function ipv4FromHex(hex: string): string {
  // A 32-bit word in host (little-endian) byte order.
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).reverse();
  return bytes.join(".");
}

function ipv6FromHex(hex: string): string {
  // Four 32-bit words, each in host (little-endian) byte order.
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (let i = 6; i >= 0; i -= 2) bytes.push(parseInt(word.slice(i, i + 2), 16));
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  const v4mapped = groups.slice(0, 5).every((g) => g === "0") && groups[5] === "ffff";
  if (v4mapped) return `::ffff:${bytes.slice(12).join(".")}`;
  const full = groups.join(":");
  // Compress the longest run of zero groups.
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (bestLen < 2) return full;
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}

/** Parse the text of `/proc/net/tcp` (or `tcp6`, with `v6`) into sockets. */
export function parseProcNetTcp(text: string, v6 = false): TcpSocket[] {
  const out: TcpSocket[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [addr, port] = f[1].split(":");
    if (!addr || !port) continue;
    out.push({
      address: v6 ? ipv6FromHex(addr) : ipv4FromHex(addr),
      port: parseInt(port, 16),
      state: f[3].toUpperCase(),
      inode: Number(f[9]),
    });
  }
  return out;
}

/** Listening TCP sockets (IPv4 and IPv6) on `port` in this network namespace. */
export async function listeningSockets(port: number): Promise<TcpSocket[]> {
  const out: TcpSocket[] = [];
  for (const [file, v6] of [["/proc/net/tcp", false], ["/proc/net/tcp6", true]] as const) {
    let text;
    try {
      text = await Deno.readTextFile(file);
    } catch {
      continue; // no IPv6, or no /proc
    }
    for (const s of parseProcNetTcp(text, v6)) {
      if (s.state === TCP_LISTEN && s.port === port && s.inode > 0) out.push(s);
    }
  }
  return out;
}

/**
 * PIDs whose open file descriptors include one of the socket inodes, found by scanning
 * `/proc/<pid>/fd/*` links (`socket:[inode]`). Processes whose fds cannot be read (other
 * users, without privileges) are skipped silently.
 */
export async function pidsHoldingSockets(inodes: readonly number[]): Promise<number[]> {
  const wanted = new Set(inodes.map((i) => `socket:[${i}]`));
  const pids: number[] = [];
  if (wanted.size === 0) return pids;
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const pid = Number(entry.name);
    try {
      for await (const fd of Deno.readDir(`/proc/${pid}/fd`)) {
        let link;
        try {
          link = await Deno.readLink(`/proc/${pid}/fd/${fd.name}`);
        } catch {
          continue;
        }
        if (wanted.has(link)) {
          pids.push(pid);
          break;
        }
      }
    } catch {
      continue;
    }
  }
  return pids.sort((a, b) => a - b);
}

/** The processes behind a listening port. */
export interface PortOwner {
  /** The listening sockets found. */
  sockets: TcpSocket[];
  /** PIDs holding one of them, ascending. */
  pids: number[];
}

/**
 * Find the processes listening on TCP `port` on this host. When `address` is an IP literal,
 * sockets bound to it or to a wildcard address are preferred over others on the same port.
 */
export async function findListeningProcesses(
  port: number,
  address: string | null = null,
): Promise<PortOwner> {
  let sockets = await listeningSockets(port);
  if (address !== null && sockets.length > 1) {
    const wild = new Set(["0.0.0.0", "::", address, `::ffff:${address}`]);
    const matching = sockets.filter((s) => wild.has(s.address));
    if (matching.length > 0) sockets = matching;
  }
  const pids = await pidsHoldingSockets(sockets.map((s) => s.inode));
  return { sockets, pids };
}

/**
 * True when a URL host names this machine: loopback names and addresses, the wildcard
 * address, this host's name, or an address of one of its interfaces.
 */
export function isThisHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (/^127\.\d+\.\d+\.\d+$/.test(h) || h === "::1" || h === "0.0.0.0" || h === "::") return true;
  if (h.startsWith("::ffff:127.")) return true;
  try {
    if (h === Deno.hostname().toLowerCase()) return true;
  } catch {
    // no permission to read the hostname
  }
  try {
    return Deno.networkInterfaces().some((i) => i.address.toLowerCase() === h);
  } catch {
    return false;
  }
}
