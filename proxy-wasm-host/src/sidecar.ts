// Sidecar mode: the host listens on a loopback port like Istio's inbound listener,
// runs every request and response through the filter (HttpStream) and proxies to
// the real upstream (the model server), streaming chunk by chunk (chunked
// transfer, SSE, keep-alive). Callouts reach the clusters the host maps.

import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { HeaderMap } from "./header-map.js";
import type { HttpStream } from "./http-stream.js";
import type { WasmHost } from "./host.js";

export interface SidecarOptions {
  /** Where requests go, e.g. "http://127.0.0.1:8080". */
  upstream: string;
  /** 0 = ephemeral. */
  port?: number;
  host?: string;
  /** Envoy's HCM adds x-request-id when absent (generate_request_id). Default true. */
  generateRequestId?: boolean;
  /** Run every stream without the filter (no VM call): the same proxy path, for comparisons. */
  passThrough?: boolean;
}

// Connection-specific headers that Envoy does not pass between hops.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"]);

/**
 * The request header map Envoy's HTTP/1 codec and HCM build: pseudo-headers first in
 * the order Envoy's debug logs show (:authority, :path, :method, :scheme), then the
 * client's headers in wire order (host became :authority), x-forwarded-proto and
 * x-request-id added when absent. Values are the raw bytes (Node decodes them as latin1).
 */
export function envoyRequestHeaders(req: http.IncomingMessage, generateRequestId = true): HeaderMap {
  const h = new HeaderMap();
  const raw = req.rawHeaders;
  let authority = "";
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === "host") authority = raw[i + 1]!;
  h.add(":authority", Buffer.from(authority, "latin1"));
  h.add(":path", Buffer.from(req.url ?? "/", "latin1"));
  h.add(":method", req.method ?? "GET");
  h.add(":scheme", "http");
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === "host" || HOP_BY_HOP.has(name)) continue;
    h.add(Buffer.from(name, "latin1"), Buffer.from(raw[i + 1]!, "latin1"));
  }
  if (!h.has("x-forwarded-proto")) h.add("x-forwarded-proto", "http");
  if (generateRequestId && !h.has("x-request-id")) h.add("x-request-id", randomUUID());
  return h;
}

function wireHeaders(h: HeaderMap): string[] {
  const out: string[] = [];
  for (const [k, v] of h.pairs()) {
    const name = Buffer.from(k).toString("latin1");
    if (name.startsWith(":") || HOP_BY_HOP.has(name)) continue;
    out.push(name, Buffer.from(v).toString("latin1"));
  }
  return out;
}

function hasBody(req: http.IncomingMessage): boolean {
  const cl = req.headers["content-length"];
  if (cl !== undefined) return cl !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

export class Sidecar {
  private server!: http.Server;
  private readonly upstream: URL;
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly streams = new Set<HttpStream>();
  /** The worker each downstream connection belongs to (Envoy: a connection stays on one worker). */
  private readonly connectionWorker = new WeakMap<object, number>();

  private constructor(
    readonly host: WasmHost,
    readonly options: SidecarOptions,
  ) {
    this.upstream = new URL(options.upstream);
  }

  static async start(host: WasmHost, options: SidecarOptions): Promise<Sidecar> {
    const sc = new Sidecar(host, options);
    sc.server = http.createServer((req, res) => sc.handle(req, res));
    sc.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      sc.server.once("error", reject);
      sc.server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
    });
    return sc;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  private workerOf(socket: object): number {
    let w = this.connectionWorker.get(socket);
    if (w === undefined) {
      w = this.host.nextWorkerIndex();
      this.connectionWorker.set(socket, w);
    }
    return w;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Istio pushing a new pluginConfig to this sidecar. */
  reconfigure(config: string | object) {
    return this.host.configure(config);
  }

  async close(): Promise<void> {
    this.agent.destroy();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let upstreamReq: http.ClientRequest | null = null;
    let completed = false;
    let responseStarted = false;
    const complete = (): void => {
      if (completed) return;
      completed = true;
      this.streams.delete(stream);
      stream.complete();
    };
    const stream: HttpStream = this.host.newStream({
      worker: this.workerOf(req.socket),
      record: false,
      passThrough: this.options.passThrough ?? false,
      connection: {
        sourceAddress: req.socket.remoteAddress,
        sourcePort: req.socket.remotePort,
        destinationAddress: req.socket.localAddress,
        destinationPort: req.socket.localPort,
      },
      sink: {
        upstreamHeaders: (h, eos) => {
          upstreamReq = this.openUpstream(
            h,
            stream,
            () => responseStarted,
            (v) => (responseStarted = v),
          );
          if (eos) upstreamReq.end();
        },
        upstreamData: (data, eos) => {
          if (!upstreamReq) return;
          if (data.length > 0) upstreamReq.write(data);
          if (eos) upstreamReq.end();
        },
        upstreamTrailers: (t) => {
          if (!upstreamReq) return;
          upstreamReq.addTrailers(wireHeaders(t) as unknown as http.OutgoingHttpHeaders);
          upstreamReq.end();
        },
        downstreamHeaders: (h, eos) => {
          const status = Number(h.get(":status") ?? 502);
          res.writeHead(status, wireHeaders(h) as unknown as http.OutgoingHttpHeaders);
          if (eos) res.end();
          else res.flushHeaders();
        },
        downstreamData: (data, eos) => {
          if (data.length > 0) res.write(data);
          if (eos) res.end();
        },
        downstreamTrailers: (t) => {
          res.addTrailers(wireHeaders(t) as unknown as http.OutgoingHttpHeaders);
          res.end();
        },
        localReply: (r) => {
          upstreamReq?.destroy();
          if (!res.headersSent) res.writeHead(r.status, wireHeaders(r.headers) as unknown as http.OutgoingHttpHeaders);
          res.end(r.body);
        },
        reset: () => {
          upstreamReq?.destroy();
          res.destroy();
          complete();
        },
      },
    });
    this.streams.add(stream);
    res.on("finish", complete);
    res.on("close", () => {
      if (!res.writableFinished) upstreamReq?.destroy();
      complete();
    });
    const body = hasBody(req);
    stream.sendRequestHeaders(envoyRequestHeaders(req, this.options.generateRequestId ?? true), { endOfStream: !body });
    if (!body) {
      req.resume();
      return;
    }
    req.on("data", (c: Buffer) => stream.sendRequestBody(c));
    req.on("end", () => {
      if (req.rawTrailers.length > 0) {
        stream.sendRequestTrailers(new HeaderMap().addNodeRaw(req.rawTrailers));
      } else {
        stream.sendRequestBody(Buffer.alloc(0), { endOfStream: true });
      }
    });
  }

  private openUpstream(
    h: HeaderMap,
    stream: HttpStream,
    started: () => boolean,
    setStarted: (v: boolean) => void,
  ): http.ClientRequest {
    const headers = wireHeaders(h);
    headers.unshift("host", Buffer.from(h.getBytes(":authority") ?? Buffer.alloc(0)).toString("latin1"));
    const upstreamReq = http.request({
      host: this.upstream.hostname,
      port: Number(this.upstream.port || 80),
      method: h.get(":method") ?? "GET",
      path: Buffer.from(h.getBytes(":path") ?? Buffer.from("/")).toString("latin1"),
      headers: headers as unknown as http.OutgoingHttpHeaders,
      setHost: false,
      agent: this.agent,
    });
    upstreamReq.on("response", (ures) => {
      setStarted(true);
      const rh = HeaderMap.from([[":status", String(ures.statusCode ?? 502)]]);
      for (let i = 0; i + 1 < ures.rawHeaders.length; i += 2) {
        const name = ures.rawHeaders[i]!.toLowerCase();
        if (HOP_BY_HOP.has(name)) continue;
        rh.add(Buffer.from(name, "latin1"), Buffer.from(ures.rawHeaders[i + 1]!, "latin1"));
      }
      const code = ures.statusCode ?? 0;
      const empty =
        code === 204 || code === 304 || h.get(":method") === "HEAD" || ures.headers["content-length"] === "0";
      stream.sendResponseHeaders(rh, { endOfStream: empty });
      if (empty) {
        ures.resume();
        return;
      }
      ures.on("data", (c: Buffer) => stream.sendResponseBody(c));
      ures.on("end", () => {
        if (ures.rawTrailers.length > 0) {
          stream.sendResponseTrailers(new HeaderMap().addNodeRaw(ures.rawTrailers));
        } else {
          stream.sendResponseBody(Buffer.alloc(0), { endOfStream: true });
        }
      });
      ures.on("aborted", () => stream.resetStream("upstream_reset_after_response_started"));
    });
    upstreamReq.on("error", (e: NodeJS.ErrnoException) => {
      if (started()) {
        stream.resetStream("upstream_reset_after_response_started");
        return;
      }
      // Envoy's router answers with a local reply that runs through the encoder filters.
      const body = Buffer.from(
        e.code === "ECONNREFUSED"
          ? "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: 111"
          : "upstream connect error or disconnect/reset before headers. reset reason: connection termination",
      );
      setStarted(true);
      stream.sendResponseHeaders(
        HeaderMap.from([
          [":status", "503"],
          ["content-length", String(body.length)],
          ["content-type", "text/plain"],
        ]),
      );
      stream.sendResponseBody(body, { endOfStream: true });
    });
    return upstreamReq;
  }
}
