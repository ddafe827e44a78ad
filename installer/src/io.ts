// Reading manifests (file or stdin, YAML or JSON, one or many documents, kind: List) and
// writing objects the way kubectl does: YAML documents separated by "---", JSON as one
// object or a v1 List.
import { readFileSync } from "node:fs";
import YAML from "yaml";
import { InputError } from "./diagnostics.js";

export type OutputFormat = "yaml" | "json";

export interface SourcedDoc {
  /** "file.yaml#2" — used as the subject of diagnostics before a name is known */
  source: string;
  doc: unknown;
}

export function readInput(path: string): string {
  try {
    return readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (e) {
    throw new InputError(`cannot read ${path === "-" ? "stdin" : path}: ${(e as Error).message}`);
  }
}

/** Every document of a YAML/JSON stream; `kind: List` documents are flattened into their items. */
export function parseDocuments(text: string, name: string): SourcedDoc[] {
  const out: SourcedDoc[] = [];
  const docs = YAML.parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((d, i) => {
    const source = list.length > 1 ? `${name}#${i + 1}` : name;
    if (d.errors.length > 0) {
      throw new InputError(`${source}: not valid YAML/JSON: ${d.errors[0]!.message.split("\n")[0]}`);
    }
    const value: unknown = d.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return; // empty document (e.g. trailing ---)
    if (isObject(value) && value.kind === "List" && Array.isArray(value.items)) {
      value.items.forEach((item, j) => out.push({ source: `${source} items[${j}]`, doc: item }));
    } else {
      out.push({ source, doc: value });
    }
  });
  return out;
}

export function formatObjects(objs: readonly object[], format: OutputFormat): string {
  if (format === "json") {
    const value = objs.length === 1 ? objs[0] : { apiVersion: "v1", kind: "List", items: objs };
    return JSON.stringify(value, null, 2) + "\n";
  }
  // lineWidth 0: never fold long strings (cluster names, sha256) across lines
  return objs.map((o) => YAML.stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n");
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
