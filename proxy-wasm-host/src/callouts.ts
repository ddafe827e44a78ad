// proxy_http_call over a real socket: Envoy's AsyncClient to a cluster, as the
// module sees it (Envoy context.cc httpCall/onHttpCallSuccess/onHttpCallFailure;
// router local replies for timeouts and connect failures).
// Header names and values from the module are BYTES; Node writes header strings
// as latin1, so each byte becomes one latin1 char and goes on the wire unchanged.

import http from "node:http";
import { HeaderMap } from "./header-map.js";
import type { HttpCallResponse } from "./contexts.js";
import type { HttpCallRequest } from "./vm.js";

export interface ClusterTarget {
  host: string;
  port: number;
}

export type ClusterInput = string | ClusterTarget;

export function parseClusterTarget(v: ClusterInput): ClusterTarget {
  if (typeof v !== "string") return v;
  const s = v.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  const i = s.lastIndexOf(":");
  if (i < 0) throw new Error(`cluster target ${JSON.stringify(v)} must be host:port`);
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

/** Outcome handed back to the VM: a response (possibly a local 503/504) or a reset (null). */
export type CalloutOutcome = { response: HttpCallResponse } | { response: null; reason: string };

/** An answer made by Envoy's router itself (no upstream answer): 503 connect failure, 504 timeout. */
export function localResponse(status: number, body: string): HttpCallResponse {
  const headers = HeaderMap.from([
    [":status", String(status)],
    ["content-length", String(Buffer.byteLength(body))],
    ["content-type", "text/plain"],
  ]);
  return { headers, body: Buffer.from(body), trailers: null };
}

/**
 * Envoy's AsyncClient buffers a callout's answer body for the plugin up to 32 MiB
 * (source/common/http/async_client_impl.h kBufferLimitForResponse, runtime key
 * http.async_response_buffer_limit); past it AsyncRequestSharedImpl::onData drains
 * the data, resets the stream and reports ExceedResponseBufferLimit, which the Wasm
 * context turns into on_http_call_response(token, 0, 0, 0) with status "reset".
 */
export const DEFAULT_CALLOUT_RESPONSE_LIMIT = 32 * 1024 * 1024;

export interface CalloutClientOptions {
  /** Answer bytes buffered per callout before it is reset (Envoy: 32 MiB). */
  responseBufferLimit?: number;
  /** Called once per callout reset for exceeding responseBufferLimit. */
  onResponseOverLimit?: () => void;
}

export class CalloutClient {
  private readonly agents = new Map<string, http.Agent>();
  private readonly responseBufferLimit: number;

  constructor(private readonly options: CalloutClientOptions = {}) {
    this.responseBufferLimit = options.responseBufferLimit ?? DEFAULT_CALLOUT_RESPONSE_LIMIT;
  }

  private agent(t: ClusterTarget): http.Agent {
    const key = `${t.host}:${t.port}`;
    let a = this.agents.get(key);
    if (!a) {
      a = new http.Agent({ keepAlive: true });
      this.agents.set(key, a);
    }
    return a;
  }

  /**
   * Sends the request; `done` is called exactly once, from a later event-loop turn,
   * unless cancel() was called first (then never). `released` is called once Node
   * holds no reference to req.body any more (written out, or the request destroyed).
   */
  send(
    target: ClusterTarget,
    req: HttpCallRequest,
    done: (o: CalloutOutcome) => void,
    released: () => void = () => undefined,
  ): { cancel(): void } {
    let settled = false;
    let timer: NodeJS.Timeout | null = null;
    const finish = (o: CalloutOutcome): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      done(o);
    };
    const raw: string[] = [];
    let authority = "";
    for (const [k, v] of req.headers.pairs()) {
      const name = Buffer.from(k).toString("latin1");
      const value = Buffer.from(v).toString("latin1");
      if (name === ":authority") authority = value;
      if (name.startsWith(":")) continue;
      raw.push(name, value);
    }
    raw.unshift("host", authority);
    const method0 = req.headers.get(":method") ?? "";
    if (req.body.length === 0 && !req.headers.has("content-length") && method0 !== "GET" && method0 !== "HEAD") {
      raw.push("content-length", "0"); // Envoy's HTTP/1 codec sends an empty body this way, not chunked
    }
    const method = req.headers.get(":method")!;
    const path = Buffer.from(req.headers.getBytes(":path")!).toString("latin1");
    let responseStarted = false;
    let clientReq: http.ClientRequest;
    try {
      clientReq = http.request({
        host: target.host,
        port: target.port,
        method,
        path,
        headers: raw as unknown as http.OutgoingHttpHeaders,
        agent: this.agent(target),
        setHost: false,
      });
    } catch (e) {
      // Node refused the request line or a header: Envoy would not have sent it either.
      released();
      setImmediate(() => finish({ response: localResponse(503, `invalid request: ${(e as Error).message}`) }));
      return {
        cancel: () => {
          settled = true;
        },
      };
    }
    // The body goes back to its pool once Node no longer holds it: written out
    // ('finish') and the request over ('close'), or destroyed (writes dropped).
    clientReq.once("close", () => {
      if (clientReq.writableFinished || clientReq.destroyed) released();
      else clientReq.once("finish", released);
    });
    clientReq.on("response", (res) => {
      responseStarted = true;
      const headers = HeaderMap.from([[":status", String(res.statusCode ?? 0)]]);
      headers.addNodeRaw(res.rawHeaders);
      const chunks: Buffer[] = [];
      let buffered = 0;
      res.on("data", (c: Buffer) => {
        if (settled) return;
        if (buffered + c.length > this.responseBufferLimit) {
          // Envoy drains and resets: nothing more of this answer is read or kept.
          chunks.length = 0;
          this.options.onResponseOverLimit?.();
          clientReq.destroy();
          finish({ response: null, reason: "reset" });
          return;
        }
        buffered += c.length;
        chunks.push(c);
      });
      res.on("end", () => {
        const trailers = res.rawTrailers.length > 0 ? new HeaderMap().addNodeRaw(res.rawTrailers) : null;
        finish({ response: { headers, body: Buffer.concat(chunks), trailers } });
      });
      res.on("aborted", () => finish({ response: null, reason: "reset" }));
      res.on("error", () => finish({ response: null, reason: "reset" }));
    });
    clientReq.on("error", (e: NodeJS.ErrnoException) => {
      if (settled) return;
      if (responseStarted) {
        finish({ response: null, reason: "reset" });
      } else if (e.code === "ECONNREFUSED") {
        finish({
          response: localResponse(
            503,
            "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: 111",
          ),
        });
      } else {
        finish({
          response: localResponse(
            503,
            "upstream connect error or disconnect/reset before headers. reset reason: connection termination",
          ),
        });
      }
    });
    if (req.timeoutMs > 0) {
      // Envoy's global route timeout: 504 before response headers, a reset after.
      timer = setTimeout(() => {
        if (settled) return;
        const o: CalloutOutcome = responseStarted
          ? { response: null, reason: "reset" }
          : { response: localResponse(504, "upstream request timeout") };
        clientReq.destroy();
        finish(o);
      }, req.timeoutMs);
    }
    // Request trailers are not sent: Envoy's HTTP/1.1 codec drops them unless
    // enable_trailers is set, which Istio does not do.
    clientReq.end(req.body.length > 0 ? req.body : undefined);
    return {
      cancel: () => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        clientReq.destroy();
      },
    };
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}
