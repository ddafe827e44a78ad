// x-kubernetes-validations: CEL rules evaluated with @bufbuild/cel, with the Kubernetes CEL
// library functions the Istio CRDs use (isURL, url, and the URL accessors). Values are handed
// to CEL as Kubernetes does: objects and maps as CEL maps, integers (type: integer) as int.
import {
  celFunc,
  celMethod,
  CelScalar,
  isCelError,
  mapType,
  listType,
  plan,
  parse,
  celEnv,
  type CelFunc,
} from "@bufbuild/cel";
import { GoUrlError, parseRequestURI } from "./go-url.js";

// Kubernetes' URL is an opaque type; here it is a CEL map only these functions produce.
const URL_TYPE = mapType(CelScalar.STRING, CelScalar.STRING);

function urlValue(s: string): Map<string, string> {
  let u;
  try {
    u = parseRequestURI(s);
  } catch (e) {
    throw new Error(`URL parse error during conversion from string: ${(e as GoUrlError).message}`, { cause: e });
  }
  return new Map([
    ["scheme", u.scheme],
    ["host", u.host],
    ["path", u.path],
    ["rawQuery", u.rawQuery],
    ["opaque", u.opaque],
  ]);
}

function hostname(host: string): string {
  if (host.startsWith("[")) return host.slice(1, host.lastIndexOf("]"));
  const i = host.lastIndexOf(":");
  return i >= 0 ? host.slice(0, i) : host;
}

export const K8S_CEL_FUNCS: CelFunc[] = [
  celFunc("isURL", [CelScalar.STRING], CelScalar.BOOL, (s) => {
    try {
      parseRequestURI(s);
      return true;
    } catch {
      return false;
    }
  }),
  celFunc("url", [CelScalar.STRING], URL_TYPE, (s) => urlValue(s)),
  celMethod("getScheme", URL_TYPE, [], CelScalar.STRING, function () {
    return this.get("scheme") as string;
  }),
  celMethod("getHost", URL_TYPE, [], CelScalar.STRING, function () {
    return this.get("host") as string;
  }),
  celMethod("getHostname", URL_TYPE, [], CelScalar.STRING, function () {
    return hostname(this.get("host") as string);
  }),
  celMethod("getPort", URL_TYPE, [], CelScalar.STRING, function () {
    const h = this.get("host") as string;
    const rest = h.startsWith("[") ? h.slice(h.lastIndexOf("]") + 1) : h.slice(Math.max(0, h.lastIndexOf(":")));
    return rest.startsWith(":") ? rest.slice(1) : "";
  }),
  celMethod("getEscapedPath", URL_TYPE, [], CelScalar.STRING, function () {
    return this.get("path") as string;
  }),
  celMethod("getQuery", URL_TYPE, [], mapType(CelScalar.STRING, listType(CelScalar.STRING)), function () {
    const q = new Map<string, string[]>();
    for (const [k, v] of new URLSearchParams(this.get("rawQuery") as string)) q.set(k, [...(q.get(k) ?? []), v]);
    return q;
  }),
];

const env = celEnv({ funcs: K8S_CEL_FUNCS });
const programs = new Map<string, ReturnType<typeof plan>>();

function program(rule: string) {
  let p = programs.get(rule);
  if (!p) {
    p = plan(env, parse(rule));
    programs.set(rule, p);
  }
  return p;
}

export interface Rule {
  rule: string;
  message?: string;
  messageExpression?: string;
}

export interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  "x-kubernetes-validations"?: Rule[];
  [k: string]: unknown;
}

/** Converts a JSON value to CEL input following the schema (integers become int). */
export function toCel(value: unknown, schema: SchemaNode | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => toCel(v, schema?.items));
  if (value !== null && typeof value === "object") {
    const m = new Map<string, unknown>();
    for (const [k, v] of Object.entries(value)) {
      const sub =
        schema?.properties?.[k] ??
        (typeof schema?.additionalProperties === "object" ? schema.additionalProperties : undefined);
      m.set(k, toCel(v, sub));
    }
    return m;
  }
  if (
    typeof value === "number" &&
    (schema?.type === "integer" || (schema?.type === undefined && Number.isInteger(value)))
  ) {
    return BigInt(value);
  }
  return value;
}

export interface CelViolation {
  path: string;
  message: string;
}

/**
 * Evaluates every x-kubernetes-validations rule of `schema` and its children on `value`.
 * Rules are only evaluated where the value is present (and not null), as in Kubernetes.
 */
export function evaluateRules(schema: SchemaNode, value: unknown, path: string, out: CelViolation[]): void {
  if (value === undefined || value === null) return;
  for (const r of schema["x-kubernetes-validations"] ?? []) {
    let result: unknown;
    try {
      result = program(r.rule)({ self: toCel(value, schema) as never });
    } catch (e) {
      result = e;
    }
    if (result === true) continue;
    const typeName = Array.isArray(value) ? "array" : typeof value === "object" ? "object" : typeof value;
    if (isCelError(result) || result instanceof Error) {
      out.push({
        path,
        message: `${path}: Invalid value: "${typeName}": rule "${r.rule}" failed to evaluate: ${(result as Error).message}`,
      });
    } else {
      out.push({ path, message: `${path}: Invalid value: "${typeName}": ${r.message ?? `failed rule: ${r.rule}`}` });
    }
  }
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((v, i) => evaluateRules(schema.items!, v, `${path}[${i}]`, out));
  } else if (typeof value === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const sub =
        schema.properties?.[k] ??
        (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
      if (sub) evaluateRules(sub, v, path === "" ? k : `${path}.${k}`, out);
    }
  }
}
