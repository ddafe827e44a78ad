// What must not leave the cluster in every event unless someone says so explicitly:
// annotation values that are secrets (or the whole last-applied manifest), and request
// headers that carry credentials. Matching is case-insensitive; --allow-annotation and
// --allow-header lift the refusal for one exact key/name.

const SENSITIVE_ANNOTATION_KEYS = ["kubectl.kubernetes.io/last-applied-configuration"];
// words that name a credential anywhere in an annotation key or header name
const SENSITIVE_WORDS = /(token|secret|passw|credential|api[-_.]?key|private[-_.]?key|bearer|session|cookie|auth)/i;
// "auth" above would also catch harmless words; these are not credentials
const HARMLESS = /(author)/i;

const SENSITIVE_HEADERS = [
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "api-key",
  "x-auth-token",
  "x-amz-security-token",
  "x-csrf-token",
  "x-xsrf-token",
  "x-forwarded-client-cert",
  "x-goog-iap-jwt-assertion",
];

export function isSensitiveAnnotationKey(key: string): boolean {
  const k = key.toLowerCase();
  if (SENSITIVE_ANNOTATION_KEYS.includes(k)) return true;
  return SENSITIVE_WORDS.test(k.replace(HARMLESS, ""));
}

export function isSensitiveHeader(name: string): boolean {
  const n = name.toLowerCase();
  if (SENSITIVE_HEADERS.includes(n)) return true;
  return SENSITIVE_WORDS.test(n.replace(HARMLESS, ""));
}

/** RFC 9110 token: what a header name may be made of. */
export function isHeaderName(name: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name);
}
