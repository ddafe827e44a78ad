// OpenAPI v3 schema of a CRD version, checked with ajv the way the API server checks it, with
// the Kubernetes extensions ajv does not know:
// - x-kubernetes-preserve-unknown-fields: only there are unknown fields kept; elsewhere an
//   unknown field is reported (kubectl's default --validate=strict)
// - x-kubernetes-list-type map (keys x-kubernetes-list-map-keys) / set: items must be unique
// - x-kubernetes-int-or-string: the schema's anyOf already says integer or string
// Messages follow the API server's wording ("spec.url in body should be at least 1 chars long"),
// so Istio's test vectors' expected errors can be matched.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { SchemaNode } from "./cel.js";

type Json = Record<string, unknown>;

/** The schema ajv compiles: unknown fields closed off where Kubernetes would prune them. */
function toAjvSchema(node: SchemaNode): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "properties") {
      out.properties = Object.fromEntries(
        Object.entries(v as Record<string, SchemaNode>).map(([p, s]) => [p, toAjvSchema(s)]),
      );
    } else if (k === "items" || (k === "additionalProperties" && typeof v === "object")) {
      out[k] = toAjvSchema(v as SchemaNode);
    } else if (k === "anyOf" || k === "allOf" || k === "oneOf") {
      out[k] = (v as SchemaNode[]).map(toAjvSchema);
    } else if (k === "x-kubernetes-validations") {
      // CEL rules are evaluated separately (cel.ts)
    } else out[k] = v;
  }
  if (
    node.type === "object" &&
    node.properties &&
    node.additionalProperties === undefined &&
    !node["x-kubernetes-preserve-unknown-fields"]
  ) {
    out.additionalProperties = false;
  }
  return out;
}

function listTypeKeyword(ajv: Ajv): void {
  ajv.addKeyword({
    keyword: "x-kubernetes-list-type",
    type: "array",
    schemaType: "string",
    errors: true,
    validate: function check(listType: string, data: unknown[], parent?: Json) {
      const keys = (parent?.["x-kubernetes-list-map-keys"] as string[] | undefined) ?? [];
      const seen = new Set<string>();
      const errors: Partial<ErrorObject>[] = [];
      data.forEach((item, index) => {
        let id: string;
        if (listType === "map") id = JSON.stringify(keys.map((k) => (item as Json | null)?.[k]));
        else if (listType === "set") id = JSON.stringify(item);
        else return; // atomic
        if (seen.has(id))
          errors.push({ keyword: "x-kubernetes-list-type", params: { index, item }, message: "Duplicate value" });
        seen.add(id);
      });
      (check as unknown as { errors: Partial<ErrorObject>[] }).errors = errors;
      return errors.length === 0;
    },
  });
}

export function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false, strictRequired: false });
  for (const k of [
    "x-kubernetes-list-map-keys",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-embedded-resource",
  ]) {
    ajv.addKeyword({ keyword: k });
  }
  listTypeKeyword(ajv);
  ajv.addFormat("int32", {
    type: "number",
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat("date-time", /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/);
  return ajv;
}

export function compileCrdSchema(ajv: Ajv, schema: SchemaNode): ValidateFunction {
  // apiVersion, kind and metadata are the API server's business; metadata is checked in object-meta.ts
  const root = toAjvSchema(schema);
  root.properties = {
    apiVersion: { type: "string" },
    kind: { type: "string" },
    metadata: { type: "object" },
    ...(root.properties as Json),
  };
  return ajv.compile(root);
}

/** "/spec/match/0/ports/0" → "spec.match[0].ports[0]" */
export function k8sPath(instancePath: string): string {
  let out = "";
  for (const seg of instancePath.split("/").slice(1)) {
    const s = seg.replace(/~1/g, "/").replace(/~0/g, "~");
    out += /^\d+$/.test(s) ? `[${s}]` : out === "" ? s : `.${s}`;
  }
  return out;
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

export function formatAjvError(e: ErrorObject): string {
  const path = k8sPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  const join = (child: string) => (path === "" ? child : `${path}.${child}`);
  switch (e.keyword) {
    case "required":
      return `${join(String(p.missingProperty))}: Required value`;
    case "additionalProperties":
      return `unknown field "${join(String(p.additionalProperty))}"`;
    case "type":
      return `${path} in body must be of type ${String(p.type)}: "${typeOf(e.data)}"`;
    case "minLength":
      return `${path} in body should be at least ${String(p.limit)} chars long`;
    case "maxLength":
      return `${path} in body should be at most ${String(p.limit)} chars long`;
    case "pattern":
      return `${path} in body should match '${String(p.pattern)}'`;
    case "enum":
      return `${path}: Unsupported value: ${JSON.stringify(e.data)}: supported values: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "minimum":
      return `${path} in body should be greater than or equal to ${String(p.limit)}`;
    case "maximum":
      return `${path} in body should be less than or equal to ${String(p.limit)}`;
    case "maxItems":
    case "maxProperties":
      return `${path}: Too many: ${Array.isArray(e.data) ? e.data.length : Object.keys(e.data as object).length}: must have at most ${String(p.limit)} items`;
    case "format":
      return `${path} in body must be of type ${String(p.format)}: ${JSON.stringify(e.data)}`;
    case "x-kubernetes-list-type":
      return `${path}[${String(p.index)}]: Duplicate value: ${JSON.stringify(p.item)}`;
    case "anyOf":
      return `${path} in body must be of type integer or string: "${typeOf(e.data)}"`;
    default:
      return `${path}: ${e.message ?? e.keyword}`;
  }
}
