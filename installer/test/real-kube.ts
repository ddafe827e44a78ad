// The real kube-apiserver + etcd of test-infra/kube/ for the installer's tests: the control plane of
// $KUBE_APISERVER_URL/$KUBECONFIG (test-infra/kube/with-kube.sh), or one started with
// test-infra/kube/start.sh (and stopped after) when the binary is built; a skip reason, saying
// why, when kube-apiserver is absent (test-infra/kube/install.sh builds it).
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { existsSync } from "node:fs";
import { ROOT } from "./helpers.js";

const INFRA = ROOT + "test-infra/kube/";
const BIN = process.env.KUBE_APISERVER_BIN ?? ROOT + ".tmp/kube/bin/kube-apiserver";
const ENV_FILE = ROOT + ".tmp/kube/env";

function fromEnvironment(): boolean {
  return Boolean(process.env.KUBE_APISERVER_URL && process.env.KUBECONFIG && process.env.KUBE_LIMITED_KUBECONFIG);
}

/** false when a real API server can be had, else why not (for `{ skip }`). */
export function controlPlaneSkip(): string | false {
  if (process.env.KWL_NO_API_SERVER === "1")
    return "KWL_NO_API_SERVER=1 (make test-fast): real API server tests skipped";
  if (fromEnvironment()) return false;
  if (!existsSync(INFRA + "start.sh")) return "test-infra/kube/ is not there: no real API server to test against";
  if (!existsSync(BIN))
    return `${BIN} is absent (test-infra/kube/install.sh builds it; CI installs it): real API server tests skipped`;
  return false;
}

let startedHere = false;

/** KUBECONFIG, KUBE_LIMITED_KUBECONFIG, KUBE_LIMITED_USER, ... of the running control plane. */
export function ensureControlPlane(): Record<string, string> {
  if (fromEnvironment()) return process.env as Record<string, string>;
  startedHere = !existsSync(ENV_FILE);
  const out = execFileSync("bash", [INFRA + "start.sh"], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const env: Record<string, string> = {};
  for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) env[m[1]!] = m[2]!.replace(/^'(.*)'$|^"(.*)"$/, "$1$2");
  return env;
}

export function stopControlPlaneIfStarted(): void {
  if (startedHere) execFileSync("bash", [INFRA + "stop.sh"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  startedHere = false;
}

/**
 * Restarts the kube-apiserver (same port, certs and etcd; test-infra/kube/restart-apiserver.sh),
 * etcd's history compacted meanwhile with `compact`: every client connection is cut, and a watch
 * resumed from a version older than the new server's start is answered 410 Gone.
 */
export async function restartApiServer(compact = true): Promise<void> {
  // asynchronous: the controller under test runs in this process and must see the server go
  await promisify(execFile)("bash", [INFRA + "restart-apiserver.sh", ...(compact ? ["--compact"] : [])], { cwd: ROOT });
}
