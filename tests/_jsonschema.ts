/**
 * The published JSON Schemas (draft 2020-12) loaded into Ajv, as a user validating `run.json`
 * would: strict mode, every schema of the repository registered by its `$id` (the common
 * definitions, `run.json`'s, and each suite's from its folder).
 *
 * @module
 */

import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { SUITES } from "../suites/registry.ts";

/** The schema files: `schemas/` and each registered suite's. */
export function schemaFiles(): URL[] {
  return [
    new URL("../schemas/common.schema.json", import.meta.url),
    new URL("../schemas/run.schema.json", import.meta.url),
    new URL("../schemas/stages.schema.json", import.meta.url),
    ...SUITES.map((s) => s.schema),
  ];
}

/** Every schema, compiled once, by `$id`. */
export class SchemaSet {
  readonly #ajv: InstanceType<typeof Ajv2020>;
  readonly #compiled = new Map<string, ValidateFunction>();

  /** Load `files` (default: every schema of the repository). */
  constructor(files: readonly URL[] = schemaFiles()) {
    this.#ajv = new Ajv2020({ strict: true, allErrors: true });
    for (const f of files) this.#ajv.addSchema(JSON.parse(Deno.readTextFileSync(f)));
  }

  /** Validate `doc` against the schema of `$id` (its file name); the errors, one line each. */
  validate(id: string, doc: unknown): string[] {
    let v = this.#compiled.get(id);
    if (!v) {
      v = this.#ajv.getSchema(id);
      if (!v) throw new Error(`no schema ${id}`);
      this.#compiled.set(id, v);
    }
    return v(doc) ? [] : (v.errors ?? []).map(describe);
  }
}

function describe(e: ErrorObject): string {
  const extra = e.keyword === "additionalProperties"
    ? ` (${(e.params as { additionalProperty: string }).additionalProperty})`
    : e.keyword === "enum"
    ? ` (${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)})`
    : "";
  return `${e.instancePath || "/"}: ${e.message}${extra}`;
}

/** Schema `$id` of each result file a run folder may hold. */
export function resultSchemas(): Record<string, string> {
  const out: Record<string, string> = { "run.json": "run.schema.json" };
  for (const s of SUITES) out[`${s.reporter.file}.json`] = `${s.reporter.file}.schema.json`;
  return out;
}

/**
 * Validate every JSON result file present in a run folder; returns the files checked and
 * the errors found (`file: path: message`).
 */
export async function validateRunFolder(
  dir: string,
): Promise<{ files: string[]; errors: string[] }> {
  const set = new SchemaSet();
  const files: string[] = [];
  const errors: string[] = [];
  for (const [file, schema] of Object.entries(resultSchemas())) {
    let text: string;
    try {
      text = await Deno.readTextFile(`${dir}/${file}`);
    } catch {
      continue;
    }
    files.push(file);
    for (const e of set.validate(schema, JSON.parse(text))) errors.push(`${file}: ${e}`);
  }
  return { files, errors };
}
