// The four ways a cluster command fails before it starts, each in words a person can act on
// (no client-library text, no stack trace, rc 1): no kubeconfig (where it looked), an API server
// that does not answer (which URL), a kind the cluster does not serve (which CRD, which product),
// and RBAC refusing a call (verb, resource, namespace — against the real API server).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { ClientNodeKube } from "../src/kube/client.js";
import { FakeApiServer } from "./fake-apiserver.js";
import { ROOT, runCli, useCluster } from "./helpers.js";
import { controlPlaneSkip, ensureControlPlane, stopControlPlaneIfStarted } from "./real-kube.js";

const NO_STACK = /\n\s+at /;

function cliChild(args: string[], env: Record<string, string | undefined>) {
  const clean = Object.fromEntries(
    Object.entries({ ...process.env, ...env }).filter(([, v]) => v !== undefined),
  ) as Record<string, string>;
  return spawnSync(process.execPath, ["--import", "tsx", ROOT + "installer/src/cli.ts", ...args], {
    encoding: "utf8",
    env: clean,
    timeout: 60_000,
  });
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("cluster errors", () => {
  const dir = mkdtempSync(join(tmpdir(), "kwl-errors-"));
  after(() => useCluster(undefined));

  test("no kubeconfig anywhere: says where it looked and what to give", () => {
    const r = cliChild(["status"], { KUBECONFIG: undefined, HOME: dir, KUBERNETES_SERVICE_HOST: undefined });
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      /^error: no kubeconfig found: looked at \$KUBECONFIG \(not set\), \S+\/\.kube\/config \(absent\) and the in-cluster service account .*; give --kubeconfig FILE or set KUBECONFIG\n$/,
    );
    const named = cliChild(["status"], { KUBECONFIG: join(dir, "nope.yaml") });
    assert.match(named.stderr, /^error: KUBECONFIG=\S+nope\.yaml: no such file\n$/);
    const flag = cliChild(["status", "--kubeconfig", join(dir, "nope.yaml")], {});
    assert.match(flag.stderr, /^error: --kubeconfig \S+nope\.yaml: no such file\n$/);
  });

  test("an API server that does not answer: which URL, and what to check", async () => {
    const port = await closedPort();
    const kc = join(dir, "unreachable.yaml");
    writeFileSync(
      kc,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n`,
    );
    const r = cliChild(["status", "--kubeconfig", kc], {});
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      `error: cannot reach the API server at https://127.0.0.1:${port} (ECONNREFUSED) to list InferenceService in namespace default: is the cluster up, and is the kubeconfig's server right?\n`,
    );
  });

  test("a kind the cluster does not serve: which CRD is missing and which product installs it", async () => {
    for (const [kind, args, product, crd] of [
      ["WasmPlugin", ["status"], "Istio", "wasmplugins.extensions.istio.io"],
      ["InferenceService", ["status"], "KServe", "inferenceservices.serving.kserve.io"],
      [
        "InferenceService",
        ["apply", "--all", "--module-url", "oci://r/f:1", "--module-sha256", "a".repeat(64)],
        "KServe",
        "inferenceservices.serving.kserve.io",
      ],
    ] as const) {
      const api = new FakeApiServer([kind]);
      const kc = await api.start();
      useCluster(() => ({ kube: new ClientNodeKube(kc), namespace: "default" }));
      try {
        const r = await runCli([...args]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(
          r.stderr,
          new RegExp(
            `does not serve \\S+ ${kind}: is ${product} installed\\? \\(its CRD ${crd.replace(/\./g, "\\.")} is missing\\)`,
          ),
        );
        assert.doesNotMatch(r.stderr, NO_STACK);
        assert.doesNotMatch(r.stderr, /HTTP-Code|Headers: \{/);
      } finally {
        await api.stop();
      }
    }
  });

  describe("against the real API server", { skip: controlPlaneSkip() }, () => {
    after(() => stopControlPlaneIfStarted());
    test("RBAC refuses: the verb, the resource and the namespace, and where the needed permissions are listed", async () => {
      const env = ensureControlPlane();
      const limited = new KubeConfig();
      limited.loadFromFile(env.KUBE_LIMITED_KUBECONFIG!);
      useCluster(() => ({ kube: new ClientNodeKube(limited), namespace: "default" }));
      const r = await runCli(["status", "-n", "default"]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /cannot list resource "inferenceservices" in API group "serving\.kserve\.io" in the namespace "default" — RBAC refused it/,
      );
      assert.match(r.stderr, /installer\/README\.md \(Permissions\)/);
      assert.doesNotMatch(r.stderr, /HTTP-Code|Headers: \{/);
    });
  });
});
