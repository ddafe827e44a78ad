// Child process of the loopback benchmark: a closed-loop HTTP/1.1 load
// generator (fixed concurrency, keep-alive) posting bodies to <url>/echo on
// 127.0.0.1. Argument: JSON {url, n, warm, concurrency, bodyBytes}. Prints
// {"rps", "p50Ns", "p99Ns", "errors", "n"} for the n measured requests.

import http from "node:http";

interface Args {
  url: string;
  n: number;
  warm: number;
  concurrency: number;
  bodyBytes: number;
}
const a = JSON.parse(process.argv[2] ?? "{}") as Args;
const target = new URL("/echo", a.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: a.concurrency });
const body = Buffer.alloc(a.bodyBytes, "a");
let errors = 0;

function one(): Promise<number> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(
      {
        host: target.hostname,
        port: Number(target.port),
        path: target.pathname,
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": String(body.length), "x-tenant": "acme" },
      },
      (res) => {
        if (res.statusCode !== 200) errors++;
        res.on("data", () => undefined);
        res.on("end", () => resolve(Number(process.hrtime.bigint() - t0)));
      },
    );
    req.on("error", () => {
      errors++;
      resolve(Number(process.hrtime.bigint() - t0));
    });
    req.end(body);
  });
}

async function phase(n: number): Promise<{ lat: number[]; ns: number }> {
  const lat: number[] = [];
  let started = 0;
  const t0 = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (started < n) {
      started++;
      lat.push(await one());
    }
  };
  await Promise.all(Array.from({ length: a.concurrency }, worker));
  return { lat, ns: Number(process.hrtime.bigint() - t0) };
}

await phase(a.warm);
errors = 0;
const { lat, ns } = await phase(a.n);
lat.sort((x, y) => x - y);
const pick = (p: number): number => lat[Math.min(lat.length - 1, Math.max(0, Math.ceil((p / 100) * lat.length) - 1))]!;
process.stdout.write(
  JSON.stringify({ rps: (a.n / ns) * 1e9, p50Ns: pick(50), p99Ns: pick(99), errors, n: a.n }) + "\n",
);
agent.destroy();
