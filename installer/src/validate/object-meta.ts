// The part of metadata the API server checks for every object we write: name, namespace,
// labels (qualified names, values ≤ 63), annotations, owner references.
import { isObject } from "../io.js";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function qualifiedName(k: string): boolean {
  const parts = k.split("/");
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1]!;
  if (name.length > 63 || !NAME_PART.test(name)) return false;
  if (parts.length === 2) return parts[0]!.length <= 253 && DNS_SUBDOMAIN.test(parts[0]!);
  return true;
}

export function checkObjectMeta(meta: unknown, namespaced: boolean): string[] {
  const errs: string[] = [];
  if (!isObject(meta)) return ["metadata: Required value"];
  const name = meta.name;
  if (typeof name !== "string" || name === "") errs.push("metadata.name: Required value");
  else if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
    errs.push(`metadata.name: Invalid value: "${name}": must be a lowercase RFC 1123 subdomain`);
  if (meta.namespace !== undefined) {
    if (!namespaced) errs.push("metadata.namespace: not allowed on a cluster-scoped object");
    else if (typeof meta.namespace !== "string" || meta.namespace.length > 63 || !DNS_LABEL.test(meta.namespace)) {
      errs.push(
        `metadata.namespace: Invalid value: ${JSON.stringify(meta.namespace)}: must be a lowercase RFC 1123 label`,
      );
    }
  }
  if (meta.labels !== undefined) {
    if (!isObject(meta.labels)) errs.push("metadata.labels: must be a map of strings");
    else {
      for (const [k, v] of Object.entries(meta.labels)) {
        if (!qualifiedName(k)) errs.push(`metadata.labels: Invalid value: "${k}": not a qualified name`);
        if (typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v)) {
          errs.push(`metadata.labels: Invalid value: ${JSON.stringify(v)}: not a valid label value`);
        }
      }
    }
  }
  if (meta.annotations !== undefined) {
    if (!isObject(meta.annotations)) errs.push("metadata.annotations: must be a map of strings");
    else {
      let size = 0;
      for (const [k, v] of Object.entries(meta.annotations)) {
        if (!qualifiedName(k)) errs.push(`metadata.annotations: Invalid value: "${k}": not a qualified name`);
        if (typeof v !== "string") errs.push(`metadata.annotations["${k}"]: must be a string`);
        else size += k.length + v.length;
      }
      if (size > 256 * 1024) errs.push(`metadata.annotations: Too long: must have at most 262144 bytes`);
    }
  }
  if (meta.ownerReferences !== undefined) {
    if (!Array.isArray(meta.ownerReferences)) errs.push("metadata.ownerReferences: must be a list");
    else {
      meta.ownerReferences.forEach((r, i) => {
        for (const f of ["apiVersion", "kind", "name", "uid"]) {
          if (!isObject(r) || typeof r[f] !== "string" || r[f] === "")
            errs.push(`metadata.ownerReferences[${i}].${f}: Required value`);
        }
      });
    }
  }
  return errs;
}
