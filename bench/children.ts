// Child processes of the benchmarks: a tsx script of bench/ (servers, load client,
// sidecar), and the first line it prints (its address or its figures).

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "..");

export function tsxChild(file: string, args: string[]): ReturnType<typeof spawn> {
  return spawn(process.execPath, ["--import", "tsx", path.join(HERE, file), ...args], {
    cwd: REPO,
    stdio: ["pipe", "pipe", "inherit"],
  });
}

export async function firstLine(child: ReturnType<typeof spawn>): Promise<string> {
  const rl = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    rl.once("line", (l) => {
      rl.close();
      resolve(l);
    });
    child.once("exit", (code) =>
      reject(new Error(`${String(child.spawnargs[3])} exited with ${code} before answering`)),
    );
  });
}
