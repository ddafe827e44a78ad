// A small sample model server speaking KServe's V1 and V2 inference protocols,
// deterministic, with knobs for tests:
//   POST /v1/models/<m>:predict  {"instances":[[...]...]} -> {"predictions":[sum of each row]}
//   POST /v2/models/<m>/infer    {"inputs":[{name,shape,datatype,data}]} -> {"model_name","outputs":[{name:"output-0",...,data:[sum]}]}
//   GET  /v2/health/ready, /v2/health/live, /v1/models/<m> -> 200
//   POST /echo                  echoes the body bytes and content-type (binary safe)
//   GET  /stream?n=5            SSE: n events "data: {"token":i}\n\n", one per write
//   GET  /chunked?n=3&size=10   chunked response of n chunks
//   POST [/openai]/v1/chat/completions, [/openai]/v1/completions: OpenAI-compatible, streamed or
//                               not, with and without usage (testbed/openai.ts has the knobs)
//   any request with header x-test-status: <code> (or ?status=<code>) answers that code
// CLI: tsx testbed/model-server.ts [--port 8080]

import http from "node:http";
import type { AddressInfo } from "node:net";
import { COMPLETION_ROUTE, serveCompletion } from "./openai.js";

export interface ModelServerOptions {
  port?: number;
  host?: string;
  /** Status for every inference response unless a request overrides it. */
  status?: number;
}

function rowSum(row: unknown): number {
  if (Array.isArray(row)) return row.reduce((s: number, x) => s + rowSum(x), 0);
  return typeof row === "number" ? row : 0;
}

export class ModelServer {
  private server!: http.Server;
  /** Requests received, in order (method, path, body). */
  readonly requests: { method: string; path: string; headers: http.IncomingHttpHeaders; body: Buffer }[] = [];
  status: number | undefined;
  /** Requests whose headers have arrived (counted before their bodies are read). */
  started = 0;

  private constructor(options: ModelServerOptions) {
    this.status = options.status;
  }

  static async start(options: ModelServerOptions = {}): Promise<ModelServer> {
    const m = new ModelServer(options);
    m.server = http.createServer((req, res) => m.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      m.server.once("error", reject);
      m.server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
    });
    return m;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.started++;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? "/", "http://x");
      this.requests.push({ method: req.method ?? "", path: req.url ?? "/", headers: req.headers, body });
      const forced = Number(req.headers["x-test-status"] ?? url.searchParams.get("status") ?? this.status ?? 0);
      const json = (status: number, v: unknown): void => {
        const b = Buffer.from(JSON.stringify(v));
        res.writeHead(forced || status, { "content-type": "application/json", "content-length": b.length });
        res.end(b);
      };
      const p = url.pathname;
      try {
        if (
          req.method === "GET" &&
          (p === "/v2/health/ready" || p === "/v2/health/live" || /^\/v1\/models\/[^/:]+$/.test(p))
        ) {
          return json(200, p.startsWith("/v1") ? { name: p.split("/")[3], ready: true } : {});
        }
        let m = /^\/v1\/models\/([^/:]+):predict$/.exec(p);
        if (m && req.method === "POST") {
          const input = JSON.parse(body.toString("utf8")) as { instances?: unknown[] };
          if (!Array.isArray(input.instances)) return json(400, { error: "instances must be a list" });
          return json(200, { predictions: input.instances.map(rowSum) });
        }
        m = /^\/v2\/models\/([^/]+)\/infer$/.exec(p);
        if (m && req.method === "POST") {
          const input = JSON.parse(body.toString("utf8")) as { id?: string; inputs?: { data?: unknown[] }[] };
          if (!Array.isArray(input.inputs)) return json(400, { error: "inputs must be a list" });
          const sums = input.inputs.map((i) => rowSum(i.data ?? []));
          return json(200, {
            model_name: m[1],
            id: input.id ?? "",
            outputs: [{ name: "output-0", shape: [sums.length], datatype: "FP64", data: sums }],
          });
        }
        if (p === "/echo") {
          res.writeHead(forced || 200, {
            "content-type": req.headers["content-type"] ?? "application/octet-stream",
            "content-length": body.length,
          });
          return void res.end(body);
        }
        if (p === "/stream") {
          const n = Number(url.searchParams.get("n") ?? 5);
          res.writeHead(forced || 200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
          let i = 0;
          const next = (): void => {
            if (i >= n) return void res.end();
            res.write(`data: {"token":${i}}\n\n`);
            i++;
            setImmediate(next);
          };
          return next();
        }
        const llm = COMPLETION_ROUTE.exec(p);
        if (llm && req.method === "POST") {
          serveCompletion(llm[1]!, body, req.headers, res, forced).catch((e: Error) => {
            if (!res.headersSent) json(400, { error: e.message });
            else res.destroy();
          });
          return;
        }
        if (p === "/chunked") {
          const n = Number(url.searchParams.get("n") ?? 3);
          const size = Number(url.searchParams.get("size") ?? 10);
          res.writeHead(forced || 200, { "content-type": "application/octet-stream" });
          for (let i = 0; i < n; i++) res.write(Buffer.alloc(size, 0x61 + (i % 26)));
          return void res.end();
        }
        json(404, { error: `no route ${req.method} ${p}` });
      } catch (e) {
        json(400, { error: (e as Error).message });
      }
    });
  }
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const i = process.argv.indexOf("--port");
  const port = i > 0 ? Number(process.argv[i + 1]) : 8080;
  const m = await ModelServer.start({ port });
  console.error(`model server listening on ${m.url}`);
}
