// The Helm chart (charts/kserve-wasm-logger) against the kustomize manifests it mirrors: helm
// (built from its Go module by test-infra/helm/install.sh) lints it; `helm template` with the
// default values gives exactly the objects of `kubectl kustomize istio/`, and with
// watchNamespaces those of istio/overlays/namespaced/; an unpinned module is refused; and what it
// renders is accepted by the real API server (Namespace and RBAC for real, the rest server-side dry-run).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import YAML from "yaml";
import { ClientNodeKube } from "../src/kube/client.js";
import { ROOT } from "./helpers.js";
import { controlPlaneSkip, ensureControlPlane, stopControlPlaneIfStarted } from "./real-kube.js";

const HELM = process.env.HELM_BIN ?? ROOT + ".tmp/helm/bin/helm";
const KUBECTL = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].find((p) => existsSync(p));
const CHART = ROOT + "charts/kserve-wasm-logger";
const skip = existsSync(HELM) ? false : `${HELM} is absent (test-infra/helm/install.sh builds it; make test does)`;

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** The objects of a multi-document YAML, by kind/namespace/name. */
function objects(yaml: string): Map<string, KubernetesObject> {
  const out = new Map<string, KubernetesObject>();
  for (const d of YAML.parseAllDocuments(yaml)) {
    const o = d.toJS() as KubernetesObject | null;
    if (o) out.set(`${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`, o);
  }
  return out;
}

function assertSameObjects(helm: string, kustomize: string): void {
  const h = objects(helm);
  const k = objects(kustomize);
  assert.deepEqual([...h.keys()].sort(), [...k.keys()].sort(), "the same objects");
  for (const [key, o] of k) assert.deepEqual(h.get(key), o, key);
}

describe("the Helm chart", { skip }, () => {
  test("helm lint passes", () => {
    assert.match(run(HELM, ["lint", CHART]), /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  test(
    "the default values give exactly the objects of kubectl kustomize istio/",
    { skip: KUBECTL ? false : "kubectl is not installed" },
    () => {
      assertSameObjects(run(HELM, ["template", "kwl", CHART]), run(KUBECTL!, ["kustomize", ROOT + "istio"]));
    },
  );

  test(
    "watchNamespaces gives exactly the objects of istio/overlays/namespaced/",
    { skip: KUBECTL ? false : "kubectl is not installed" },
    () => {
      assertSameObjects(
        run(HELM, ["template", "kwl", CHART, "--set", "watchNamespaces={models-a,models-b}"]),
        run(KUBECTL!, ["kustomize", ROOT + "istio/overlays/namespaced"]),
      );
    },
  );

  test("llmInferenceServices: the ClusterRole of istio/llm/rbac.yaml and --llm-isvc, nothing else changes; not with watchNamespaces", () => {
    const base = objects(run(HELM, ["template", "kwl", CHART]));
    const llm = objects(run(HELM, ["template", "kwl", CHART, "--set", "llmInferenceServices=true"]));
    const added = [...llm.keys()].filter((k) => !base.has(k)).sort();
    assert.deepEqual(added, ["ClusterRole//kserve-wasm-logger-llm", "ClusterRoleBinding//kserve-wasm-logger-llm"]);
    const want = YAML.parseAllDocuments(readFileSync(ROOT + "istio/llm/rbac.yaml", "utf8")).map((d) => d.toJS());
    for (const w of want) {
      const key = added.find((k) => k.startsWith(`${w.kind}/`))!;
      const got = llm.get(key) as unknown as Record<string, unknown>;
      if (w.kind === "ClusterRole") assert.deepEqual(got.rules, w.rules);
      else assert.deepEqual([got.roleRef, got.subjects], [w.roleRef, w.subjects]);
    }
    const args = (o: KubernetesObject | undefined) =>
      (o as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } }).spec.template.spec
        .containers[0]!.args;
    const deployKey = [...llm.keys()].find((k) => k.startsWith("Deployment/") && k.endsWith("/kserve-wasm-logger"))!;
    assert.ok(args(llm.get(deployKey)).includes("--llm-isvc"));
    assert.ok(!args(base.get(deployKey)).includes("--llm-isvc"));
    const r = spawnSync(
      HELM,
      ["template", "kwl", CHART, "--set", "llmInferenceServices=true", "--set", "watchNamespaces={a}"],
      {
        encoding: "utf8",
      },
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /llmInferenceServices needs watchNamespaces: \[\]/);
  });

  test("the module is pinned: an empty module.sha256 is refused, sha256:HEX taken as the digest", () => {
    const r = spawnSync(HELM, ["template", "kwl", CHART, "--set", "module.sha256="], { encoding: "utf8" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /module\.sha256 is required/);
    const hex = "ab".repeat(32);
    const d = [...objects(run(HELM, ["template", "kwl", CHART, "--set", `module.sha256=sha256:${hex}`])).values()].find(
      (o) => o.kind === "Deployment" && o.metadata?.name === "kserve-wasm-logger",
    ) as unknown as {
      spec: { template: { spec: { containers: { args: string[] }[] } } };
    };
    const args = d.spec.template.spec.containers[0]!.args;
    assert.equal(args[args.indexOf("--module-sha256") + 1], hex);
  });

  describe("against the real API server", { skip: controlPlaneSkip() }, () => {
    after(() => stopControlPlaneIfStarted());
    test("everything it renders is accepted: Namespace and RBAC applied, the rest server-side dry-run", async () => {
      const env = ensureControlPlane();
      const kc = new KubeConfig();
      kc.loadFromFile(env.KUBECONFIG!);
      const admin = new ClientNodeKube(kc);
      const ns = `kwl-chart-${process.pid}`;
      const objs = [...objects(run(HELM, ["template", "kwl", CHART, "--set", `namespace.name=${ns}`])).values()];
      assert.ok(objs.length >= 9, `${objs.length} objects`);
      const real = (o: KubernetesObject) => o.kind === "Namespace" || (o.apiVersion ?? "").startsWith("rbac.");
      for (const o of objs.filter(real)) await admin.apply(o);
      for (const o of objs.filter((x) => !real(x))) await admin.apply(o, "server");
      await admin.delete({ apiVersion: "v1", kind: "Namespace", name: ns });
    });
  });
});
