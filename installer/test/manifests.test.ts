// istio/ (the kustomize base and the examples) and the Dockerfile, checked against the code:
// every YAML parses, kustomization resources exist, every WasmPlugin passes the CRD validator
// (schema + CEL), the examples are what `render` makes today, the RBAC is exactly the table
// the code is held to (installer/src/kube/permissions.ts), the Deployment's args are accepted
// by the CLI and its probes hit the health endpoints, and the Dockerfile copies the bundle
// that installer/build.mjs writes, which runs alone (no node_modules next to it).
// The real API server test (kube.test.ts) also dry-run applies the base against the
// Kubernetes schemas of its kinds.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";
import YAML from "yaml";
import { LLM_WATCH_PERMISSIONS, namespacedWatchPermissions, WATCH_PERMISSIONS } from "../src/kube/permissions.js";
import { validateObject } from "../src/validate/index.js";
import { ROOT, runCli } from "./helpers.js";
// @ts-expect-error build.mjs is plain JavaScript
import { buildBundle, OUTFILE } from "../build.mjs";
import { buildOciImage } from "../../scripts/oci-image.js";

const ISTIO = ROOT + "istio/";
const BASE = ISTIO + "base/";
const update = process.env.UPDATE_GOLDEN === "1";

type Doc = {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  [k: string]: unknown;
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(f) ? [p] : [];
  });
}

export function loadDocs(file: string): Doc[] {
  const docs = YAML.parseAllDocuments(readFileSync(file, "utf8"));
  for (const d of docs) assert.deepEqual(d.errors, [], `${file}: ${d.errors.join("; ")}`);
  return docs.map((d) => d.toJS() as Doc).filter((d) => d !== null);
}

/** the base's objects, as kustomize would list them */
export function baseObjects(): Doc[] {
  const k = loadDocs(BASE + "kustomization.yaml")[0] as { resources: string[] };
  return k.resources.flatMap((r) => loadDocs(BASE + r));
}

test("every YAML file under istio/ parses; every kustomization's resources exist", () => {
  const files = yamlFiles(ISTIO);
  assert.ok(files.length >= 8, files.join(" "));
  for (const f of files) {
    const docs = loadDocs(f);
    assert.ok(docs.length > 0, `${f}: empty`);
    for (const d of docs) assert.ok(d.apiVersion && d.kind, `${relative(ROOT, f)}: a document without apiVersion/kind`);
    if (f.endsWith("kustomization.yaml")) {
      const k = docs[0] as { resources?: string[]; namespace?: string };
      for (const r of k.resources ?? []) {
        const p = join(f, "..", r);
        assert.ok(
          existsSync(p) && (statSync(p).isFile() || existsSync(join(p, "kustomization.yaml"))),
          `${relative(ROOT, f)}: resource ${r} missing`,
        );
      }
    }
  }
});

test("every object of the base is in the namespace the kustomization names (or cluster-scoped)", () => {
  const k = loadDocs(BASE + "kustomization.yaml")[0] as { namespace: string };
  const clusterScoped = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding"]);
  for (const d of baseObjects()) {
    if (clusterScoped.has(d.kind!)) assert.equal(d.metadata?.namespace, undefined, `${d.kind} ${d.metadata?.name}`);
    else assert.equal(d.metadata?.namespace, k.namespace, `${d.kind} ${d.metadata?.name}`);
  }
});

test("every WasmPlugin under istio/ passes Istio's CRD (schema and CEL rules)", () => {
  let n = 0;
  for (const f of yamlFiles(ISTIO)) {
    for (const d of loadDocs(f)) {
      if (d.kind !== "WasmPlugin") continue;
      n++;
      const r = validateObject(d);
      assert.ok(r.checked);
      assert.deepEqual(r.errors, [], `${relative(ROOT, f)} ${d.metadata?.name}`);
    }
  }
  assert.ok(n >= 2);
});

test("the examples' rendered.yaml is what render makes of their isvc.yaml (UPDATE_GOLDEN=1 rewrites)", async () => {
  const args = deploymentArgs();
  const mod = [
    "--module-url",
    args[args.indexOf("--module-url") + 1]!,
    "--module-sha256",
    args[args.indexOf("--module-sha256") + 1]!,
  ];
  for (const dir of readdirSync(ISTIO + "examples")) {
    const r = await runCli(["render", "-f", `${ISTIO}examples/${dir}/isvc.yaml`, ...mod]);
    assert.equal(r.code, 0, r.stderr);
    const file = `${ISTIO}examples/${dir}/rendered.yaml`;
    if (update) writeFileSync(file, r.stdout);
    else assert.equal(r.stdout, readFileSync(file, "utf8"), file);
  }
  const ext = loadDocs(ISTIO + "examples/external-https/rendered.yaml").map((d) => d.kind);
  assert.deepEqual(ext, ["WasmPlugin", "ServiceEntry", "DestinationRule"]);
});

type Rules = { rules: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[] };

function rulesOf(kind: "ClusterRole" | "Role", docs: Doc[] = loadDocs(BASE + "rbac.yaml")) {
  return rulesIn(docs.find((d) => d.kind === kind) as Rules & Doc);
}

function rulesIn(doc: Rules) {
  return doc.rules.flatMap((r) =>
    r.apiGroups.flatMap((g) =>
      r.resources.flatMap((res) =>
        r.verbs.map((v) => `${g}/${res}:${v}${r.resourceNames ? `[${[...r.resourceNames].sort().join(",")}]` : ""}`),
      ),
    ),
  );
}

test("RBAC: the ClusterRole and Role grant exactly the table the watch code is held to", () => {
  const want = (scope: string) =>
    WATCH_PERMISSIONS.filter((p) => p.scope === scope)
      .flatMap((p) =>
        p.verbs.map(
          (v) => `${p.group}/${p.resource}:${v}${p.resourceNames ? `[${[...p.resourceNames].sort().join(",")}]` : ""}`,
        ),
      )
      .sort();
  assert.deepEqual(rulesOf("ClusterRole").sort(), want("cluster"));
  assert.deepEqual(rulesOf("Role").sort(), want("control-namespace"));
  // bound to the installer's ServiceAccount; the Role lives in the installer's namespace
  const docs = loadDocs(BASE + "rbac.yaml");
  const sa = loadDocs(BASE + "serviceaccount.yaml")[0]!;
  const deploy = baseObjects().find((d) => d.kind === "Deployment" && d.metadata?.name === "kserve-wasm-logger") as {
    spec: { template: { spec: { serviceAccountName: string } } };
  } & Doc;
  assert.equal(deploy.spec.template.spec.serviceAccountName, sa.metadata!.name);
  for (const kind of ["ClusterRoleBinding", "RoleBinding"]) {
    const b = docs.find((d) => d.kind === kind) as {
      roleRef: { kind: string; name: string };
      subjects: { kind: string; name: string; namespace: string }[];
    };
    assert.deepEqual(
      b.subjects,
      [{ kind: "ServiceAccount", name: sa.metadata!.name, namespace: sa.metadata!.namespace }],
      kind,
    );
    assert.equal(b.roleRef.kind, kind.replace("Binding", ""));
  }
  assert.equal(docs.find((d) => d.kind === "Role")!.metadata!.namespace, deploy.metadata!.namespace);
  // nothing else grants anything
  assert.deepEqual(
    baseObjects()
      .filter((d) => /Role/.test(d.kind!))
      .map((d) => d.kind)
      .sort(),
    ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"],
  );
});

test("RBAC: istio/llm/rbac.yaml grants exactly what watch --llm-isvc adds, to the same ServiceAccount", () => {
  const docs = loadDocs(ISTIO + "llm/rbac.yaml");
  const want = LLM_WATCH_PERMISSIONS.flatMap((p) => p.verbs.map((v) => `${p.group}/${p.resource}:${v}`)).sort();
  assert.deepEqual(rulesOf("ClusterRole", docs).sort(), want);
  assert.ok(LLM_WATCH_PERMISSIONS.every((p) => p.scope === "cluster" && !p.resourceNames));
  const sa = loadDocs(BASE + "serviceaccount.yaml")[0]!;
  const b = docs.find((d) => d.kind === "ClusterRoleBinding") as {
    roleRef: { name: string };
    subjects: { kind: string; name: string; namespace: string }[];
  };
  assert.deepEqual(b.subjects, [
    { kind: "ServiceAccount", name: sa.metadata!.name, namespace: sa.metadata!.namespace },
  ]);
  assert.equal(b.roleRef.name, docs.find((d) => d.kind === "ClusterRole")!.metadata!.name);
  assert.deepEqual(
    docs.map((d) => d.kind),
    ["ClusterRole", "ClusterRoleBinding"],
  );
});

function deploymentArgs(): string[] {
  const d = loadDocs(BASE + "deployment.yaml")[0] as {
    spec: { template: { spec: { containers: { args: string[] }[] } } };
  };
  return d.spec.template.spec.containers[0]!.args;
}

test("the Deployment: args the CLI accepts, probes on the health endpoints, hardened, graceful", async () => {
  const d = loadDocs(BASE + "deployment.yaml")[0] as any;
  const pod = d.spec.template.spec;
  const c = pod.containers[0];
  const args: string[] = c.args;
  assert.deepEqual(args.slice(0, 2), ["watch", "-A"]);
  // parsed by the real command line parser (--help after strict parsing)
  const help = await runCli([...args, "--help"]);
  assert.equal(help.code, 0, help.stderr);
  // the module flags are valid
  const r = await runCli([
    "render",
    "-f",
    `${ISTIO}examples/in-mesh/isvc.yaml`,
    ...args.slice(2).filter((_, i, a) => !["--health-addr", ":8081", "--leader-elect"].includes(a[i]!)),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const port = Number(args[args.indexOf("--health-addr") + 1]!.split(":").pop());
  assert.equal(c.ports.find((p: { name: string }) => p.name === c.livenessProbe.httpGet.port).containerPort, port);
  assert.equal(c.livenessProbe.httpGet.path, "/healthz");
  assert.equal(c.readinessProbe.httpGet.path, "/readyz");
  assert.equal(c.readinessProbe.httpGet.port, c.livenessProbe.httpGet.port);
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.ok(pod.securityContext.runAsUser > 0);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
  assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
  assert.ok(pod.terminationGracePeriodSeconds >= 10);
  // two replicas, one leading (a node drain stops nothing), rolled one at a time, kept by a PDB
  assert.equal(d.spec.replicas, 2);
  assert.ok(args.includes("--leader-elect"));
  assert.equal(d.spec.strategy.type, "RollingUpdate");
  assert.deepEqual(c.env.find((e: { name: string }) => e.name === "POD_NAME").valueFrom.fieldRef, {
    fieldPath: "metadata.name",
  });
  const pdb = loadDocs(BASE + "pdb.yaml")[0] as any;
  assert.equal(pdb.kind, "PodDisruptionBudget");
  assert.equal(pdb.spec.minAvailable, 1);
  assert.deepEqual(pdb.spec.selector.matchLabels, d.spec.selector.matchLabels);
  assert.deepEqual(c.env.find((e: { name: string }) => e.name === "POD_NAMESPACE").valueFrom.fieldRef, {
    fieldPath: "metadata.namespace",
  });
  // the sample sink
  const sink = loadDocs(BASE + "message-dumper.yaml");
  assert.equal(
    sink.find((x) => x.kind === "Deployment")!.spec &&
      (sink.find((x) => x.kind === "Deployment") as any).spec.template.spec.containers[0].image,
    "gcr.io/knative-releases/knative.dev/eventing/cmd/event_display",
  );
  assert.ok(sink.find((x) => x.kind === "Service"));
});

test("Dockerfile: node:20-slim, copies the bundle build.mjs writes, non-root, entrypoint runs it; the bundle runs alone", async () => {
  const lines = readFileSync(ROOT + "Dockerfile", "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#"));
  assert.match(lines[0]!, /^FROM node:20-slim$/);
  const copy = lines.filter((l) => l.startsWith("COPY "));
  assert.equal(copy.length, 1, "one COPY: the bundle only");
  const [, src, dest] = copy[0]!.split(/\s+/);
  assert.equal(src, OUTFILE, "the Dockerfile copies what installer/build.mjs writes");
  const user = lines.find((l) => l.startsWith("USER "))!;
  assert.ok(user && !/^USER\s+(root|0)(:|$)/.test(user), "non-root USER");
  const entry = JSON.parse(lines.find((l) => l.startsWith("ENTRYPOINT "))!.slice("ENTRYPOINT ".length)) as string[];
  assert.deepEqual(entry, ["node", dest]);
  // build into an empty directory, as the image has it: no node_modules anywhere near
  const dir = mkdtempSync(join(tmpdir(), "kwl-image-"));
  const bundle = await buildBundle(join(dir, OUTFILE.split("/").pop()!));
  for (const cmd of [["--help"], ["watch", "--help"]]) {
    const r = spawnSync(process.execPath, [bundle, ...cmd], { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  }
  const r = spawnSync(process.execPath, [bundle, "render", "-f", "-", ...deploymentArgs().slice(2, 6)], {
    cwd: dir,
    input: readFileSync(`${ISTIO}examples/in-mesh/isvc.yaml`),
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(`${ISTIO}examples/in-mesh/rendered.yaml`, "utf8"));
});

// The namespaced overlay, as the real kustomize builds it (kubectl kustomize) when the machine has kubectl.
const kustomize = spawnSync("kubectl", ["kustomize", "--help"], { encoding: "utf8" }).status === 0;

test(
  "namespaced overlay: no cluster-wide grant; a Role per watched namespace = the code's namespaced table; the args name those namespaces",
  { skip: kustomize ? false : "kubectl (kustomize) is not installed" },
  async () => {
    const built = spawnSync("kubectl", ["kustomize", ISTIO + "overlays/namespaced"], { encoding: "utf8" });
    assert.equal(built.status, 0, built.stderr);
    const docs = YAML.parseAllDocuments(built.stdout).map((d) => d.toJS() as Doc);
    const deploy = docs.find(
      (d) => d.kind === "Deployment" && d.metadata?.name === "kserve-wasm-logger",
    ) as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } };
    const args = deploy.spec.template.spec.containers[0]!.args;
    assert.ok(!args.includes("-A"));
    const watched = args.flatMap((a, i) => (a === "-n" ? [args[i + 1]!] : []));
    assert.deepEqual(watched, ["models-a", "models-b"]);
    const table = namespacedWatchPermissions(watched);
    const want = (scope: string) =>
      table
        .filter((p) => p.scope === scope)
        .flatMap((p) =>
          p.verbs.map(
            (v) =>
              `${p.group}/${p.resource}:${v}${p.resourceNames ? `[${[...p.resourceNames].sort().join(",")}]` : ""}`,
          ),
        )
        .sort();
    const clusterRoles = docs.filter((d) => d.kind === "ClusterRole");
    assert.equal(clusterRoles.length, 1, "only the Namespace reader");
    assert.deepEqual(rulesIn(clusterRoles[0] as unknown as Rules).sort(), want("cluster"));
    for (const ns of watched) {
      const role = docs.find((d) => d.kind === "Role" && d.metadata?.namespace === ns) as unknown as Rules;
      assert.deepEqual(rulesIn(role).sort(), want("watched-namespaces"), ns);
      assert.ok(docs.some((d) => d.kind === "RoleBinding" && d.metadata?.namespace === ns));
    }
    const control = docs.find(
      (d) => d.kind === "Role" && d.metadata?.namespace === "kserve-wasm-logger",
    ) as unknown as Rules;
    assert.deepEqual(rulesIn(control).sort(), want("control-namespace"));
    // the args are valid for watch
    assert.equal((await runCli([...args, "--help"])).code, 0);
  },
);

// What a mesh admin applies must pin the module this tree builds: istio/base/deployment.yaml's
// --module-sha256, the Helm chart's default module.sha256 and the examples (their commands and
// rendered.yaml) carry the manifest digest
// of the image `make oci` makes from build/kserve-logger.wasm (deterministic: same module, same
// digest). A changed filter fails this until UPDATE_GOLDEN=1 writes the new digest in.
test(
  "istio/ pins the module this tree builds: the OCI manifest digest of make oci's image",
  { skip: existsSync(ROOT + "build/kserve-logger.wasm") ? false : "build/kserve-logger.wasm not built" },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "kwl-oci-pin-"));
    const digest = buildOciImage(
      ROOT + "build/kserve-logger.wasm",
      join(dir, "layout"),
      "latest",
    ).manifestDigest.replace("sha256:", "");
    const pinned = deploymentArgs()[deploymentArgs().indexOf("--module-sha256") + 1]!;
    const files = [
      "istio/base/deployment.yaml",
      "charts/kserve-wasm-logger/values.yaml",
      ...readdirSync(ISTIO + "examples").flatMap((d) => [
        `istio/examples/${d}/isvc.yaml`,
        `istio/examples/${d}/rendered.yaml`,
      ]),
    ];
    if (update && pinned !== digest) {
      for (const f of files) writeFileSync(ROOT + f, readFileSync(ROOT + f, "utf8").replaceAll(pinned, digest));
      return;
    }
    assert.equal(pinned, digest, "istio/base/deployment.yaml --module-sha256 (UPDATE_GOLDEN=1 rewrites istio/)");
    for (const f of files) {
      const shas = [...readFileSync(ROOT + f, "utf8").matchAll(/\b[a-f0-9]{64}\b/g)].map((m) => m[0]);
      assert.ok(shas.length > 0, `${f} names the digest`);
      for (const s of shas) assert.equal(s, digest, `${f}: ${s}`);
    }
  },
);
