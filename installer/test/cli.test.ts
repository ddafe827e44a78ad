import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { test } from "node:test";
import YAML from "yaml";
import { MODULE_ARGS, ROOT, runCli } from "./helpers.js";

const ISVC = ROOT + "testdata/isvc/sklearn-iris-annotated.yaml";

test("--help on every command, and the command list", async () => {
  const top = await runCli(["--help"]);
  assert.equal(top.code, 0);
  const commands = [...top.stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1]!);
  assert.ok(commands.includes("render") && commands.includes("validate"));
  for (const c of commands) {
    const r = await runCli([c, "--help"]);
    assert.equal(r.code, 0, c);
    assert.match(r.stdout, /Usage:\n {2}kserve-wasm-logger /);
    assert.match(r.stdout, /-h, --help/);
  }
});

test("exit codes: 2 for a bad command line, 1 for invalid input, errors on stderr only", async () => {
  for (const args of [
    ["nope"],
    ["render", "--bogus"],
    ["render", "-f", ISVC],
    ["render", "-f", ISVC, ...MODULE_ARGS, "-o", "xml"],
    [],
  ]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, args.join(" "));
  }
  const missing = await runCli(["render", "-f", "/nonexistent.yaml", ...MODULE_ARGS]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read \/nonexistent\.yaml/);
  assert.equal(missing.stdout, "");
  const dir = mkdtempSync(tmpdir() + "/kwl-");
  writeFileSync(dir + "/bad.yaml", "a: [1, 2\n");
  const bad = await runCli(["render", "-f", dir + "/bad.yaml", ...MODULE_ARGS]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /not valid YAML\/JSON/);
});

test("--module-file computes the sha256; refused for oci:// (Istio checks the manifest digest there)", async () => {
  const dir = mkdtempSync(tmpdir() + "/kwl-");
  const wasm = Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  writeFileSync(dir + "/m.wasm", wasm);
  const r = await runCli([
    "render",
    "-f",
    ISVC,
    "--module-url",
    "https://example.com/m.wasm",
    "--module-file",
    dir + "/m.wasm",
    "-o",
    "json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).spec.sha256, createHash("sha256").update(wasm).digest("hex"));
  const oci = await runCli(["render", "-f", ISVC, "--module-url", "oci://x/y", "--module-file", dir + "/m.wasm"]);
  assert.equal(oci.code, 2);
  writeFileSync(dir + "/not.wasm", "hello");
  const notWasm = await runCli([
    "render",
    "-f",
    ISVC,
    "--module-url",
    "https://x/m.wasm",
    "--module-file",
    dir + "/not.wasm",
  ]);
  assert.equal(notWasm.code, 1);
  assert.match(notWasm.stderr, /is not a Wasm module/);
});

test("-n: default namespace, and a mismatch is an error as with kubectl", async () => {
  const r = await runCli([
    "render",
    "-f",
    ROOT + "testdata/isvc/default-logger.yaml",
    "-n",
    "team-a",
    ...MODULE_ARGS,
    "-o",
    "json",
  ]);
  assert.equal(JSON.parse(r.stdout).metadata.namespace, "team-a");
  const m = await runCli(["render", "-f", ISVC, "-n", "other", ...MODULE_ARGS]);
  assert.equal(m.code, 1);
  assert.match(m.stderr, /does not match the namespace given with -n/);
});

test("several files and documents render together; all or nothing", async () => {
  const ok = await runCli([
    "render",
    "-f",
    ISVC,
    "-f",
    ROOT + "testdata/isvc/knative-broker.yaml",
    ...MODULE_ARGS,
    "-o",
    "json",
  ]);
  const list = JSON.parse(ok.stdout);
  assert.equal(list.kind, "List");
  assert.equal(list.items.length, 3);
  const mixed = await runCli([
    "render",
    "-f",
    ISVC,
    "-f",
    ROOT + "testdata/isvc/invalid/unknown-mode.yaml",
    ...MODULE_ARGS,
  ]);
  assert.equal(mixed.code, 1);
  assert.equal(mixed.stdout, "");
});

test("the esbuild bundle runs: render from stdin and validate", () => {
  execFileSync(process.execPath, [ROOT + "installer/build.mjs"], { cwd: ROOT });
  const bundle = ROOT + "installer/dist/kserve-wasm-logger.mjs";
  const r = spawnSync(process.execPath, [bundle, "render", "-f", "-", ...MODULE_ARGS], {
    input: readIsvc(),
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  const plugin = YAML.parse(r.stdout);
  assert.equal(plugin.kind, "WasmPlugin");
  assert.equal(plugin.spec.pluginConfig.annotations["serving.example.com/tenant"], "acme");
  const v = spawnSync(process.execPath, [bundle, "validate", "-f", "-"], { input: r.stdout, encoding: "utf8" });
  assert.equal(v.status, 0, v.stderr);
  const bad = spawnSync(process.execPath, [bundle, "validate", "-f", ROOT + "testdata/istio/wasm-invalid.yaml"], {
    encoding: "utf8",
  });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^error: /m);
});

function readIsvc(): string {
  return readFileSync(ISVC, "utf8");
}

test("cluster-wide pluginConfig flags are checked against the contract before anything is read", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["--max-body-bytes", "67108865"],
      /--max-body-bytes: 67108865 outside 0\.\.67108864 \(pluginConfig limits\.maxBodyBytes\)/,
    ],
    [["--max-inflight-callouts", "0"], /--max-inflight-callouts: 0 outside 1\.\.4096/],
    [["--logger-timeout-ms", "60001"], /--logger-timeout-ms: 60001 outside 1\.\.60000/],
    [["--redact-path", "a..b"], /--redact-path: "a\.\.b" has an empty segment/],
    [
      ["--retry-initial-backoff-ms", "5000"],
      /--retry-max-backoff-ms: 2000 \(default\) must not be smaller than retry\.initialBackoffMs 5000/,
    ],
    [["--header-encoding", "base64"], /--header-encoding: "base64" is not raw or percent/],
    [["--event-id", "uuid"], /--event-id: "uuid" is not kserve or x-request-id/],
    [["--logger-timeout-ms", "1", "--timeout-ms", "2"], /disagree/],
    [["--ce-endpoint", "revision"], /--ce-endpoint: "revision" is not traffic or kserve/],
    [["--sample-rate", "1.5"], /--sample-rate: "1\.5" is not a number from 0 to 1/],
    [["--sample-rate", "half"], /--sample-rate: "half" is not a number from 0 to 1/],
    [
      ["--sample-header", "x log"],
      /--sample-header: "x log" is not a valid header name \(pluginConfig sampling\.header\)/,
    ],
    [["--llm", "maybe"], /--llm: "maybe" is not auto, on or off/],
    [["--llm-body", "json"], /--llm-body: "json" is not raw or reassembled/],
    [["--llm", "off", "--llm-body", "raw"], /--llm-body and --llm-max-event-bytes need LLM mode/],
    [
      ["--llm-max-event-bytes", "10"],
      /--llm-max-event-bytes: 10 outside 1024\.\.1048576 \(pluginConfig llm\.maxEventBytes\)/,
    ],
    [
      ["--max-metadata-bytes", "1"],
      /--max-metadata-bytes: 1 outside 2\.\.65536 \(pluginConfig limits\.maxMetadataBytes\)/,
    ],
    [["--batch-max-events", "1001"], /--batch-max-events: 1001 outside 1\.\.1000 \(pluginConfig batch\.maxEvents\)/],
    [
      ["--batch-interval-ms", "5", "--header-encoding", "percent"],
      /--batch-\*: headerEncoding percent applies to binary mode only/,
    ],
  ];
  for (const [flags, re] of cases) {
    for (const cmd of ["render", "apply", "watch"]) {
      const args =
        cmd === "render"
          ? ["render", "-f", ROOT + "testdata/isvc/sklearn-iris-basic.yaml"]
          : cmd === "apply"
            ? ["apply", "--all"]
            : ["watch", "-A"];
      const r = await runCli([...args, ...flags, ...MODULE_ARGS]);
      assert.equal(r.code, 2, `${cmd} ${flags.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, re, `${cmd} ${flags.join(" ")}`);
    }
  }
});

test("batch mode and the metadata cap reach the rendered pluginConfig", async () => {
  const r = await runCli([
    "render",
    "-f",
    ISVC,
    ...MODULE_ARGS,
    "-o",
    "json",
    "--batch-max-events",
    "50",
    "--batch-interval-ms",
    "200",
    "--max-metadata-bytes",
    "4096",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const plugin = out.kind === "List" ? out.items[0] : out;
  assert.deepEqual(plugin.spec.pluginConfig.batch, { maxEvents: 50, intervalMs: 200 });
  assert.equal(plugin.spec.pluginConfig.limits.maxMetadataBytes, 4096);
  const plain = JSON.parse((await runCli(["render", "-f", ISVC, ...MODULE_ARGS, "-o", "json"])).stdout);
  assert.equal(
    (plain.kind === "List" ? plain.items[0] : plain).spec.pluginConfig.batch,
    undefined,
    "no flag, no batch: one request per event",
  );
});

test("a logger URL's password or token never reaches stderr", async () => {
  const dir = mkdtempSync(tmpdir() + "/kwl-");
  const doc = YAML.parse(readFileSync(ISVC, "utf8"));
  for (const url of [
    "http://admin:hunter2@message-dumper.default/",
    "http://message-dumper.default/?token=hunter2&api_key=hunter2",
  ]) {
    doc.spec.predictor.logger.url = url;
    writeFileSync(dir + "/isvc.yaml", YAML.stringify(doc));
    const r = await runCli(["render", "-f", dir + "/isvc.yaml", ...MODULE_ARGS]);
    assert.equal(r.code, 1, url);
    assert.match(r.stderr, /spec\.predictor\.logger\.url/);
    assert.ok(!r.stderr.includes("hunter2") && !r.stdout.includes("hunter2"), r.stderr);
  }
});

test("a LoggerSpec field that KServe does not have is an error naming it and the nearest known one", async () => {
  const dir = mkdtempSync(tmpdir() + "/kwl-typo-");
  writeFileSync(
    dir + "/isvc.yaml",
    "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: iris, namespace: models}\n" +
      'spec:\n  predictor:\n    model: {modelFormat: {name: sklearn}}\n    logger: {url: "http://sink.models/", metadataHeader: ["X-Tenant"]}\n',
  );
  const r = await runCli(["render", "-f", dir + "/isvc.yaml", ...MODULE_ARGS]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "", "nothing rendered");
  assert.match(
    r.stderr,
    /spec\.predictor\.logger\.metadataHeader: unknown field of a logger spec \(did you mean "metadataHeaders"\?\)/,
  );
});

test("the module is pinned: --module-sha256 required unless --allow-unpinned-module; sha256:HEX as registries print it", async () => {
  const base = ["render", "-f", ISVC, "--module-url", "oci://registry.example.com/f:1", "-o", "json"];
  const unpinned = await runCli(base);
  assert.equal(unpinned.code, 2);
  assert.match(unpinned.stderr, /--module-sha256 is required .*--allow-unpinned-module/);
  const allowed = await runCli([...base, "--allow-unpinned-module"]);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.equal(JSON.parse(allowed.stdout).spec.sha256, undefined, "no integrity check, as asked");
  const hex = "ab".repeat(32);
  const prefixed = await runCli([...base, "--module-sha256", `sha256:${hex}`]);
  assert.equal(prefixed.code, 0, prefixed.stderr);
  assert.equal(JSON.parse(prefixed.stdout).spec.sha256, hex);
});

test("a mistyped command or flag is named, with the nearest one; a flag a command does not have is refused, not ignored", async () => {
  const cmd = await runCli(["stauts"]);
  assert.equal(cmd.code, 2);
  assert.match(cmd.stderr, /^error: unknown command "stauts" \(did you mean "status"\?\)/);
  const flag = await runCli(["render", "-f", ISVC, "--module-sha", "x"]);
  assert.equal(flag.code, 2);
  assert.match(
    flag.stderr,
    /^error: render has no flag --module-sha \(did you mean --module-sha256\?\)\nSee "kserve-wasm-logger render --help"\.\n$/,
  );
  // enable, disable and status have no dry run: --dry-run would have written for real
  for (const c of ["enable", "disable", "status"]) {
    const r = await runCli([c, "x", "--dry-run=client"]);
    assert.equal(r.code, 2, c);
    assert.match(r.stderr, new RegExp(`^error: ${c} has no flag --dry-run\\b`));
  }
});
