// What must not leave the cluster in every event unless someone says so explicitly:
// annotation values that are secrets (or the whole last-applied manifest), and request
// headers that carry credentials. Names are matched on their tokens (see
// sensitive-names.ts); --allow-annotation and --allow-header lift the refusal for one exact key/name.

import { isSensitiveName } from "../../filter/assembly/sensitive-names.js";

// Keys that are no credential but must not go out with every event either.
const SENSITIVE_ANNOTATION_KEYS = ["kubectl.kubernetes.io/last-applied-configuration"];

// The filter's own rule (filter/assembly/sensitive-names.ts), so that the installer
// refuses exactly what the filter would, and more: whole manifests.
export function isSensitiveAnnotationKey(key: string): boolean {
  return SENSITIVE_ANNOTATION_KEYS.includes(key.toLowerCase()) || isSensitiveName(key);
}

export function isSensitiveHeader(name: string): boolean {
  return isSensitiveName(name);
}

/** RFC 9110 token: what a header name may be made of. */
export function isHeaderName(name: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name);
}
