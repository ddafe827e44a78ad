// A plain HTTP server for the host's own tests: records what reaches it, answers 400 with
// body "error" (or never answers, "hang"). The host's tests need nothing from the filter's testbed.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  method: string;
  path: string;
  /** lowercase name → value, the bytes read as UTF-8 (Node's parser hands them over as latin1) */
  headers: Record<string, string>;
  body: Buffer;
}

export class Upstream {
  readonly received: Received[] = [];
  private constructor(private readonly server: http.Server) {}

  static async start(behaviour: "answer" | "hang" = "answer"): Promise<Upstream> {
    const server = http.createServer();
    const up = new Upstream(server);
    server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const headers: Record<string, string> = {};
        for (let i = 0; i < req.rawHeaders.length; i += 2)
          headers[req.rawHeaders[i]!.toLowerCase()] = Buffer.from(req.rawHeaders[i + 1]!, "latin1").toString("utf8");
        up.received.push({ method: req.method ?? "", path: req.url ?? "", headers, body: Buffer.concat(chunks) });
        if (behaviour === "answer") res.writeHead(400, { "content-type": "text/plain" }).end("error");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    return up;
  }

  get address(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
