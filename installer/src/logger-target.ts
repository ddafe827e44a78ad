// Logger URL → the Envoy cluster Istio generates for it (`outbound|<port>||<host>`), the
// :authority and :path of the callout, and whatever Istio needs to have that cluster at all
// (ServiceEntry for hosts outside the mesh, DestinationRule for TLS origination, since the
// filter's callouts are plaintext HTTP to a cluster).
import { isIP } from "node:net";

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
}

const BLOB_SCHEMES = ["s3:", "gs:", "abfs:"];

export function resolveLoggerUrl(raw: string, opts: ResolveOptions): LoggerTarget {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new LoggerUrlError(`"${raw}" is not an absolute URL (expected http://host[:port][/path])`);
  }
  if (BLOB_SCHEMES.includes(u.protocol)) {
    throw new LoggerUrlError(`"${raw}": blob storage loggers (${u.protocol}//) are not supported by the wasm logger`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new LoggerUrlError(`"${raw}": scheme must be http or https`);
  }
  if (u.username !== "" || u.password !== "") {
    throw new LoggerUrlError(`"${raw}": credentials in the URL would be copied into the WasmPlugin; not allowed`);
  }
  if (u.hash !== "") throw new LoggerUrlError(`"${raw}": a fragment has no meaning for a logger URL`);
  const hostname = u.hostname.toLowerCase();
  if (hostname === "" || hostname.includes("|")) throw new LoggerUrlError(`"${raw}": invalid host`);
  const tls = u.protocol === "https:";
  const port = u.port !== "" ? Number(u.port) : tls ? 443 : 80;
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
  const name = `${owner.name}-logger-${t.host.replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}-${t.clusterPort}`.slice(0, 253);
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
