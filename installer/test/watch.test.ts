// `watch` against the in-process API endpoint (fake-apiserver.ts: list, watch with versions and
// 410 Gone, dropped connections, restarts), through the real @kubernetes/client-node.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { after, before, describe, test } from "node:test";
import YAML from "yaml";
import { WATCH_PERMISSIONS } from "../src/kube/permissions.js";
import { FakeApiServer } from "./fake-apiserver.js";
import { MODULE_ARGS, ROOT, runCli } from "./helpers.js";
import { FAST_RETRY, fakeCluster, httpStatus, waitUntil, watchChild, watchInProcess } from "./watch-helpers.js";
import { jsonLogIo } from "../src/cli/watch.js";

const ISVC = YAML.parse(readFileSync(ROOT + "testdata/isvc/sklearn-iris-annotated.yaml", "utf8"));
const PLUGIN = "sklearn-iris-predictor-logger";
const ARGS = ["-A", ...FAST_RETRY, ...MODULE_ARGS];

function withAnnotation(api: FakeApiServer, name: string, key: string, value: string) {
  const cur = api.find("InferenceService", "default", name)!;
  return api.put({ ...cur, metadata: { ...cur.metadata, annotations: { ...cur.metadata.annotations, [key]: value } } });
}
function isvcNamed(name: string) {
  return { ...ISVC, metadata: { ...ISVC.metadata, name } };
}
const appliesOf = (api: FakeApiServer, name: string) =>
  api.requests.filter((r) => r.verb === "patch" && r.resource === "wasmplugins" && r.name === name).length;

describe("watch (in-process)", () => {
  const api = new FakeApiServer();
  let run: ReturnType<typeof watchInProcess>;
  let health = "";

  before(async () => {
    await fakeCluster(api, ISVC);
    run = watchInProcess(ARGS);
    health = (await run.lines.waitFor(/health on /)).replace(/.*health on /, "");
  });
  after(async () => {
    await run?.stop();
    await api.stop();
  });

  test("create: lists, reports synced and ready, applies the WasmPlugin with an owner reference", async () => {
    await run.lines.waitFor(/^applied default\/sklearn-iris-predictor-logger \(created\)$/);
    assert.match(run.lines.out, /^synced: 1 InferenceService\(s\), 0 object\(s\) of ours; watching all namespaces$/m);
    assert.equal(await httpStatus(`http://${health}/readyz`), 200);
    assert.equal(await httpStatus(`http://${health}/healthz`), 200);
    const p = api.find("WasmPlugin", "default", PLUGIN)!;
    assert.equal(
      p.metadata.ownerReferences[0].uid,
      api.find("InferenceService", "default", "sklearn-iris")!.metadata.uid,
    );
    assert.equal(p.spec.pluginConfig.annotations["serving.example.com/ab-group"], "B");
  });

  test("a selected annotation's new value reaches the pluginConfig, one log line", async () => {
    withAnnotation(api, "sklearn-iris", "serving.example.com/ab-group", "C");
    await run.lines.waitFor(/^applied default\/sklearn-iris-predictor-logger \(pluginConfig changed: annotations\)$/);
    await waitUntil(
      () =>
        api.find("WasmPlugin", "default", PLUGIN)!.spec.pluginConfig.annotations["serving.example.com/ab-group"] ===
        "C",
      "new value in the WasmPlugin",
    );
  });

  test("a status heartbeat or an unselected annotation does not re-apply", async () => {
    const before = appliesOf(api, PLUGIN);
    const rv = api.find("WasmPlugin", "default", PLUGIN)!.metadata.resourceVersion;
    const cur = api.find("InferenceService", "default", "sklearn-iris")!;
    api.put({
      ...cur,
      status: { conditions: [{ type: "Ready", status: "True", lastTransitionTime: new Date().toISOString() }] },
    });
    withAnnotation(api, "sklearn-iris", "example.com/unselected", "x");
    // a marker after them on the same watch stream: once it is applied, both were handled
    api.put(isvcNamed("marker"));
    await run.lines.waitFor(/^applied default\/marker-predictor-logger \(created\)$/);
    assert.equal(appliesOf(api, PLUGIN), before);
    assert.equal(api.find("WasmPlugin", "default", PLUGIN)!.metadata.resourceVersion, rv);
    assert.equal(run.lines.count(/sklearn-iris-predictor-logger/), 2);
    assert.equal(run.lines.count(/^in line:/), 0, "in-line ISVCs are logged with -v only");
  });

  test("a WasmPlugin deleted by hand is recreated (the managed objects are watched)", async () => {
    api.remove("WasmPlugin", "default", PLUGIN);
    await run.lines.waitFor(/^applied default\/sklearn-iris-predictor-logger \(missing: recreated\)$/);
    await waitUntil(() => api.find("WasmPlugin", "default", PLUGIN) !== undefined, "recreated WasmPlugin");
  });

  test("the switches: ConfigMap key and namespace label, as they change", async () => {
    api.put({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "kserve-wasm-logger", namespace: "kserve-wasm-logger" },
      data: { "default.sklearn-iris": "disabled" },
    });
    await run.lines.waitFor(/^deleted default\/sklearn-iris-predictor-logger \(logging disabled\)$/);
    assert.equal(api.find("WasmPlugin", "default", PLUGIN), undefined);
    assert.ok(api.find("WasmPlugin", "default", "marker-predictor-logger"), "the other ISVC keeps its logging");
    api.remove("ConfigMap", "kserve-wasm-logger", "kserve-wasm-logger");
    await run.lines.waitFor(/^applied default\/sklearn-iris-predictor-logger \(created\)$/, 2);

    api.put({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "default", labels: { "kserve-wasm-logger/enabled": "false" } },
    });
    await run.lines.waitFor(/^deleted default\/sklearn-iris-predictor-logger \(logging disabled\)$/, 2);
    await run.lines.waitFor(/^deleted default\/marker-predictor-logger \(logging disabled\)$/);
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
    await run.lines.waitFor(/^applied default\/sklearn-iris-predictor-logger \(created\)$/, 3);
    await run.lines.waitFor(/^applied default\/marker-predictor-logger \(created\)$/, 2);
  });

  test("dropped watch connections resume from the last version: nothing is missed", async () => {
    const lists = api.requests.filter((r) => r.verb === "list").length;
    api.dropWatches();
    withAnnotation(api, "sklearn-iris", "serving.example.com/ab-group", "D");
    await waitUntil(
      () =>
        api.find("WasmPlugin", "default", PLUGIN)!.spec.pluginConfig.annotations["serving.example.com/ab-group"] ===
        "D",
      "value D after a dropped watch",
    );
    assert.equal(api.requests.filter((r) => r.verb === "list").length, lists, "no relist needed");
  });

  test("API server down mid-watch, history compacted meanwhile: retries, relists after 410 Gone, catches up", async () => {
    await api.stop();
    await run.lines.waitFor(/retrying in \S+$/);
    // while it is away: a value changes, an ISVC goes, another comes
    withAnnotation(api, "sklearn-iris", "serving.example.com/ab-group", "E");
    api.remove("InferenceService", "default", "marker");
    api.put(isvcNamed("newcomer"));
    api.compact();
    await api.start();
    await run.lines.waitFor(
      /inferenceservices \(all namespaces\): resourceVersion \d+ is too old \(410 Expired\); relisting$/,
    );
    await run.lines.waitFor(/^applied default\/newcomer-predictor-logger \(created\)$/);
    await run.lines.waitFor(/^deleted default\/marker-predictor-logger \(InferenceService default\/marker deleted\)$/);
    await waitUntil(
      () =>
        api.find("WasmPlugin", "default", PLUGIN)!.spec.pluginConfig.annotations["serving.example.com/ab-group"] ===
        "E",
      "value E after the relist",
    );
    assert.equal(api.find("WasmPlugin", "default", "marker-predictor-logger"), undefined);
    assert.equal(await httpStatus(`http://${health}/readyz`), 200);
  });

  test("410 Gone answered as an HTTP status also relists", async () => {
    api.goneAs = "http";
    api.compact();
    const lists = api.requests.filter((r) => r.verb === "list" && r.resource === "inferenceservices").length;
    api.dropWatches();
    withAnnotation(api, "newcomer", "serving.example.com/ab-group", "F");
    await waitUntil(
      () =>
        api.find("WasmPlugin", "default", "newcomer-predictor-logger")?.spec.pluginConfig.annotations[
          "serving.example.com/ab-group"
        ] === "F",
      "value F after an HTTP 410",
    );
    assert.ok(api.requests.filter((r) => r.verb === "list" && r.resource === "inferenceservices").length > lists);
    api.goneAs = "event";
  });

  test("/metrics: reconciles by result, objects written, refused ISVCs, retries and sync, in Prometheus text", async () => {
    const scrape = async (): Promise<Map<string, number>> => {
      const res = await fetch(`http://${health}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      const out = new Map<string, number>();
      for (const l of (await res.text()).split("\n")) {
        const m = /^(kserve_wasm_logger_\S+) (\S+)$/.exec(l);
        if (m) out.set(m[1]!, Number(m[2]));
      }
      return out;
    };
    const before = await scrape();
    assert.equal(before.get("kserve_wasm_logger_synced"), 1);
    assert.ok(before.get('kserve_wasm_logger_reconciles_total{result="ok"}')! >= 5, "every ISVC event so far");
    assert.ok(
      before.get('kserve_wasm_logger_objects_total{action="applied",kind="WasmPlugin"}')! >= 6,
      "created, changed, recreated, re-enabled ...",
    );
    assert.ok(
      before.get('kserve_wasm_logger_objects_total{action="deleted",kind="WasmPlugin"}')! >= 3,
      "disabled twice, marker deleted",
    );
    assert.ok(
      before.get('kserve_wasm_logger_watch_failures_total{kind="InferenceService",what="error"}')! >= 1,
      "the API server outage",
    );
    assert.ok(
      before.get('kserve_wasm_logger_watch_failures_total{kind="InferenceService",what="gone"}')! >= 2,
      "two compactions",
    );
    assert.equal(before.get("kserve_wasm_logger_invalid_inferenceservices"), 0);
    assert.ok(before.has("kserve_wasm_logger_process_resident_memory_bytes"), "process metrics too");
    // an ISVC whose logger is refused shows as invalid, and is counted so
    api.put({ ...isvcNamed("refused"), spec: { predictor: { logger: { mode: "everything" } } } });
    await run.lines.waitFor(/default\/refused: spec\.predictor\.logger\.mode: unsupported value "everything"/);
    await waitUntil(
      async () => (await scrape()).get("kserve_wasm_logger_invalid_inferenceservices") === 1,
      "one invalid ISVC in /metrics",
    );
    assert.ok((await scrape()).get('kserve_wasm_logger_reconciles_total{result="invalid"}')! >= 1);
    api.remove("InferenceService", "default", "refused");
    await waitUntil(
      async () => (await scrape()).get("kserve_wasm_logger_invalid_inferenceservices") === 0,
      "none once it is gone",
    );
  });

  test("delete: the ISVC's WasmPlugin is deleted explicitly", async () => {
    api.remove("InferenceService", "default", "sklearn-iris");
    await run.lines.waitFor(
      /^deleted default\/sklearn-iris-predictor-logger \(InferenceService default\/sklearn-iris deleted\)$/,
    );
    assert.equal(api.find("WasmPlugin", "default", PLUGIN), undefined);
  });

  test("every request was one the RBAC table grants (and nothing outside the control namespace for ConfigMaps)", () => {
    for (const r of api.requests) {
      const p = WATCH_PERMISSIONS.find((x) => x.group === r.group && x.resource === r.resource);
      assert.ok(p, `${r.verb} ${r.resource}: no permission`);
      assert.ok(p.verbs.includes(r.verb as never), `${r.verb} ${r.resource}: verb not granted`);
      if (p.scope === "control-namespace") assert.equal(r.namespace, "kserve-wasm-logger");
    }
    const used = new Set(api.requests.map((r) => `${r.verb} ${r.resource}`));
    // the Lease is used with --leader-elect only (kube.test.ts runs that against the real API server)
    for (const p of WATCH_PERMISSIONS.filter((x) => x.resource !== "leases"))
      for (const v of p.verbs) {
        // apply is one PATCH whether it creates or updates; create is what it needs to create
        if (v === "create")
          assert.ok(used.has(`patch ${p.resource}`) || p.resource !== "wasmplugins", `create ${p.resource}`);
        else if (!["serviceentries", "destinationrules"].includes(p.resource) || v === "list" || v === "watch")
          assert.ok(used.has(`${v} ${p.resource}`), `granted but never used: ${v} ${p.resource}`);
      }
  });

  test("stop (as SIGTERM): exits 0 after 'stopped'", async () => {
    assert.equal(await run.stop(), 0);
    assert.match(run.lines.out, /shutting down \(aborted\)[^\n]*\nstopped\n$/);
  });
});

describe("watch: faults at start and signals (child process)", () => {
  const api = new FakeApiServer();
  let kubeconfig = "";
  before(async () => {
    await api.start();
    kubeconfig = mkdtempSync(tmpdir() + "/kwl-") + "/kubeconfig";
    writeFileSync(kubeconfig, api.kubeConfigYaml());
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
    api.put(ISVC);
  });
  after(() => api.stop());

  test("API server unreachable at start: keeps trying, not ready, then syncs when it comes", async () => {
    await api.stop();
    const w = watchChild(["--kubeconfig", kubeconfig, ...ARGS]);
    try {
      await w.lines.waitFor(/inferenceservices \(all namespaces\): .*ECONNREFUSED.*; retrying in/);
      const health = (await w.lines.waitFor(/health on /)).replace(/.*health on /, "");
      assert.equal(await httpStatus(`http://${health}/readyz`), 503);
      assert.equal(await httpStatus(`http://${health}/healthz`), 200);
      await api.start();
      await w.lines.waitFor(/^applied default\/sklearn-iris-predictor-logger \(created\)$/);
      assert.equal(await httpStatus(`http://${health}/readyz`), 200);
      assert.equal(w.child.exitCode, null, "still running");
    } finally {
      w.child.kill("SIGTERM");
      assert.equal(await w.exit, 0);
    }
  });

  test("SIGTERM mid-apply: the apply in flight finishes, then exit 0", async () => {
    api.remove("WasmPlugin", "default", PLUGIN);
    api.holdApplies();
    const w = watchChild(["--kubeconfig", kubeconfig, ...ARGS]);
    try {
      await api.appliesHeld(1);
      w.child.kill("SIGTERM");
      await w.lines.waitFor(/^shutting down \(SIGTERM\)/);
      assert.doesNotMatch(w.lines.out, /^applied/m);
    } finally {
      api.releaseApplies();
    }
    assert.equal(await w.exit, 0);
    assert.match(
      w.lines.out,
      /^shutting down \(SIGTERM\)[^\n]*\napplied default\/sklearn-iris-predictor-logger \(created\)\nstopped\n$/m,
    );
    assert.ok(api.find("WasmPlugin", "default", PLUGIN));
  });
});

describe("watch --log-format json", () => {
  const api = new FakeApiServer();
  after(() => api.stop());

  test("every line is one JSON object: time, level, msg, and the object and InferenceService it is about", async () => {
    await fakeCluster(api, ISVC);
    const run = watchInProcess([...ARGS, "--log-format", "json"]);
    try {
      await run.lines.waitFor(/"msg":"applied default\/sklearn-iris-predictor-logger \(created\)"/);
    } finally {
      await run.stop();
    }
    const lines = run.lines.all.split("\n").filter((l) => l !== "");
    const objs = lines.map(
      (l) => JSON.parse(l) as { time: string; level: string; msg: string; object?: string; isvc?: string },
    );
    for (const o of objs) {
      assert.match(o.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(["info", "warning", "error"].includes(o.level), o.level);
    }
    const applied = objs.find((o) => o.msg.startsWith("applied "))!;
    assert.deepEqual(
      [applied.level, applied.object, applied.isvc],
      ["info", "default/sklearn-iris-predictor-logger", "default/sklearn-iris"],
      "the line names the object and the InferenceService it is for",
    );
    assert.ok(objs.some((o) => o.msg === "stopped"));
  });

  test("levels from what a line says; a bad --log-format is refused", async () => {
    const out: string[] = [];
    const io = jsonLogIo({ stdout: (s) => out.push(s), stderr: (s) => out.push(s) }, () => new Date(0));
    io.stderr("error: default/iris: HTTP 500: boom; retrying in 1.0s\n");
    io.stderr("inferenceservices (all namespaces): fetch failed (ECONNREFUSED); retrying in 20ms\n");
    io.stderr("inferenceservices (all namespaces): connected again\n");
    assert.deepEqual(
      out.map((l) => JSON.parse(l) as { level: string; object?: string }).map((o) => [o.level, o.object]),
      [
        ["error", "default/iris"],
        ["warning", undefined],
        ["info", undefined],
      ],
    );
    const bad = await runCli(["watch", "-A", "--log-format", "xml", ...MODULE_ARGS]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--log-format: "xml" is not text or json/);
  });
});

describe("watch -v", () => {
  const api = new FakeApiServer();
  after(() => api.stop());

  test("an ISVC found in line is logged, by name, only with -v", async () => {
    await fakeCluster(api, ISVC);
    const run = watchInProcess([...ARGS, "-v"]);
    try {
      await run.lines.waitFor(/^applied default\/sklearn-iris-predictor-logger \(created\)$/);
      // a status heartbeat: nothing to change, said so
      const isvc = api.find("InferenceService", "default", "sklearn-iris")!;
      api.put({ ...isvc, status: { observedGeneration: 2 } });
      await run.lines.waitFor(/^in line: InferenceService default\/sklearn-iris \(1 object\(s\), none to change\)$/);
    } finally {
      await run.stop();
    }
  });
});
