// The installer as people install it: `npm pack` of installer/ (prepack builds the one-file bundle),
// the tarball installed into a fresh prefix with no registry (it has no dependencies), and the
// installed commands run: kserve-wasm-logger --version / --help / render, and the same program as
// the kubectl plugin kubectl-kserve_logger (`kubectl kserve-logger apply/status`) against the
// real API server of test-infra/kube.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import YAML from "yaml";
import { ClientNodeKube } from "../src/kube/client.js";
import { readBuildInfo } from "../src/version.js";
import { MODULE_ARGS, ROOT } from "./helpers.js";
import { controlPlaneSkip, ensureControlPlane, stopControlPlaneIfStarted } from "./real-kube.js";

const KUBECTL = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].find((p) => existsSync(p));

describe("the installer package: npm pack, installed into a fresh prefix", () => {
  const dir = mkdtempSync(join(tmpdir(), "kwl-pack-"));
  const prefix = join(dir, "prefix");
  const bin = join(prefix, "bin");
  const run = (cmd: string, args: string[], env: Record<string, string> = {}) =>
    spawnSync(cmd, args, {
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, ...env },
    });

  before(() => {
    execFileSync("npm", ["pack", "--pack-destination", dir, "--silent"], {
      cwd: ROOT + "installer",
      stdio: ["ignore", "pipe", "inherit"],
    });
    const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"));
    assert.ok(tgz, "npm pack wrote a tarball");
    execFileSync(
      "npm",
      ["install", "-g", "--prefix", prefix, "--offline", "--no-audit", "--no-fund", "--silent", join(dir, tgz!)],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
  });

  test("kserve-wasm-logger --version: the package's version and the filter module it was built with", () => {
    const r = run(join(bin, "kserve-wasm-logger"), ["--version"]);
    assert.equal(r.status, 0, r.stderr);
    const facts = readBuildInfo(ROOT);
    assert.match(r.stdout, new RegExp(`^kserve-wasm-logger ${facts.version.replace(/\./g, "\\.")}\n`));
    if (facts.moduleSha256) assert.ok(r.stdout.includes(`sha256:${facts.moduleSha256}`), r.stdout);
  });

  test("the installed command renders, with its --help; nothing but the bundle was installed", () => {
    assert.equal(run(join(bin, "kserve-wasm-logger"), ["--help"]).status, 0);
    const r = run(join(bin, "kserve-wasm-logger"), [
      "render",
      "-f",
      ROOT + "testdata/isvc/sklearn-iris-annotated.yaml",
      ...MODULE_ARGS,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const kinds = YAML.parseAllDocuments(r.stdout).map((d) => (d.toJS() as { kind: string }).kind);
    assert.ok(kinds.includes("WasmPlugin"), kinds.join(","));
    assert.deepEqual(readdirSync(join(prefix, "lib/node_modules/kserve-wasm-logger")).sort(), [
      "LICENSE",
      "README.md",
      "dist",
      "package.json",
    ]);
  });

  describe(
    "as a kubectl plugin against the real API server",
    { skip: !KUBECTL ? "kubectl is not installed" : controlPlaneSkip() },
    () => {
      let env: Record<string, string>;
      const ns = `kwl-plugin-${process.pid}`;
      before(async () => {
        env = ensureControlPlane();
        const kc = new KubeConfig();
        kc.loadFromFile(env.KUBECONFIG!);
        const admin = new ClientNodeKube(kc);
        await admin.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
        const isvc = YAML.parse(readFileSync(ROOT + "testdata/isvc/sklearn-iris-annotated.yaml", "utf8"));
        await admin.apply({ ...isvc, metadata: { ...isvc.metadata, namespace: ns } });
      });
      after(() => stopControlPlaneIfStarted());

      test("kubectl kserve-logger apply, then status: the ISVC's row", () => {
        const kube = { KUBECONFIG: env.KUBECONFIG! };
        const applied = run(KUBECTL!, ["kserve-logger", "apply", "sklearn-iris", "-n", ns, ...MODULE_ARGS], kube);
        assert.equal(applied.status, 0, applied.stderr);
        assert.match(applied.stdout, /^wasmplugin\/sklearn-iris-predictor-logger -n \S+ applied$/m);
        const status = run(KUBECTL!, ["kserve-logger", "status", "-n", ns], kube);
        assert.equal(status.status, 0, status.stderr);
        assert.match(status.stdout, new RegExp(`^${ns}\\s+sklearn-iris\\s+predictor\\s`, "m"));
      });
    },
  );
});
