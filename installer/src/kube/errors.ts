// Errors from the API that a person can act on: which server could not be reached, which kind the
// cluster does not serve (and which product installs it), what RBAC refused. ClientNodeKube turns
// every client-node failure into a KubeError through explain(); its `code` stays the HTTP status,
// so callers still tell 404 and 409 apart.
import { ApiException } from "@kubernetes/client-node";

export class KubeError extends Error {
  constructor(
    message: string,
    /** the HTTP status, when the server answered */
    readonly code?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The product whose CRD serves an API group: what to install when the kind is missing. */
const CRD_OWNERS: Record<string, string> = {
  "extensions.istio.io": "Istio",
  "networking.istio.io": "Istio",
  "serving.kserve.io": "KServe",
};

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "ECONNRESET",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** The message of a Kubernetes Status body, if the error carries one. */
function statusMessage(e: unknown): string | undefined {
  const body = (e as { body?: unknown }).body;
  try {
    const s =
      typeof body === "string"
        ? (JSON.parse(body) as { message?: unknown })
        : (body as { message?: unknown } | undefined);
    return typeof s?.message === "string" ? s.message : undefined;
  } catch {
    return undefined;
  }
}

/** Why no answer came (ECONNREFUSED, a TLS failure, ...), or undefined when the server answered. */
function networkCode(e: unknown): string | undefined {
  let fetchFailed = false;
  let last: unknown;
  for (let x: unknown = e, i = 0; x && i < 5; x = (x as { cause?: unknown }).cause, i++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
    if (x instanceof TypeError && x.message === "fetch failed") fetchFailed = true;
    last = x;
  }
  // undici's own refusals (a blocked port, a malformed URL) carry only a message
  return fetchFailed ? ((last as { code?: string; message?: string }).code ?? (last as Error).message) : undefined;
}

/**
 * `e` from an API call `what` (e.g. "list WasmPlugin in namespace models") to `server`, as a
 * KubeError whose message says what to do. Errors that are already KubeErrors pass through.
 */
export function explain(e: unknown, server: string, what: string, apiVersion?: string, kind?: string): KubeError {
  if (e instanceof KubeError) return e;
  const net = networkCode(e);
  if (net)
    return new KubeError(
      `cannot reach the API server at ${server} (${net}) to ${what}: is the cluster up, and is the kubeconfig's server right?`,
      undefined,
      { cause: e },
    );
  const code = e instanceof ApiException ? e.code : undefined;
  const msg = statusMessage(e) ?? (e as Error).message ?? String(e);
  const group = apiVersion?.includes("/") ? apiVersion.split("/")[0]! : "";
  // client-node's generic API finds a kind through discovery before it sends anything
  const undiscovered = /^(Failed to fetch resource metadata for |Unrecognized API version and kind: )/.test(msg);
  if (kind && (undiscovered || (code === 404 && /could not find the requested resource/.test(msg)))) {
    const owner = CRD_OWNERS[group];
    return new KubeError(
      `the API server at ${server} does not serve ${apiVersion} ${kind}` +
        (owner ? `: is ${owner} installed? (its CRD ${kind.toLowerCase()}s.${group} is missing)` : ""),
      404,
      { cause: e },
    );
  }
  if (code === 403)
    return new KubeError(
      `${msg} — RBAC refused it (to ${what}); installer/README.md (Permissions) lists what the installer needs`,
      403,
      { cause: e },
    );
  if (code === 401)
    return new KubeError(
      `the API server at ${server} refused the kubeconfig's credentials (401 Unauthorized) to ${what}`,
      401,
      { cause: e },
    );
  if (code !== undefined) return new KubeError(`${msg} (HTTP ${code}, to ${what})`, code, { cause: e });
  return new KubeError(`${msg} (to ${what} at ${server})`, undefined, { cause: e });
}
