// Logger URL → the Envoy cluster Istio generates for it (`outbound|<port>||<host>`), the
// :authority and :path of the callout, and whatever Istio needs to have that cluster at all
// (ServiceEntry for hosts outside the mesh, DestinationRule for TLS origination, since the
// filter's callouts are plaintext HTTP to a cluster).
import { isIP } from "node:net";
import { isSensitiveName } from "../../filter/assembly/sensitive-names.js";

export interface LoggerTarget {
  /** the URL as written (or the default) */
  url: string;
  cluster: string;
  authority: string;
  path: string;
  /** FQDN (in-mesh) or host as written (external) */
  host: string;
  /** port of the Istio cluster */
  clusterPort: number;
  external: boolean;
  /** https: TLS is originated by the sidecar (DestinationRule) */
  tls: boolean;
  /** port the TLS server listens on (https only) */
  tlsPort?: number;
}

export class LoggerUrlError extends Error {}

export interface ResolveOptions {
  /** namespace of the ISVC: short names resolve there, as they do from the model pod */
  namespace: string;
  clusterDomain: string;
  /** query parameters with sensitive names are copied into the WasmPlugin (--allow-logger-query) */
  allowQuery?: boolean;
  /** loopback, link-local and unspecified hosts, port 0 and the proxy's own ports pass (--allow-logger-address) */
  allowAddress?: boolean;
}

/**
 * Envoy's and Istio's own ports in every pod: admin 15000 (a POST to /quitquitquit stops the
 * sidecar), outbound 15001, tunnel 15004 (historically also 15008), inbound 15006, istio-agent
 * 15020, health 15021, Prometheus 15090. A logger there is never the right target.
 */
export const PROXY_PORTS = [15000, 15001, 15004, 15006, 15020, 15021, 15090];

/**
 * A URL as it may appear in a message or log: userinfo and query values replaced by *** (the
 * parameter names stay, so the message still says which one). Also for strings that do not parse.
 */
export function redactUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    // Not a URL: still hide anything that looks like userinfo or a query value.
    return raw.replace(/\/\/[^/@?#]*@/, "//***@").replace(/([?&][^=&#]*=)[^&#]*/g, "$1***");
  }
  if (u.username === "" && u.password === "" && u.search === "" && u.hash === "") return raw; // nothing to hide: as written
  const auth = u.username !== "" || u.password !== "" ? "***@" : "";
  const query =
    u.search === ""
      ? ""
      : "?" +
        u.search
          .slice(1)
          .split("&")
          .map((kv) => {
            const i = kv.indexOf("=");
            return i < 0 ? kv : `${kv.slice(0, i)}=***`;
          })
          .join("&");
  return `${u.protocol}//${auth}${u.host}${u.pathname}${query}${u.hash === "" ? "" : "#***"}`;
}

/** Why a host:port is never a logger (loopback, link-local, unspecified, port 0, the proxy's ports), or undefined. */
export function unfitAddress(hostname: string, port: number): string | undefined {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (port === 0) return "port 0 is no port";
  if (PROXY_PORTS.includes(port))
    return `port ${port} is one of Envoy's or Istio's own ports in the pod (${PROXY_PORTS.join(", ")})`;
  if (h === "localhost" || h.endsWith(".localhost")) return "localhost is the pod itself (its sidecar, not a logger)";
  const v = isIP(h);
  if (v === 4) {
    const [a, b] = h.split(".").map(Number) as [number, number];
    if (a === 127) return "a loopback address is the pod itself";
    if (a === 169 && b === 254) return "a link-local address (169.254.0.0/16, cloud metadata) is never a logger";
    if (a === 0) return "an unspecified address (0.0.0.0/8) is no destination";
  } else if (v === 6) {
    if (h === "::1") return "a loopback address is the pod itself";
    if (h === "::") return "the unspecified address is no destination";
    if (/^fe[89ab]/.test(h)) return "a link-local address (fe80::/10) is never a logger";
    // IPv4-mapped (::ffff:a.b.c.d, which URL parsing writes as ::ffff:hhhh:hhhh)
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    if (mapped) return unfitAddress(mapped[1]!, port);
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
    if (hex) {
      const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
      return unfitAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, port);
    }
  }
  return undefined;
}

const BLOB_SCHEMES = ["s3:", "gs:", "abfs:"];

export function resolveLoggerUrl(raw: string, opts: ResolveOptions): LoggerTarget {
  // Messages name the URL with its userinfo and query values hidden: they go to stderr and logs.
  const shown = `"${redactUrl(raw)}"`;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new LoggerUrlError(`${shown} is not an absolute URL (expected http://host[:port][/path])`);
  }
  if (BLOB_SCHEMES.includes(u.protocol)) {
    throw new LoggerUrlError(`${shown}: blob storage loggers (${u.protocol}//) are not supported by the wasm logger`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new LoggerUrlError(`${shown}: scheme must be http or https`);
  }
  if (u.username !== "" || u.password !== "") {
    throw new LoggerUrlError(`${shown}: credentials in the URL would be copied into the WasmPlugin; not allowed`);
  }
  if (u.hash !== "") throw new LoggerUrlError(`${shown}: a fragment has no meaning for a logger URL`);
  if (!opts.allowQuery) {
    const secret = [...u.searchParams.keys()].filter((k) => isSensitiveName(k));
    if (secret.length > 0) {
      throw new LoggerUrlError(
        `${shown}: query parameter(s) ${secret.join(", ")} look like credentials and would be copied into the WasmPlugin and every pod's configuration; pass --allow-logger-query to send them anyway`,
      );
    }
  }
  const hostname = u.hostname.toLowerCase();
  if (hostname === "" || hostname.includes("|")) throw new LoggerUrlError(`${shown}: invalid host`);
  const tls = u.protocol === "https:";
  const port = u.port !== "" ? Number(u.port) : tls ? 443 : 80;
  const unfit = opts.allowAddress ? undefined : unfitAddress(hostname, port);
  if (unfit) throw new LoggerUrlError(`${shown}: ${unfit}; pass --allow-logger-address if it really is the logger`);
  const path = (u.pathname === "" ? "/" : u.pathname) + u.search;

  const fqdn = inMeshFqdn(hostname, opts);
  if (fqdn !== undefined) {
    // In-mesh Service: Istio names its cluster after the FQDN and the service port. For https
    // the sidecar originates TLS on that same port (DestinationRule), the filter sends plaintext.
    return {
      url: raw,
      cluster: `outbound|${port}||${fqdn}`,
      authority: port === (tls ? 443 : 80) ? fqdn : `${fqdn}:${port}`,
      path,
      host: fqdn,
      clusterPort: port,
      external: false,
      tls,
      tlsPort: tls ? port : undefined,
    };
  }
  // Outside the mesh: a ServiceEntry makes the cluster exist. For https the ServiceEntry port is
  // plaintext 80 with targetPort = the TLS port, and the DestinationRule originates TLS on it
  // (sending plaintext to a TLS port ends in "connection termination", istio #52824).
  const host = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  const clusterPort = tls ? 80 : port;
  return {
    url: raw,
    cluster: `outbound|${clusterPort}||${host}`,
    authority: port === (tls ? 443 : 80) ? u.hostname : u.host,
    path,
    host,
    clusterPort,
    external: true,
    tls,
    tlsPort: tls ? port : undefined,
  };
}

/**
 * The FQDN of a Kubernetes Service named by `host`, or undefined for an external host.
 * Resolved as the model pod's DNS search path would: `svc` → svc.<ns>, `svc.ns`,
 * `svc.ns.svc`, `svc.ns.svc.<cluster domain>`.
 */
export function inMeshFqdn(host: string, opts: ResolveOptions): string | undefined {
  if (isIP(host.replace(/^\[|\]$/g, "")) !== 0) return undefined;
  const suffix = `.svc.${opts.clusterDomain}`;
  if (host.endsWith(suffix)) return host.slice(0, -suffix.length).split(".").length === 2 ? host : undefined;
  const parts = host.split(".");
  if (parts.length === 1) return `${host}.${opts.namespace}${suffix}`;
  if (parts.length === 2) return `${host}${suffix}`;
  if (parts.length === 3 && parts[2] === "svc") return `${parts[0]}.${parts[1]}${suffix}`;
  return undefined;
}

export interface MeshOwner {
  name: string;
  namespace: string;
  ownerReferences?: object[];
  labels: Record<string, string>;
}

/** ServiceEntry and DestinationRule needed to reach the logger (none for a plain in-mesh Service). */
export function reachabilityObjects(t: LoggerTarget, owner: MeshOwner): object[] {
  const out: object[] = [];
  const name =
    `${owner.name}-logger-${t.host.replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}-${t.clusterPort}`.slice(0, 253);
  const metadata = {
    name,
    namespace: owner.namespace,
    labels: owner.labels,
    ...(owner.ownerReferences ? { ownerReferences: owner.ownerReferences } : {}),
  };
  if (t.external) {
    const ip = isIP(t.host) !== 0;
    out.push({
      apiVersion: "networking.istio.io/v1",
      kind: "ServiceEntry",
      metadata,
      spec: {
        hosts: [t.host],
        // only this namespace's sidecars need the logger's cluster
        exportTo: ["."],
        location: "MESH_EXTERNAL",
        resolution: ip ? "STATIC" : "DNS",
        ...(ip ? { endpoints: [{ address: t.host }] } : {}),
        ports: [
          t.tls
            ? { number: t.clusterPort, name: "http-tls-origination", protocol: "HTTP", targetPort: t.tlsPort }
            : { number: t.clusterPort, name: "http", protocol: "HTTP" },
        ],
      },
    });
  }
  if (t.tls) {
    out.push({
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata,
      spec: {
        host: t.host,
        exportTo: ["."],
        trafficPolicy: {
          portLevelSettings: [
            {
              port: { number: t.clusterPort },
              tls: { mode: "SIMPLE", ...(isIP(t.host) === 0 ? { sni: t.host } : {}) },
            },
          ],
        },
      },
    });
  }
  return out;
}
