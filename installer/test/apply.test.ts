// apply / delete / enable / disable / status against the in-process API endpoint, through the
// real @kubernetes/client-node and the CLI.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import YAML from "yaml";
import { ClientNodeKube } from "../src/kube/client.js";
import { FakeApiServer } from "./fake-apiserver.js";
import { MODULE_ARGS, ROOT, runCli, useCluster } from "./helpers.js";

const api = new FakeApiServer();
before(async () => {
  const kc = await api.start();
  useCluster(() => ({ kube: new ClientNodeKube(kc), namespace: "default" }));
  api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
  api.put(YAML.parse(readFileSync(ROOT + "testdata/isvc/sklearn-iris-annotated.yaml", "utf8")));
});
after(() => api.stop());

const plugin = () => api.find("WasmPlugin", "default", "sklearn-iris-predictor-logger");

test("apply: server-side apply with owner reference; a second apply changes nothing", async () => {
  const r1 = await runCli(["apply", "sklearn-iris", ...MODULE_ARGS]);
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(r1.stdout, "wasmplugin/sklearn-iris-predictor-logger -n default applied\n");
  const p = plugin()!;
  const isvc = api.find("InferenceService", "default", "sklearn-iris")!;
  assert.deepEqual(p.metadata.ownerReferences, [
    { apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService", name: "sklearn-iris", uid: isvc.metadata.uid },
  ]);
  const rv = p.metadata.resourceVersion;
  const r2 = await runCli(["apply", "--all", ...MODULE_ARGS]);
  assert.equal(r2.stdout, "wasmplugin/sklearn-iris-predictor-logger -n default unchanged\n");
  assert.equal(plugin()!.metadata.resourceVersion, rv);
});

test("a changed annotation value reaches the WasmPlugin's pluginConfig on the next apply", async () => {
  const isvc = api.find("InferenceService", "default", "sklearn-iris")!;
  api.put({
    ...isvc,
    metadata: { ...isvc.metadata, annotations: { ...isvc.metadata.annotations, "serving.example.com/ab-group": "C" } },
  });
  const r = await runCli(["apply", "sklearn-iris", ...MODULE_ARGS]);
  assert.match(r.stdout, / applied\n$/);
  assert.equal(plugin()!.spec.pluginConfig.annotations["serving.example.com/ab-group"], "C");
});

test("apply --dry-run=client -o yaml prints the objects it would apply, the actions on stderr, and changes nothing", async () => {
  const rv = plugin()!.metadata.resourceVersion;
  const r = await runCli(["apply", "sklearn-iris", "--dry-run=client", "-o", "yaml", ...MODULE_ARGS]);
  assert.equal(r.code, 0, r.stderr);
  const objs = YAML.parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
  assert.deepEqual(
    objs.map((o) => `${o.kind}/${o.metadata.name}`),
    ["WasmPlugin/sklearn-iris-predictor-logger"],
  );
  assert.match(r.stderr, /wasmplugin\/sklearn-iris-predictor-logger -n default .*\(dry run, client\)/);
  assert.equal(plugin()!.metadata.resourceVersion, rv);
});

test("--dry-run=server and client change nothing", async () => {
  const rv = plugin()!.metadata.resourceVersion;
  for (const d of ["server", "client"]) {
    const r = await runCli(["delete", "sklearn-iris", `--dry-run=${d}`]);
    assert.match(r.stdout, new RegExp(`deleted \\(dry run, ${d}\\)`));
  }
  assert.equal(plugin()!.metadata.resourceVersion, rv);
});

test("status lists what is logged, its state, where the logger spec lives, with its annotations", async () => {
  const r = await runCli(["status", "-A"]);
  assert.match(r.stdout, /^NAMESPACE +INFERENCESERVICE +COMPONENT +STATE +MODE +LOGGER +ANNOTATIONS\n/);
  assert.match(
    r.stdout,
    /default +sklearn-iris +predictor +logged \(KServe's agent too\) +all +http:\/\/message-dumper\.default\/ +serving\.example\.com\/ab-group=C,/,
  );
  const wide = await runCli(["status", "-A", "-o", "wide"]);
  assert.match(
    wide.stdout,
    /^NAMESPACE +INFERENCESERVICE +COMPONENT +STATE +MODE +LOGGER +SOURCE +WASMPLUGIN +ANNOTATIONS\n/,
  );
  assert.match(wide.stdout, / spec +sklearn-iris-predictor-logger /);
  assert.equal(
    (await runCli(["status", "-A", "-o", "name"])).stdout,
    "inferenceservice.serving.kserve.io/sklearn-iris\n",
  );
  const json = JSON.parse((await runCli(["status", "-A", "-o=json"])).stdout) as { items: { state: string }[] };
  assert.deepEqual(
    json.items.map((i) => i.state),
    ["logged (KServe's agent too)"],
    "-o=json, as kubectl spells it",
  );
  assert.match(r.stderr, /1 of them also have spec\.<component>\.logger, so KServe's agent logs them too/);
  // the logger moved into the annotation: the filter alone, no warning
  const isvc = api.find("InferenceService", "default", "sklearn-iris")!;
  const { logger, ...predictor } = isvc.spec.predictor;
  api.put({
    ...isvc,
    metadata: {
      ...isvc.metadata,
      annotations: { ...isvc.metadata.annotations, "kserve-wasm-logger/logger.predictor": JSON.stringify(logger) },
    },
    spec: { ...isvc.spec, predictor },
  });
  assert.equal(
    (await runCli(["apply", "sklearn-iris", ...MODULE_ARGS])).stdout,
    "wasmplugin/sklearn-iris-predictor-logger -n default unchanged\n",
  );
  const moved = await runCli(["status", "-A"]);
  assert.match(moved.stdout, /default +sklearn-iris +predictor +logged +all +http:\/\/message-dumper\.default\/ +/);
  assert.doesNotMatch(moved.stderr, /KServe's agent logs them too/);
  api.put(isvc);
});

test("disable deletes the WasmPlugin without touching the ISVC; apply then skips it; enable brings it back", async () => {
  const isvcRv = api.find("InferenceService", "default", "sklearn-iris")!.metadata.resourceVersion;
  const off = await runCli(["disable", "sklearn-iris"]);
  assert.equal(off.code, 0, off.stderr);
  assert.equal(plugin(), undefined);
  assert.match(
    (await runCli(["status"])).stdout,
    /default +sklearn-iris +predictor +disabled \(InferenceService\) +- +- +-\n/,
    "a disabled ISVC stays in status, saying so",
  );
  // the switch lives in the installer's own namespace, keyed <namespace>.<isvc>
  assert.equal(
    api.find("ConfigMap", "kserve-wasm-logger", "kserve-wasm-logger")!.data["default.sklearn-iris"],
    "disabled",
  );
  assert.equal(api.find("ConfigMap", "default", "kserve-wasm-logger"), undefined);
  assert.equal(api.find("InferenceService", "default", "sklearn-iris")!.metadata.resourceVersion, isvcRv);
  const skip = await runCli(["apply", "sklearn-iris", ...MODULE_ARGS]);
  assert.match(skip.stdout, /skipped \(logging disabled\)/);
  const on = await runCli(["enable", "sklearn-iris", ...MODULE_ARGS]);
  assert.equal(on.code, 0, on.stderr);
  assert.ok(plugin());
  assert.equal(
    api.find("ConfigMap", "kserve-wasm-logger", "kserve-wasm-logger")!.data["default.sklearn-iris"],
    undefined,
  );
});

test("disable/enable of an ISVC that does not exist changes nothing and says so (rc 1)", async () => {
  for (const cmd of [
    ["disable", "nosuch"],
    ["enable", "nosuch", ...MODULE_ARGS],
    ["disable", "sklearn-iris", "nosuch"],
  ]) {
    const r = await runCli(cmd);
    assert.equal(r.code, 1, cmd.join(" "));
    assert.match(r.stderr, /InferenceService default\/nosuch not found/);
    assert.doesNotMatch(r.stdout, /logging (disabled|enabled)/);
  }
  const cm = api.find("ConfigMap", "kserve-wasm-logger", "kserve-wasm-logger");
  assert.equal(cm?.data?.["default.nosuch"], undefined, "no switch written for a name that does not exist");
  assert.equal(cm?.data?.["default.sklearn-iris"], undefined, "nor for the other names of the same command");
  assert.ok(plugin(), "the existing ISVC stays logged");
});

test("status NAME shows that ISVC only; an unknown name is an error", async () => {
  const other = YAML.parse(readFileSync(ROOT + "testdata/isvc/sklearn-iris-annotated.yaml", "utf8"));
  api.put({ ...other, metadata: { ...other.metadata, name: "second" } });
  await runCli(["apply", "second", ...MODULE_ARGS]);
  const all = await runCli(["status"]);
  assert.match(all.stdout, /second/);
  const one = await runCli(["status", "sklearn-iris"]);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /sklearn-iris/);
  assert.doesNotMatch(one.stdout, /second/);
  const none = await runCli(["status", "nosuch"]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /InferenceService default\/nosuch not found/);
  await runCli(["delete", "second"]);
  api.remove("InferenceService", "default", "second");
});

test("namespace-wide disable and enable", async () => {
  await runCli(["disable", "--namespace-wide"]);
  assert.equal(api.find("Namespace", undefined, "default")!.metadata.labels["kserve-wasm-logger/enabled"], "false");
  assert.equal(plugin(), undefined);
  await runCli(["enable", "--namespace-wide", ...MODULE_ARGS]);
  assert.equal(api.find("Namespace", undefined, "default")!.metadata.labels?.["kserve-wasm-logger/enabled"], undefined);
  assert.ok(plugin());
});

test("enable without module flags: the module of a WasmPlugin of ours; with a controller running, only the switch", async () => {
  const other = YAML.parse(readFileSync(ROOT + "testdata/isvc/sklearn-iris-annotated.yaml", "utf8"));
  api.put({ ...other, metadata: { ...other.metadata, name: "other" } });
  await runCli(["apply", "other", ...MODULE_ARGS]);
  await runCli(["disable", "sklearn-iris"]);
  assert.equal(plugin(), undefined);
  const on = await runCli(["enable", "sklearn-iris"]);
  assert.equal(on.code, 0, on.stderr);
  assert.match(on.stderr, /^module oci:\/\/\S+ \(as WasmPlugin default\/other-predictor-logger\)$/m);
  assert.equal(plugin()!.spec.url, MODULE_ARGS[1]);
  assert.equal(plugin()!.spec.sha256, MODULE_ARGS[3]);
  // a controller holds its Lease (renewed just now): enable writes the switch and leaves the apply to it
  await runCli(["disable", "sklearn-iris"]);
  api.put({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: "kserve-wasm-logger", namespace: "kserve-wasm-logger" },
    spec: { holderIdentity: "watch-7f9c", leaseDurationSeconds: 15, renewTime: new Date().toISOString() },
  });
  const left = await runCli(["enable", "sklearn-iris"]);
  assert.equal(left.code, 0, left.stderr);
  assert.match(left.stdout, /logging enabled\nthe controller \(watch-7f9c\) applies it\n$/);
  assert.equal(plugin(), undefined, "the controller applies it, not the CLI");
  assert.equal(
    api.find("ConfigMap", "kserve-wasm-logger", "kserve-wasm-logger")!.data?.["default.sklearn-iris"],
    undefined,
  );
  api.remove("Lease", "kserve-wasm-logger", "kserve-wasm-logger");
  await runCli(["apply", "sklearn-iris", ...MODULE_ARGS]);
  await runCli(["delete", "other"]);
  api.remove("InferenceService", "default", "other");
  // nothing to take the module from: the flag is required, and nothing was switched
  await runCli(["disable", "sklearn-iris"]);
  const none = await runCli(["enable", "sklearn-iris"]);
  assert.equal(none.code, 2);
  assert.match(
    none.stderr,
    /--module-url is required: no controller holds Lease kserve-wasm-logger\/kserve-wasm-logger and there is no WasmPlugin of ours/,
  );
  await runCli(["enable", "sklearn-iris", ...MODULE_ARGS]);
  assert.ok(plugin());
});

test("delete removes what was made; an unknown ISVC is an error on apply", async () => {
  const r = await runCli(["delete", "sklearn-iris"]);
  assert.equal(r.stdout, "wasmplugin/sklearn-iris-predictor-logger -n default deleted\n");
  assert.equal(plugin(), undefined);
  const missing = await runCli(["apply", "nope", ...MODULE_ARGS]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /InferenceService default\/nope not found/);
});
