/**
 * A small JSON Schema validator for the subset the documents in `schemas/` use: type, enum,
 * const, properties, required, additionalProperties, items, minItems, maxItems, minimum,
 * maximum, pattern, allOf, anyOf, not, and `$ref` to `#/$defs/…` in the same document or in
 * another file of `schemas/`. Any other keyword is an error, so a schema cannot silently rely
 * on something this validator ignores.
 *
 * @module
 */

/** Folder of the schema documents. */
export const SCHEMA_DIR = new URL("../schemas/", import.meta.url);

type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(["$schema", "$id", "title", "description", "$defs"]);
const KNOWN = new Set([
  "type",
  "enum",
  "const",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "minItems",
  "maxItems",
  "minimum",
  "maximum",
  "pattern",
  "allOf",
  "anyOf",
  "not",
  "$ref",
]);

/** Loads schema documents by file name from a folder. */
export class SchemaSet {
  #docs = new Map<string, Schema>();
  #dir: URL;

  /** Use the documents in `dir` (default: the repository's `schemas/`). */
  constructor(dir: URL = SCHEMA_DIR) {
    this.#dir = dir;
  }

  /** The document `file`, read once. */
  doc(file: string): Schema {
    let d = this.#docs.get(file);
    if (!d) {
      d = JSON.parse(Deno.readTextFileSync(new URL(file, this.#dir))) as Schema;
      this.#docs.set(file, d);
    }
    return d;
  }

  /** Validate `value` against document `file`; returns error messages (empty = valid). */
  validate(file: string, value: unknown): string[] {
    const errors: string[] = [];
    this.#check(this.doc(file), file, value, "$", errors);
    return errors;
  }

  #resolve(ref: string, base: string): [Schema, string] {
    const [file, pointer] = ref.split("#");
    const docName = file || base;
    let node: unknown = this.doc(docName);
    for (const part of (pointer ?? "").split("/").filter(Boolean)) {
      node = (node as Record<string, unknown>)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    if (!node || typeof node !== "object") throw new Error(`unresolvable $ref ${ref} in ${base}`);
    return [node as Schema, docName];
  }

  #check(s: Schema, base: string, v: unknown, path: string, errors: string[]): void {
    for (const k of Object.keys(s)) {
      if (!KNOWN.has(k) && !ANNOTATIONS.has(k)) {
        throw new Error(`unsupported keyword ${k} in ${base}`);
      }
    }
    if (typeof s.$ref === "string") {
      const [target, doc] = this.#resolve(s.$ref, base);
      this.#check(target, doc, v, path, errors);
    }
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? s.type as string[] : [s.type as string];
      if (!types.some((t) => typeMatches(t, v))) {
        errors.push(`${path}: expected ${types.join(" or ")}, got ${typeName(v)}`);
        return;
      }
    }
    if (Array.isArray(s.enum) && !s.enum.some((e) => e === v)) {
      errors.push(`${path}: ${JSON.stringify(v)} not one of ${JSON.stringify(s.enum)}`);
    }
    if ("const" in s && s.const !== v) {
      errors.push(`${path}: expected ${JSON.stringify(s.const)}, got ${JSON.stringify(v)}`);
    }
    if (typeof v === "number") {
      if (typeof s.minimum === "number" && v < s.minimum) {
        errors.push(`${path}: ${v} < minimum ${s.minimum}`);
      }
      if (typeof s.maximum === "number" && v > s.maximum) {
        errors.push(`${path}: ${v} > maximum ${s.maximum}`);
      }
    }
    if (typeof v === "string" && typeof s.pattern === "string" && !new RegExp(s.pattern).test(v)) {
      errors.push(`${path}: '${v}' does not match ${s.pattern}`);
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === "number" && v.length < s.minItems) {
        errors.push(`${path}: fewer than ${s.minItems} items`);
      }
      if (typeof s.maxItems === "number" && v.length > s.maxItems) {
        errors.push(`${path}: more than ${s.maxItems} items`);
      }
      if (s.items && typeof s.items === "object") {
        v.forEach((x, i) => this.#check(s.items as Schema, base, x, `${path}[${i}]`, errors));
      }
    }
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      for (const r of (s.required as string[] | undefined) ?? []) {
        if (!(r in o)) errors.push(`${path}: missing required property ${r}`);
      }
      const props = (s.properties ?? {}) as Record<string, Schema>;
      for (const [k, x] of Object.entries(o)) {
        if (props[k]) this.#check(props[k], base, x, `${path}.${k}`, errors);
        else if (s.additionalProperties === false) {
          errors.push(`${path}: unexpected property ${k}`);
        } else if (s.additionalProperties && typeof s.additionalProperties === "object") {
          this.#check(s.additionalProperties as Schema, base, x, `${path}.${k}`, errors);
        }
      }
    }
    if (Array.isArray(s.allOf)) {
      for (const sub of s.allOf) this.#check(sub as Schema, base, v, path, errors);
    }
    if (Array.isArray(s.anyOf)) {
      const ok = s.anyOf.some((sub) => {
        const e: string[] = [];
        this.#check(sub as Schema, base, v, path, e);
        return e.length === 0;
      });
      if (!ok) errors.push(`${path}: matches none of anyOf`);
    }
    if (s.not && typeof s.not === "object") {
      const e: string[] = [];
      this.#check(s.not as Schema, base, v, path, e);
      if (e.length === 0) errors.push(`${path}: must not match ${JSON.stringify(s.not)}`);
    }
  }
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(t: string, v: unknown): boolean {
  switch (t) {
    case "null":
      return v === null;
    case "array":
      return Array.isArray(v);
    case "object":
      return v !== null && typeof v === "object" && !Array.isArray(v);
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "string":
      return typeof v === "string";
    case "boolean":
      return typeof v === "boolean";
    default:
      throw new Error(`unknown type ${t}`);
  }
}

/** Schema file of each result file a run folder may hold. */
export const RESULT_SCHEMAS: Record<string, string> = {
  "run.json": "run.schema.json",
  "throughput_results.json": "throughput_results.schema.json",
  "kv_cache_results.json": "kv_cache_results.schema.json",
  "concurrent_results.json": "concurrent_results.schema.json",
  "memory_results.json": "memory_results.schema.json",
};

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
  for (const [file, schema] of Object.entries(RESULT_SCHEMAS)) {
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
