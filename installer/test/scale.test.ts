// The controller at the scale of a shared cluster, against the real kube-apiserver of
// test-infra/kube/: 1,200 logged InferenceServices (more than two list pages of 500) converge to
// exactly one WasmPlugin each, and neither a relist after 410 Gone (the API server restarted,
// etcd compacted meanwhile) nor a controller restart (each a fresh list that must be read to its
// last page) deletes any of them. Times and memory are printed, never asserted.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import YAML from "yaml";
import { ClientNodeKube } from "../src/kube/client.js";
import { MODULE_ARGS, ROOT, useCluster } from "./helpers.js";
import { controlPlaneSkip, ensureControlPlane, restartApiServer, stopControlPlaneIfStarted } from "./real-kube.js";
import { waitUntil, watchInProcess } from "./watch-helpers.js";

const N = 1200;
const ISVC = YAML.parse(readFileSync(ROOT + "testdata/isvc/sklearn-iris-annotated.yaml", "utf8"));
const WASMPLUGIN = "extensions.istio.io/v1alpha1";

describe(`${N} InferenceServices against a real kube-apiserver`, { skip: controlPlaneSkip() }, () => {
  let admin: ClientNodeKube;
  const ns = `kwl-scale-${process.pid}-${Date.now().toString(36)}`;
  const plugins = async (): Promise<string[]> =>
    (await admin.list(WASMPLUGIN, "WasmPlugin", ns)).map((p) => p.metadata!.name!).sort();
  const names = Array.from({ length: N }, (_, i) => `m-${String(i).padStart(4, "0")}`);

  before(async () => {
    const env = ensureControlPlane();
    const kc = new KubeConfig();
    kc.loadFromFile(env.KUBECONFIG!);
    admin = new ClientNodeKube(kc);
    await admin.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    for (let i = 0; i < N; i += 25) {
      await Promise.all(
        names
          .slice(i, i + 25)
          .map((name) => admin.apply({ ...ISVC, metadata: { ...ISVC.metadata, name, namespace: ns } })),
      );
    }
    useCluster(() => ({ kube: new ClientNodeKube(kc), namespace: ns }));
  });

  after(async () => {
    if (admin) await admin.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => undefined);
    stopControlPlaneIfStarted();
  });

  test("every model gets exactly one WasmPlugin; a relist after 410 Gone and a controller restart delete none", async () => {
    assert.equal(
      (await admin.list("serving.kserve.io/v1beta1", "InferenceService", ns)).length,
      N,
      "the list reads every page",
    );
    const args = [
      "-n",
      ns,
      "--backoff-initial-ms",
      "50",
      "--backoff-max-ms",
      "1000",
      "--health-addr",
      "",
      ...MODULE_ARGS,
    ];
    const rss0 = process.memoryUsage().rss;
    const t0 = Date.now();
    const first = watchInProcess(args);
    await first.lines.waitFor(new RegExp(`^synced: ${N} InferenceService\\(s\\)`));
    await waitUntil(async () => (await plugins()).length >= N, `${N} WasmPlugins`, 300_000);
    const converged = Date.now() - t0;
    const expected = names.map((n) => `${n}-predictor-logger`);
    assert.deepEqual(await plugins(), expected, "one per ISVC, none missing, none extra");
    console.log(
      `# ${N} ISVCs: converged in ${(converged / 1000).toFixed(1)} s; process RSS ${(rss0 / 1048576).toFixed(0)} → ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`,
    );

    // The API server restarts (a control-plane upgrade) with etcd compacted meanwhile. A write the
    // controller does not watch moves the revision on, so each of its watches resumes from a
    // version older than the new server's start: 410, and every collection is listed again.
    await admin.apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "revision-mover", namespace: ns },
      data: {},
    });
    const t1 = Date.now();
    await restartApiServer(true);
    await first.lines.waitFor(
      new RegExp(`^inferenceservices -n ${ns}: resourceVersion \\d+ is too old \\(410 \\w+\\); relisting$`),
    );
    await first.lines.waitFor(
      new RegExp(`^wasmplugins -n ${ns} -l [^:]+: resourceVersion \\d+ is too old \\(410 \\w+\\); relisting$`),
    );
    const relisted = `${names[N - 1]}-after-relist`;
    await admin.apply({ ...ISVC, metadata: { ...ISVC.metadata, name: relisted, namespace: ns } });
    await first.lines.waitFor(new RegExp(`^applied [^ ]+/${relisted}-predictor-logger \\(created\\)$`));
    console.log(
      `# API server restarted (etcd compacted): relisted and reconciling again ${((Date.now() - t1) / 1000).toFixed(1)} s after the restart began`,
    );
    assert.equal(first.lines.count(/^deleted /), 0, "a relist after 410 deletes nothing");
    assert.deepEqual(await plugins(), [...expected, `${relisted}-predictor-logger`].sort());
    assert.equal(await first.stop(), 0);

    // A restart lists again, page by page; a list cut after its first page would have deleted 700.
    const second = watchInProcess(args);
    await second.lines.waitFor(new RegExp(`^synced: ${N + 1} InferenceService\\(s\\), ${N + 1} object\\(s\\) of ours`));
    const marker = `${names[N - 1]}-late`;
    await admin.apply({ ...ISVC, metadata: { ...ISVC.metadata, name: marker, namespace: ns } });
    await second.lines.waitFor(new RegExp(`^applied [^ ]+/${marker}-predictor-logger \\(created\\)$`));
    assert.equal(second.lines.count(/^deleted /), 0, "nothing deleted");
    assert.equal((await plugins()).length, N + 2);
    assert.equal(await second.stop(), 0);
  });
});
