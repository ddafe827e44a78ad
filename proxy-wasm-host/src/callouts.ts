// proxy_http_call over a real socket: Envoy's AsyncClient to a cluster, as the
// module sees it (Envoy context.cc httpCall/onHttpCallSuccess/onHttpCallFailure;
// router local replies for timeouts and connect failures).
// Header names and values from the module are BYTES and go on the wire unchanged,
// through a minimal keep-alive HTTP/1.1 client (http1.ts) in place of Envoy's codec.

import { HeaderMap } from "./header-map.js";
import { Http1Pool } from "./http1.js";
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
  private readonly pool = new Http1Pool();
  private readonly responseBufferLimit: number;

  constructor(private readonly options: CalloutClientOptions = {}) {
    this.responseBufferLimit = options.responseBufferLimit ?? DEFAULT_CALLOUT_RESPONSE_LIMIT;
  }

  /** Connections open to the clusters (busy or kept alive). */
  get connections(): number {
    return this.pool.size;
  }

  /**
   * Sends the request; `done` is called exactly once, from a later event-loop turn,
   * unless cancel() was called first (then never). `released` is called once the
   * client holds no reference to req.body any more (written out, or the connection gone).
   */
  send(
    target: ClusterTarget,
    req: HttpCallRequest,
    done: (o: CalloutOutcome) => void,
    released: () => void = () => undefined,
  ): { cancel(): void } {
    let settled = false;
    let timer: NodeJS.Timeout | null = null;
    let headSeen = false;
    const conn = this.pool.acquire(target.host, target.port);
    const finish = (o: CalloutOutcome): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      done(o); // from a socket event or a timer: never inside a VM call
    };
    let bodyReleased = false;
    const release = (): void => {
      if (bodyReleased) return;
      bodyReleased = true;
      released();
    };
    conn.request(
      requestHead(req),
      req.body,
      (req.headers.get(":method") ?? "") === "HEAD",
      {
        onHead: () => (headSeen = true),
        onBodyBytes: (total) => {
          if (total <= this.responseBufferLimit) return true;
          // Envoy drains and resets: nothing more of this answer is read or kept.
          this.options.onResponseOverLimit?.();
          return false;
        },
        onResponse: (r) => {
          conn.released(r.keepAlive && !settled);
          finish({ response: { headers: r.headers, body: r.body, trailers: r.trailers } });
        },
        onError: (code, afterHead) => {
          release();
          if (afterHead) finish({ response: null, reason: "reset" });
          else if (code === "ECONNREFUSED") {
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
        },
      },
      release,
    );
    if (req.timeoutMs > 0) {
      // Envoy's global route timeout: 504 before response headers, a reset after.
      timer = setTimeout(() => {
        if (settled) return;
        const o: CalloutOutcome = headSeen
          ? { response: null, reason: "reset" }
          : { response: localResponse(504, "upstream request timeout") };
        conn.destroy();
        release();
        finish(o);
      }, req.timeoutMs);
    }
    return {
      cancel: () => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        conn.destroy();
        release();
      },
    };
  }

  close(): void {
    this.pool.close();
  }
}

/**
 * The request head as Envoy's HTTP/1 codec writes a callout: the request line from
 * :method and :path, host from :authority, the module's headers in its order (its
 * bytes, unchanged), and the body's content-length (Envoy's httpCall sets it; an
 * empty body of a method that may carry one is sent as content-length: 0).
 * Request trailers are not sent: Envoy's HTTP/1.1 codec drops them unless
 * enable_trailers is set, which Istio does not do.
 */
function requestHead(req: HttpCallRequest): Buffer {
  const parts: Buffer[] = [];
  const method = req.headers.getBytes(":method") ?? Buffer.from("GET");
  const path = req.headers.getBytes(":path") ?? Buffer.from("/");
  parts.push(Buffer.from(method), SP, Buffer.from(path), HTTP11);
  parts.push(HOST, Buffer.from(req.headers.getBytes(":authority") ?? Buffer.alloc(0)), CRLF);
  let hasLength = false;
  for (const [k, v] of req.headers.pairs()) {
    if (k[0] === 0x3a) continue; // pseudo-headers
    if (k.length === 14 && Buffer.from(k).toString("latin1") === "content-length") {
      hasLength = true;
      if (req.body.length > 0) continue; // replaced by the body's length below
    }
    parts.push(Buffer.from(k), COLON, Buffer.from(v), CRLF);
  }
  const m = Buffer.from(method).toString("latin1");
  if (req.body.length > 0) parts.push(Buffer.from(`content-length: ${req.body.length}\r\n`, "latin1"));
  else if (!hasLength && m !== "GET" && m !== "HEAD") parts.push(ZERO_LENGTH);
  parts.push(CRLF);
  return Buffer.concat(parts);
}

const SP = Buffer.from(" ");
const HTTP11 = Buffer.from(" HTTP/1.1\r\n");
const HOST = Buffer.from("host: ");
const COLON = Buffer.from(": ");
const CRLF = Buffer.from("\r\n");
const ZERO_LENGTH = Buffer.from("content-length: 0\r\n");
