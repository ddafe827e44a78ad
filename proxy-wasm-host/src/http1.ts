// A minimal HTTP/1.1 client connection for callouts: one request at a time on a
// keep-alive socket, the request head and body written as two buffers, the answer
// parsed incrementally (status line, headers, then a content-length, chunked or
// read-to-close body, chunked trailers). It stands for Envoy's native codec and
// connection pool (source/common/http/http1/codec_impl.cc, conn_pool_base.cc):
// Node's http client costs several times what such a client costs, and that cost
// is not the filter's. Header bytes go on the wire as the module wrote them.

import net from "node:net";
import { HeaderMap } from "./header-map.js";

/** Envoy's default max_request_headers_kb (60 KiB) bounds a response head here too. */
export const MAX_HEAD_BYTES = 60 * 1024;

export interface Http1Response {
  status: number;
  headers: HeaderMap; // :status first, as Envoy's codec puts it
  body: Buffer;
  trailers: HeaderMap | null;
  /** The server keeps the connection open for another request. */
  keepAlive: boolean;
}

export interface Http1Callbacks {
  /** The response head arrived (a later reset is then a reset, not a connect failure). */
  onHead(): void;
  /** Body bytes so far; false stops reading (the caller resets). */
  onBodyBytes(total: number): boolean;
  onResponse(r: Http1Response): void;
  /** The connection failed before or during the response; `code` is Node's error code, if any. */
  onError(code: string | undefined, afterHead: boolean): void;
}

const CRLF = Buffer.from("\r\n");

type State = "head" | "body-length" | "chunk-size" | "chunk-data" | "chunk-crlf" | "trailers" | "body-close" | "done";

/** Parses one response from a socket's data. */
class ResponseParser {
  private buf: Buffer = Buffer.alloc(0);
  private state: State = "head";
  private status = 0;
  private headers = new HeaderMap();
  private trailers: HeaderMap | null = null;
  private body: Buffer[] = [];
  private bodyBytes = 0;
  private remaining = 0;
  private keepAlive = true;
  private headSeen = false;
  private delivered = false;

  constructor(
    private readonly cb: Http1Callbacks,
    private readonly headRequest: boolean,
  ) {}

  get started(): boolean {
    return this.headSeen;
  }

  /** Feeds bytes; returns "more", "done" (a full response was delivered) or "error". */
  feed(chunk: Buffer): "more" | "done" | "error" {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      switch (this.state) {
        case "head": {
          const end = this.buf.indexOf("\r\n\r\n");
          if (end < 0) return this.buf.length > MAX_HEAD_BYTES ? "error" : "more";
          if (!this.parseHead(this.buf.subarray(0, end))) return "error";
          this.buf = this.buf.subarray(end + 4);
          if (this.status >= 100 && this.status < 200) {
            this.headers = new HeaderMap(); // 1xx: an interim answer, the real one follows
            continue;
          }
          this.headSeen = true;
          this.cb.onHead();
          this.startBody();
          continue;
        }
        case "body-length": {
          const n = Math.min(this.remaining, this.buf.length);
          if (n > 0 && !this.take(this.buf.subarray(0, n))) return "error";
          this.buf = this.buf.subarray(n);
          this.remaining -= n;
          if (this.remaining > 0) return "more";
          return this.finish();
        }
        case "body-close": {
          if (this.buf.length > 0 && !this.take(this.buf)) return "error";
          this.buf = Buffer.alloc(0);
          return "more"; // ends with the connection (end())
        }
        case "chunk-size": {
          const eol = this.buf.indexOf(CRLF);
          if (eol < 0) return this.buf.length > 1024 ? "error" : "more";
          const line = this.buf.subarray(0, eol).toString("latin1");
          const size = parseInt(line.split(";")[0]!.trim(), 16);
          if (!Number.isFinite(size) || size < 0 || !/^[0-9a-fA-F]+/.test(line.trim())) return "error";
          this.buf = this.buf.subarray(eol + 2);
          if (size === 0) {
            this.state = "trailers";
            continue;
          }
          this.remaining = size;
          this.state = "chunk-data";
          continue;
        }
        case "chunk-data": {
          const n = Math.min(this.remaining, this.buf.length);
          if (n > 0 && !this.take(this.buf.subarray(0, n))) return "error";
          this.buf = this.buf.subarray(n);
          this.remaining -= n;
          if (this.remaining > 0) return "more";
          this.state = "chunk-crlf";
          continue;
        }
        case "chunk-crlf": {
          if (this.buf.length < 2) return "more";
          if (this.buf[0] !== 0x0d || this.buf[1] !== 0x0a) return "error";
          this.buf = this.buf.subarray(2);
          this.state = "chunk-size";
          continue;
        }
        case "trailers": {
          if (this.buf.length >= 2 && this.buf[0] === 0x0d && this.buf[1] === 0x0a) {
            this.buf = this.buf.subarray(2);
            return this.finish();
          }
          const end = this.buf.indexOf("\r\n\r\n");
          if (end < 0) return this.buf.length > MAX_HEAD_BYTES ? "error" : "more";
          const t = new HeaderMap();
          for (const line of this.buf.subarray(0, end).toString("latin1").split("\r\n")) {
            const i = line.indexOf(":");
            if (i <= 0) return "error";
            t.add(Buffer.from(line.slice(0, i), "latin1"), Buffer.from(line.slice(i + 1).trim(), "latin1"));
          }
          this.trailers = t;
          this.buf = this.buf.subarray(end + 4);
          return this.finish();
        }
        case "done":
          return "done";
      }
    }
  }

  /** The socket ended: completes a read-to-close body, else it is an error. */
  end(): "done" | "error" {
    if (this.state === "body-close") return this.finish() === "done" ? "done" : "error";
    return this.state === "done" ? "done" : "error";
  }

  private parseHead(head: Buffer): boolean {
    const lines = head.toString("latin1").split("\r\n");
    const m = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0] ?? "");
    if (!m) return false;
    this.status = Number(m[2]);
    const http10 = m[1] === "0";
    const h = new HeaderMap();
    h.add(":status", String(this.status));
    let connection = "";
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const c = line.indexOf(":");
      if (c <= 0) return false;
      const name = line.slice(0, c);
      const value = line.slice(c + 1).trim();
      if (name.toLowerCase() === "connection") connection = value.toLowerCase();
      h.add(Buffer.from(name, "latin1"), Buffer.from(value, "latin1"));
    }
    this.headers = h;
    this.keepAlive = http10 ? connection.includes("keep-alive") : !connection.includes("close");
    return true;
  }

  private startBody(): void {
    const te = this.headers.get("transfer-encoding");
    const cl = this.headers.get("content-length");
    if (this.headRequest || this.status === 204 || this.status === 304) {
      this.state = "done";
    } else if (te !== undefined && te.toLowerCase().includes("chunked")) {
      this.state = "chunk-size";
    } else if (cl !== undefined && /^\d+$/.test(cl.trim())) {
      this.remaining = Number(cl.trim());
      this.state = this.remaining === 0 ? "done" : "body-length";
    } else {
      this.state = "body-close";
      this.keepAlive = false;
    }
    if (this.state === "done") this.finish();
  }

  private take(b: Buffer): boolean {
    this.bodyBytes += b.length;
    if (!this.cb.onBodyBytes(this.bodyBytes)) return false;
    this.body.push(Buffer.from(b)); // the read buffer is reused by later parsing
    return true;
  }

  private finish(): "done" {
    this.state = "done";
    if (!this.delivered) {
      this.delivered = true;
      this.cb.onResponse({
        status: this.status,
        headers: this.headers,
        body: this.body.length === 1 ? this.body[0]! : Buffer.concat(this.body),
        trailers: this.trailers,
        keepAlive: this.keepAlive && this.buf.length === 0,
      });
    }
    return "done";
  }
}

/** One socket to a cluster; carries one request at a time. */
export class Http1Connection {
  readonly socket: net.Socket;
  private parser: ResponseParser | null = null;
  private cb: Http1Callbacks | null = null;
  private connected = false;
  private closed = false;
  /** Set by the pool: called when the connection can carry another request. */
  onIdle: (c: Http1Connection) => void = () => undefined;
  onClose: (c: Http1Connection) => void = () => undefined;

  constructor(host: string, port: number) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on("connect", () => (this.connected = true));
    this.socket.on("data", (d: Buffer) => this.onData(d));
    this.socket.on("end", () => this.onEnd());
    this.socket.on("error", (e: NodeJS.ErrnoException) => this.fail(e.code));
    this.socket.on("close", () => {
      this.closed = true;
      if (this.cb) this.fail(undefined);
      this.onClose(this);
    });
  }

  get busy(): boolean {
    return this.cb !== null;
  }

  get usable(): boolean {
    return !this.closed && !this.socket.destroyed;
  }

  /** Writes one request; `written` once the body has left for the kernel (or was dropped). */
  request(head: Buffer, body: Buffer, headRequest: boolean, cb: Http1Callbacks, written: () => void): void {
    this.cb = cb;
    this.parser = new ResponseParser(cb, headRequest);
    this.socket.cork();
    this.socket.write(head);
    if (body.length > 0) this.socket.write(body, () => written());
    this.socket.uncork();
    if (body.length === 0) written();
  }

  destroy(): void {
    this.cb = null;
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    const p = this.parser;
    if (!p || !this.cb) {
      this.socket.destroy(); // bytes nobody asked for: the connection cannot be trusted
      return;
    }
    const r = p.feed(d);
    if (r === "error") this.fail("EPROTO");
  }

  private onEnd(): void {
    const p = this.parser;
    if (p && this.cb && p.end() === "error") this.fail(undefined);
    this.socket.destroy();
  }

  /** Called by the pool once a response was delivered. */
  released(keepAlive: boolean): void {
    this.cb = null;
    this.parser = null;
    if (keepAlive && this.usable) this.onIdle(this);
    else this.socket.destroy();
  }

  private fail(code: string | undefined): void {
    const cb = this.cb;
    const started = this.parser?.started ?? false;
    this.cb = null;
    this.parser = null;
    this.socket.destroy();
    if (cb) cb.onError(code ?? (this.connected ? "ECONNRESET" : undefined), started);
  }
}

/** Keep-alive connections per cluster target, as Envoy's per-cluster connection pool. */
export class Http1Pool {
  private readonly idle = new Map<string, Http1Connection[]>();
  private readonly all = new Set<Http1Connection>();

  constructor(private readonly maxIdlePerTarget = 64) {}

  acquire(host: string, port: number): Http1Connection {
    const key = `${host}:${port}`;
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const c = list.pop()!;
      if (c.usable) return c;
    }
    const c = new Http1Connection(host, port);
    this.all.add(c);
    c.onIdle = (conn) => {
      const l = this.idle.get(key) ?? [];
      if (l.length >= this.maxIdlePerTarget) return conn.destroy();
      l.push(conn);
      this.idle.set(key, l);
    };
    c.onClose = (conn) => {
      this.all.delete(conn);
      const l = this.idle.get(key);
      if (l) {
        const i = l.indexOf(conn);
        if (i >= 0) l.splice(i, 1);
      }
    };
    return c;
  }

  /** Connections open now (busy or idle). */
  get size(): number {
    return this.all.size;
  }

  close(): void {
    for (const c of this.all) c.destroy();
    this.all.clear();
    this.idle.clear();
  }
}
