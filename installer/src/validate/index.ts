// Validation of the objects the installer writes, before they reach a cluster: Istio's
// WasmPlugin CRD (OpenAPI schema + CEL rules), object metadata, and for our own plugin the
// pluginConfig contract the filter enforces.
import YAML from "yaml";
import { isObject } from "../io.js";
import { checkPluginConfig } from "../plugin-config.js";
import { PLUGIN_NAME } from "../wasmplugin.js";
import { evaluateRules, type CelViolation, type SchemaNode } from "./cel.js";
import { compileCrdSchema, formatAjvError, newAjv } from "./crd-schema.js";
import { checkObjectMeta } from "./object-meta.js";
import { WASMPLUGIN_CRD_YAML } from "./wasmplugin-crd.gen.js";

interface CrdVersion {
  apiVersion: string;
  kind: string;
  namespaced: boolean;
  schema: SchemaNode;
  check: ReturnType<typeof compileCrdSchema>;
}

function loadCrd(text: string): CrdVersion[] {
  const crd = YAML.parse(text) as {
    spec: {
      group: string;
      scope: string;
      names: { kind: string };
      versions: { name: string; served: boolean; schema: { openAPIV3Schema: SchemaNode } }[];
    };
  };
  const ajv = newAjv();
  return crd.spec.versions
    .filter((v) => v.served)
    .map((v) => ({
      apiVersion: `${crd.spec.group}/${v.name}`,
      kind: crd.spec.names.kind,
      namespaced: crd.spec.scope === "Namespaced",
      schema: v.schema.openAPIV3Schema,
      check: compileCrdSchema(ajv, v.schema.openAPIV3Schema),
    }));
}

let crds: CrdVersion[] | undefined;
function knownCrds(): CrdVersion[] {
  crds ??= loadCrd(WASMPLUGIN_CRD_YAML);
  return crds;
}

export interface ValidationResult {
  /** false when there is no schema for this kind (nothing was checked) */
  checked: boolean;
  errors: string[];
}

export function validateObject(obj: unknown): ValidationResult {
  if (!isObject(obj)) return { checked: true, errors: ["expected an object"] };
  const version = knownCrds().find((c) => c.apiVersion === obj.apiVersion && c.kind === obj.kind);
  if (!version) {
    const sameKind = knownCrds().find(
      (c) =>
        c.kind === obj.kind &&
        typeof obj.apiVersion === "string" &&
        obj.apiVersion.startsWith(c.apiVersion.split("/")[0] + "/"),
    );
    if (sameKind)
      return {
        checked: true,
        errors: [`apiVersion: "${String(obj.apiVersion)}" is not served; use ${sameKind.apiVersion}`],
      };
    return { checked: false, errors: [] };
  }
  const errors: string[] = [];
  if (!version.check(obj)) errors.push(...(version.check.errors ?? []).map(formatAjvError));
  const schemaOk = errors.length === 0;
  errors.push(...checkObjectMeta(obj.metadata, version.namespaced));
  const cel: CelViolation[] = [];
  evaluateRules(version.schema, obj, "", cel);
  // a rule that cannot evaluate on a value of the wrong type only repeats the schema error
  errors.push(...cel.filter((v) => schemaOk || !v.message.includes("failed to evaluate")).map((v) => v.message));
  const spec = obj.spec;
  if (isObject(spec) && spec.pluginName === PLUGIN_NAME && spec.pluginConfig !== undefined) {
    errors.push(
      ...checkPluginConfig(spec.pluginConfig).map(
        (e) => `spec.pluginConfig.${e} (kserve-logger pluginConfig contract, docs/plugin-config.md)`,
      ),
    );
  }
  return { checked: true, errors };
}
