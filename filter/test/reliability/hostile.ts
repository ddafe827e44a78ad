// Clients a proxy meets in the wild, over raw sockets: many connections that
// announce a body and hold it, and requests whose header bytes no HTTP library
// would send. Used by hostile.test.ts and report.ts.

import net from "node:net";
import type { Stack } from "../../../testbed/stack.js";
import { withDeadline } from "../e2e/support.js";

/** A V1 predict body of exactly `size` bytes ({"instances":[[1,1,…]]}), so the model server answers 200. */
export function jsonBodyOfSize(size: number): Buffer {
  const head = '{"instances":[[1';
  const tail = "]]}";
  const n = Math.max(0, size - head.length - tail.length);
  const mid = ",1".repeat(Math.floor(n / 2)) + (n % 2 ? " " : "");
  return Buffer.from(head + mid + tail);
}

export interface HeldOptions {
  connections: number;
  /** The content-length each request announces. */
  announce: number;
  /** Bytes sent before holding. */
  send: number;
  /** The body is a valid predict body, so finish() gets 200s. */
  complete?: boolean;
}

export interface Held {
  /** Linear memory of the VM now (it never shrinks: the high-water mark so far). */
  readonly wasmBytes: number;
  /** Sends the rest of every body and waits for every response; their statuses. */
  finish(): Promise<number[]>;
  close(): void;
}

function sidecarAddress(stack: Stack): { host: string; port: number } {
  const u = new URL(stack.url);
  return { host: u.hostname, port: Number(u.port) };
}

function connect(addr: { host: string; port: number }): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(addr.port, addr.host, () => resolve(s));
    s.once("error", reject);
  });
}

// Reads one HTTP/1.1 response with a content-length (what the sidecar answers here) and returns its status.
function readResponse(s: net.Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buf.subarray(0, end).toString("latin1");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const cl = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length - end - 4 < cl) return;
      s.off("data", onData);
      resolve(status);
    };
    s.on("data", onData);
    s.once("error", reject);
    s.once("close", () => resolve(0));
  });
}

async function settledMemory(stack: Stack): Promise<void> {
  let last = -1;
  for (let same = 0; same < 3;) {
    await stack.host.idle();
    await new Promise((r) => setTimeout(r, 50));
    const m = stack.host.memoryBytes;
    same = m === last ? same + 1 : 0;
    last = m;
  }
}

export async function heldBodies(stack: Stack, o: HeldOptions): Promise<Held> {
  const addr = sidecarAddress(stack);
  const body = o.complete ? jsonBodyOfSize(o.announce) : Buffer.alloc(o.announce, 0x61);
  const head = Buffer.from(
    `POST /v1/models/m:predict HTTP/1.1\r\nHost: model.example\r\nContent-Type: application/json\r\nContent-Length: ${o.announce}\r\n\r\n`,
  );
  const sockets: net.Socket[] = [];
  const before = stack.host.contextCounts().streams;
  // In waves, so that the listen backlog never overflows.
  for (let i = 0; i < o.connections; i += 200) {
    const wave = await Promise.all(Array.from({ length: Math.min(200, o.connections - i) }, () => connect(addr)));
    for (const s of wave) {
      s.setNoDelay(true);
      s.write(Buffer.concat([head, body.subarray(0, o.send)]));
      sockets.push(s);
    }
  }
  await withDeadline(
    (async () => {
      while (stack.host.contextCounts().streams - before < o.connections) await new Promise((r) => setTimeout(r, 20));
    })(),
    `${o.connections} streams open in the VM (have ${stack.host.contextCounts().streams - before})`,
    120_000,
  );
  await settledMemory(stack);
  return {
    get wasmBytes() {
      return stack.host.memoryBytes;
    },
    async finish() {
      const statuses = sockets.map((s) => readResponse(s));
      for (const s of sockets) s.write(body.subarray(o.send));
      const out = await withDeadline(Promise.all(statuses), "every response", 120_000);
      for (const s of sockets) s.destroy();
      return out;
    },
    close() {
      for (const s of sockets) s.destroy();
    },
  };
}

/** One request with header bytes sent exactly as given (latin1 on the wire); its status. */
export async function rawRequest(
  url: string,
  path: string,
  headers: [string, Buffer][],
  body: string,
): Promise<number> {
  const u = new URL(url);
  const s = await connect({ host: u.hostname, port: Number(u.port) });
  const lines = [
    `POST ${path} HTTP/1.1`,
    `Host: ${u.host}`,
    "Content-Type: application/json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
  ];
  const parts: Buffer[] = [Buffer.from(lines.join("\r\n") + "\r\n")];
  for (const [k, v] of headers) parts.push(Buffer.from(`${k}: `), v, Buffer.from("\r\n"));
  parts.push(Buffer.from("\r\n"), Buffer.from(body));
  const status = readResponse(s);
  s.write(Buffer.concat(parts));
  const st = await withDeadline(status, "a response");
  s.destroy();
  return st;
}

export interface HostileFigures {
  scenario: string;
  connections: number;
  announced: number;
  sent: number;
  budget: number;
  wasmBefore: number;
  wasmPeak: number;
  overBudget: number;
  statuses200: number;
  traps: number;
}

/** The held-connection scenarios of docs/reliability.md: the VM's memory against its budget. */
export async function hostileScenarios(
  start: (config: Record<string, unknown>) => Promise<Stack>,
  baseConfig: (extra?: Record<string, unknown>) => Record<string, unknown>,
): Promise<HostileFigures[]> {
  const MiB = 1024 * 1024;
  const runs: {
    scenario: string;
    connections: number;
    announce: number;
    send: number;
    budget: number;
    complete: boolean;
  }[] = [
    {
      scenario: "announce 1 MiB, send 1 byte, hold",
      connections: 4000,
      announce: MiB,
      send: 1,
      budget: 64 * MiB,
      complete: false,
    },
    {
      scenario: "announce 128 KiB, send 64 KiB, hold, then finish",
      connections: 2000,
      announce: 128 * 1024,
      send: 64 * 1024,
      budget: 64 * MiB,
      complete: true,
    },
    {
      scenario: "512 KiB bodies, half sent and held, 4 MiB budget",
      connections: 20,
      announce: 512 * 1024,
      send: 256 * 1024,
      budget: 4 * MiB,
      complete: true,
    },
  ];
  const out: HostileFigures[] = [];
  for (const r of runs) {
    const stack = await start(
      baseConfig({ limits: { maxHeldBytes: r.budget, maxBodyBytes: MiB, maxInflightCallouts: 4096 } }),
    );
    try {
      const before = stack.host.memoryBytes;
      const held = await heldBodies(stack, {
        connections: r.connections,
        announce: r.announce,
        send: r.send,
        complete: r.complete,
      });
      let ok = 0;
      if (r.complete) ok = (await held.finish()).filter((s) => s === 200).length;
      else held.close();
      await stack.host.idle();
      out.push({
        scenario: r.scenario,
        connections: r.connections,
        announced: r.announce,
        sent: r.send,
        budget: r.budget,
        wasmBefore: before,
        wasmPeak: stack.host.memoryBytes,
        overBudget: Number(stack.host.metric("kserve_logger_events_over_budget") ?? 0n),
        statuses200: ok,
        traps: Number(stack.host.metric("host.wasm_vm_failed") ?? 0n),
      });
    } finally {
      await stack.close();
    }
  }
  return out;
}
