// Health endpoints for the Deployment's probes: /healthz (the process serves: liveness) and
// /readyz (200 once every watched collection has been listed once, 503 before and while
// shutting down), and /metrics (Prometheus text) when given. --health-addr HOST:PORT or
// :PORT; "" disables them.
import { createServer, type Server } from "node:http";

export interface HealthServer {
  address: string;
  close(): Promise<void>;
}

export function parseHostPort(addr: string): { host: string | undefined; port: number } {
  const i = addr.lastIndexOf(":");
  if (i < 0) throw new Error(`"${addr}" is not HOST:PORT or :PORT`);
  const host = addr.slice(0, i).replace(/^\[|\]$/g, "");
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`"${addr}": bad port`);
  return { host: host === "" ? undefined : host, port };
}

export type MetricsSource = () => Promise<{ contentType: string; body: string }>;

export async function startHealthServer(
  addr: string,
  ready: () => boolean,
  live: () => boolean = () => true,
  metrics?: MetricsSource,
): Promise<HealthServer> {
  const { host, port } = parseHostPort(addr);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics" && metrics) {
      metrics().then(
        (m) => res.writeHead(200, { "content-type": m.contentType }).end(m.body),
        (e: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics: ${e.message}\n`),
      );
      return;
    }
    const ok = path === "/healthz" ? live() : path === "/readyz" ? ready() : undefined;
    if (ok === undefined) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(ok ? "ok\n" : "not ready\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as { address: string; port: number };
  return {
    address: `${a.address.includes(":") ? `[${a.address}]` : a.address}:${a.port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
