/**
 * Validators of the files under `deploy/`: the GitHub Actions workflow with
 * `@action-validator/cli`, every Kubernetes manifest against the Kubernetes API schemas of
 * `kubernetes-models` (types, formats, required fields and enums at run time; unknown fields,
 * which `kubectl apply` refuses, by type-checking each object against the package's interfaces),
 * and the systemd units with `systemd-analyze verify`. `deno task lint:deploy` runs them all.
 *
 * @module
 */

import { parseAllDocuments } from "yaml";
import { basename, join } from "node:path";

/** The `deploy/` folder. */
export const DEPLOY_DIR: string = new URL("../deploy/", import.meta.url).pathname;

/** The pinned validator packages. */
export const ACTION_VALIDATOR = "npm:@action-validator/cli@0.6.0";
/** The Kubernetes models (and schemas) package. */
export const KUBERNETES_MODELS = "npm:kubernetes-models@5.1.0";

/** Where the compiled executable is installed by the systemd units. */
export const UNIT_EXECUTABLE = "/usr/local/bin/fakeai-bench";

async function output(cmd: string, args: string[]): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, text: (dec.decode(out.stdout) + dec.decode(out.stderr)).trim() };
}

/** Problems `@action-validator/cli` finds in a workflow file (empty: valid). */
export async function checkWorkflow(path: string): Promise<string[]> {
  const r = await output(Deno.execPath(), [
    "run",
    "--allow-read",
    "--allow-env",
    ACTION_VALIDATOR,
    path,
  ]);
  return r.code === 0 ? [] : [`${basename(path)}: ${r.text.split("\n").slice(0, 40).join("\n")}`];
}

/** The documents of a YAML file (throws on a syntax error). */
export function yamlDocuments(text: string): Record<string, unknown>[] {
  const docs = parseAllDocuments(text);
  const out: Record<string, unknown>[] = [];
  for (const d of docs) {
    if (d.errors.length) throw new SyntaxError(d.errors.map((e) => e.message).join("; "));
    const v = d.toJSON();
    if (v !== null && v !== undefined) out.push(v as Record<string, unknown>);
  }
  return out;
}

/** The `kubernetes-models` module of an object's apiVersion and kind (`batch/v1/Job`). */
function modelPath(doc: Record<string, unknown>): string | null {
  const api = doc.apiVersion, kind = doc.kind;
  if (typeof api !== "string" || typeof kind !== "string") return null;
  if (!/^[a-z0-9.]+(\/v[0-9a-z]+)?$/.test(api) || !/^[A-Za-z]+$/.test(kind)) return null;
  return `${api}/${kind}`;
}

/**
 * Problems in a file of Kubernetes manifests (empty: valid): each object is validated by its
 * model's schema, then all are type-checked against the model interfaces, which rejects any
 * field the API does not know.
 */
export async function checkManifests(path: string): Promise<string[]> {
  const name = basename(path);
  let docs: Record<string, unknown>[];
  try {
    docs = yamlDocuments(await Deno.readTextFile(path));
  } catch (err) {
    return [`${name}: not YAML: ${err instanceof Error ? err.message : String(err)}`];
  }
  const problems: string[] = [];
  const typed: string[] = [];
  for (const [i, doc] of docs.entries()) {
    const where = `${name} document ${i + 1} (${doc.kind ?? "no kind"})`;
    const model = modelPath(doc);
    if (!model) {
      problems.push(`${where}: no apiVersion and kind`);
      continue;
    }
    let mod: Record<string, new (d: unknown) => { validate(): void }>;
    try {
      mod = await import(`${KUBERNETES_MODELS}/${model}`);
    } catch {
      problems.push(`${where}: unknown apiVersion/kind ${model}`);
      continue;
    }
    try {
      new mod[doc.kind as string](doc).validate();
    } catch (err) {
      problems.push(`${where}: ${err instanceof Error ? err.message : String(err)}`);
    }
    typed.push(
      `import type { I${doc.kind} as T${i} } from "${KUBERNETES_MODELS}/${model}";\n` +
        `export const doc${i}: T${i} = ${JSON.stringify(doc)};\n`,
    );
  }
  if (typed.length) {
    const dir = await Deno.makeTempDir({ prefix: "k8s-check-" });
    try {
      const file = join(dir, "manifests.ts");
      await Deno.writeTextFile(file, typed.join(""));
      const r = await output(Deno.execPath(), ["check", "--no-config", "--quiet", file]);
      if (r.code !== 0) {
        const errors = r.text.split("\n").filter((l) => /ERROR|error:/.test(l) || /TS\d+/.test(l));
        problems.push(`${name}: fields the Kubernetes API does not know:\n${errors.join("\n")}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  return problems;
}

/** True when `systemd-analyze` can be run here. */
export async function haveSystemdAnalyze(): Promise<boolean> {
  try {
    return (await output("systemd-analyze", ["--version"])).code === 0;
  } catch {
    return false;
  }
}

/**
 * Problems `systemd-analyze verify` finds in unit files (empty: valid). The units name the
 * installed executable ({@linkcode UNIT_EXECUTABLE}); they are verified as copies that name a
 * stand-in for it, so the check does not depend on what is installed on this machine.
 */
export async function checkUnits(paths: readonly string[]): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "units-check-" });
  try {
    const stub = join(dir, "fakeai-bench");
    await Deno.writeTextFile(stub, "#!/bin/sh\n");
    await Deno.chmod(stub, 0o755);
    const copies: string[] = [];
    for (const p of paths) {
      const copy = join(dir, basename(p));
      await Deno.writeTextFile(
        copy,
        (await Deno.readTextFile(p)).replaceAll(UNIT_EXECUTABLE, stub),
      );
      copies.push(copy);
    }
    const r = await output("systemd-analyze", ["verify", ...copies]);
    const lines = r.text.split("\n").filter((l) => l.trim() !== "");
    return r.code === 0 && lines.length === 0
      ? []
      : [`systemd-analyze verify: ${lines.join("\n").replaceAll(dir + "/", "")}`];
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Every file under `deploy/` of a kind: `.yml`/`.yaml` in a folder, or units. */
async function files(sub: string, re: RegExp): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(DEPLOY_DIR, sub))) {
    if (e.isFile && re.test(e.name)) out.push(join(DEPLOY_DIR, sub, e.name));
  }
  return out.sort();
}

/** The deploy files by validator. */
export async function deployFiles(): Promise<
  { workflows: string[]; manifests: string[]; units: string[] }
> {
  return {
    workflows: await files("github", /\.ya?ml$/),
    manifests: await files("k8s", /\.ya?ml$/),
    units: await files("systemd", /\.(service|timer)$/),
  };
}

if (import.meta.main) {
  const f = await deployFiles();
  const problems: string[] = [];
  for (const w of f.workflows) problems.push(...await checkWorkflow(w));
  for (const m of f.manifests) problems.push(...await checkManifests(m));
  if (await haveSystemdAnalyze()) problems.push(...await checkUnits(f.units));
  else console.error("lint:deploy: systemd-analyze not found; the systemd units were not checked");
  for (const p of problems) console.error(p);
  const n = f.workflows.length + f.manifests.length + f.units.length;
  console.log(`lint:deploy: ${n} files, ${problems.length} problem(s)`);
  if (problems.length) Deno.exit(1);
}
