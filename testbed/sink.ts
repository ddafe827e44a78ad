// A CloudEvents sink like KServe's message-dumper: accepts HTTP binary-mode events,
// parses them with the cloudevents SDK (HTTP.toEvent, then event.validate(), since
// toEvent does not validate), records them and answers 200 — or, for fault tests,
// 500/503, a delay, a reset connection or a garbage response.
//
// Header values: Node's HTTP parser hands header values over as latin1 strings
// (one char per byte). KServe's agent (Go CloudEvents SDK) and this project's
// filter write raw UTF-8 bytes, so each value is re-decoded as UTF-8 before the SDK
// sees it; otherwise an annotation "É" would arrive as "Ã\x89".
//
// CLI: tsx testbed/sink.ts [--port 9000]   (prints each event as JSON)

import http from "node:http";
import type { AddressInfo } from "node:net";
import { HTTP, type CloudEvent } from "cloudevents";

export type SinkBehaviour =
  | { kind: "ok"; status?: number }
  | { kind: "status"; status: number }
  | { kind: "delay"; ms: number; status?: number }
  | { kind: "reset" }
  | { kind: "garbage" }
  | { kind: "hang" }
  /** Accepts the event and answers 200 with a body of this many bytes (streamed, never held whole). */
  | { kind: "big-answer"; bytes: number };

export interface ReceivedEvent {
  event: CloudEvent<unknown>;
  /** Raw request body bytes. */
  body: Buffer;
  /** Header values decoded as UTF-8, names lower-case. */
  headers: Record<string, string>;
  /** The request as received, for byte-level checks. */
  rawHeaders: string[];
  path: string;
  /** Arrived inside a batch: `headers` are the batch request's, `body` comes from data / data_base64. */
  batch?: boolean;
}

function batchMemberBody(e: CloudEvent<unknown>): Buffer {
  if (e.data_base64 !== undefined) return Buffer.from(e.data_base64, "base64");
  if (e.data === undefined) return Buffer.alloc(0);
  if (e.data instanceof Uint8Array) return Buffer.from(e.data);
  return Buffer.from(typeof e.data === "string" ? e.data : JSON.stringify(e.data));
}

export interface RejectedRequest {
  error: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface SinkOptions {
  port?: number;
  host?: string;
  behaviour?: SinkBehaviour;
  /** Called for each accepted event (the CLI prints). */
  onEvent?: (e: ReceivedEvent) => void;
  /** Keep every event in `events` (default). Off for soaks: only `accepted` counts. */
  record?: boolean;
}

export function utf8Headers(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = Buffer.from(raw[i + 1]!, "latin1").toString("utf8");
    out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
  }
  return out;
}

export class CloudEventSink {
  readonly events: ReceivedEvent[] = [];
  readonly rejected: RejectedRequest[] = [];
  /** Every request that arrived (accepted, rejected, or answered with a fault). */
  requests = 0;
  /** Valid events received (also counted when `record` is off). */
  accepted = 0;
  behaviour: SinkBehaviour;
  private server!: http.Server;
  private waiters: { n: number; resolve: () => void }[] = [];

  private constructor(private readonly options: SinkOptions) {
    this.behaviour = options.behaviour ?? { kind: "ok" };
  }

  static async start(options: SinkOptions = {}): Promise<CloudEventSink> {
    const sink = new CloudEventSink(options);
    // Envoy accepts request headers up to 60 KiB; Node's default is 16 KiB, less
    // than an event with 16 KiB of annotations and 8 KiB of metadata needs.
    sink.server = http.createServer({ maxHeaderSize: 65536 }, (req, res) => sink.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      sink.server.once("error", reject);
      sink.server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
    });
    return sink;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** "127.0.0.1:PORT", the form a host cluster map takes. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  setBehaviour(b: SinkBehaviour): void {
    this.behaviour = b;
  }

  /** Resolves once at least n events were accepted (no timing involved). */
  waitFor(n: number): Promise<ReceivedEvent[]> {
    if (this.events.length >= n) return Promise.resolve(this.events.slice());
    return new Promise((resolve) => this.waiters.push({ n, resolve: () => resolve(this.events.slice()) }));
  }

  clear(): void {
    this.events.length = 0;
    this.rejected.length = 0;
    this.requests = 0;
    this.accepted = 0;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      this.requests++;
      const body = Buffer.concat(chunks);
      const headers = utf8Headers(req);
      const b = this.behaviour;
      if (b.kind === "reset") {
        req.socket.destroy();
        return;
      }
      if (b.kind === "hang") return;
      if (b.kind === "garbage") {
        req.socket.end("this is not HTTP\r\n\r\n");
        return;
      }
      let accepted = false;
      try {
        const parsed = HTTP.toEvent({ headers, body });
        // A batch (application/cloudevents-batch+json) holds several events: each is
        // validated and recorded on its own, its body taken from data / data_base64.
        const list = (Array.isArray(parsed) ? parsed : [parsed]) as CloudEvent<unknown>[];
        for (const event of list) event.validate();
        for (const event of list) {
          const rec: ReceivedEvent = {
            event,
            body: Array.isArray(parsed) ? batchMemberBody(event) : body,
            headers,
            rawHeaders: req.rawHeaders.slice(),
            path: req.url ?? "/",
            batch: Array.isArray(parsed),
          };
          this.accepted++;
          if (this.options.record !== false) this.events.push(rec);
          this.options.onEvent?.(rec);
        }
        accepted = true;
      } catch (e) {
        this.rejected.push({ error: (e as Error).message ?? String(e), headers, body });
      }
      const answer = (status: number): void => {
        if (b.kind === "big-answer" && status < 300) {
          streamBytes(res, b.bytes);
          return;
        }
        res.writeHead(status, { "content-type": "text/plain" });
        res.end(status < 300 ? "" : "error");
      };
      const status = !accepted
        ? 400
        : b.kind === "status"
          ? b.status
          : b.kind === "ok" || b.kind === "delay"
            ? (b.status ?? 200)
            : 200;
      if (b.kind === "delay") setTimeout(() => answer(status), b.ms);
      else answer(status);
      if (accepted) {
        const ready = this.waiters.filter((w) => this.events.length >= w.n);
        this.waiters = this.waiters.filter((w) => this.events.length < w.n);
        for (const w of ready) w.resolve();
      }
    });
  }
}

const CHUNK = Buffer.alloc(1024 * 1024, 0x61);

// Writes `total` bytes as they drain, one reused chunk at a time; stops when the peer goes away.
function streamBytes(res: http.ServerResponse, total: number): void {
  res.writeHead(200, { "content-type": "text/plain", "content-length": String(total) });
  let left = total;
  const pump = (): void => {
    while (left > 0 && !res.destroyed) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        res.once("drain", pump);
        return;
      }
    }
    if (left === 0) res.end();
  };
  pump();
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    process.stdout.write(
      "A CloudEvents sink that validates every event (cloudevents SDK) and prints it as one JSON line.\n\n" +
        "Usage:\n  node --import tsx testbed/sink.ts [--port PORT]\n\nFlags:\n  --port PORT  where it listens (default 9000)\n  -h, --help   this help\n",
    );
    process.exit(0);
  }
  const i = process.argv.indexOf("--port");
  const port = i > 0 ? Number(process.argv[i + 1]) : 9000;
  const sink = await CloudEventSink.start({
    port,
    onEvent: (e) => {
      const { data: _data, data_base64: _b64, ...attrs } = e.event.toJSON() as Record<string, unknown>;
      console.log(JSON.stringify({ ...attrs, body: e.body.toString("utf8") }));
    },
  });
  console.error(`cloudevents sink listening on ${sink.url}`);
}
