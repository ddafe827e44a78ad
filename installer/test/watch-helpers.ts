// Running `watch` in-process or as a child process, and waiting for what it logs. Every wait
// is for a condition with a generous deadline (a loaded 2-core machine may be slow), never a
// fixed sleep followed by an assertion.
import { spawn, type ChildProcess } from "node:child_process";
import { main } from "../src/cli.js";
import { ClientNodeKube } from "../src/kube/client.js";
import type { FakeApiServer, Obj } from "./fake-apiserver.js";
import { currentCluster, ROOT, useCluster } from "./helpers.js";

export const DEADLINE_MS = 90_000;

export async function waitUntil(
  cond: () => boolean | Promise<boolean>,
  what: string,
  deadlineMs = DEADLINE_MS,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

export class Lines {
  out = "";
  err = "";
  get all(): string {
    return this.out + this.err;
  }
  /** count of lines matching re, in stdout and stderr */
  count(re: RegExp): number {
    return this.all.split("\n").filter((l) => re.test(l)).length;
  }
  /** waits until `re` has matched `n` lines in all (default: one more than `since`) */
  async waitFor(re: RegExp, n = 1): Promise<string> {
    await waitUntil(() => this.count(re) >= n, `${n}× ${re} in\n--- stdout\n${this.out}--- stderr\n${this.err}`);
    return this.all.split("\n").filter((l) => re.test(l))[n - 1]!;
  }
}

export const FAST_RETRY = [
  "--backoff-initial-ms",
  "20",
  "--backoff-max-ms",
  "300",
  "--request-timeout-ms",
  "5000",
  "--health-addr",
  "127.0.0.1:0",
];

/** `watch` in this process (against the cluster of useCluster); stop() aborts it like SIGTERM. */
export function watchInProcess(args: string[]): { lines: Lines; stop: () => Promise<number>; done: Promise<number> } {
  const lines = new Lines();
  const ac = new AbortController();
  const done = main(["watch", ...args], {
    stdout: (s) => (lines.out += s),
    stderr: (s) => (lines.err += s),
    signal: ac.signal,
    connect: currentCluster(),
  });
  return {
    lines,
    done,
    stop: () => {
      ac.abort();
      return done;
    },
  };
}

/** `watch` as a child process (node --import tsx installer/src/cli.ts), for signals. */
export function watchChild(args: string[]): { lines: Lines; child: ChildProcess; exit: Promise<number | null> } {
  const lines = new Lines();
  const child = spawn(process.execPath, ["--import", "tsx", ROOT + "installer/src/cli.ts", "watch", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (b: Buffer) => (lines.out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (lines.err += b.toString()));
  const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { lines, child, exit };
}

export async function httpStatus(url: string): Promise<number> {
  try {
    return (await fetch(url)).status;
  } catch {
    return 0;
  }
}

/** Starts the fake API server, points the CLI at it, and creates the namespaces `watch` expects plus `objects`. */
export async function fakeCluster(api: FakeApiServer, ...objects: Obj[]): Promise<void> {
  const kc = await api.start();
  useCluster(() => ({ kube: new ClientNodeKube(kc), namespace: "default" }));
  api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
  api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "kserve-wasm-logger" } });
  for (const o of objects) api.put(o);
}
