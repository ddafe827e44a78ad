// render golden tests: every ISVC in testdata/isvc/ (and the invalid ones) against what was
// reviewed and committed in testdata/golden/. UPDATE_GOLDEN=1 rewrites the goldens.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { MODULE_ARGS, ROOT, runCli } from "./helpers.js";

const update = process.env.UPDATE_GOLDEN === "1";
const isvcDir = ROOT + "testdata/isvc/";
const goldenDir = ROOT + "testdata/golden/";

interface Case {
  name: string;
  args: string[];
}

const cases: Case[] = [
  ...readdirSync(isvcDir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => ({
      name: f.replace(/\.yaml$/, ""),
      args: ["render", "-f", `testdata/isvc/${f}`, ...MODULE_ARGS],
    })),
  ...readdirSync(isvcDir + "invalid")
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => ({
      name: `invalid-${f.replace(/\.yaml$/, "")}`,
      args: ["render", "-f", `testdata/isvc/invalid/${f}`, ...MODULE_ARGS],
    })),
  // flags that change the outcome
  {
    name: "missing-annotation.strict",
    args: ["render", "-f", "testdata/isvc/missing-annotation.yaml", "--strict", ...MODULE_ARGS],
  },
  {
    name: "invalid-sensitive.allowed",
    args: [
      "render",
      "-f",
      "testdata/isvc/invalid/sensitive.yaml",
      "--allow-header",
      "authorization",
      "--allow-header",
      "Cookie",
      "--allow-header",
      "X-Api-Key",
      "--allow-annotation",
      "serving.example.com/api-token",
      "--allow-annotation",
      "kubectl.kubernetes.io/last-applied-configuration",
      ...MODULE_ARGS,
    ],
  },
  {
    // ambient: the component's waypoint, identity from the pluginConfig, the logger by inbound-vip
    name: "sklearn-iris-annotated.waypoint",
    args: [
      "render",
      "-f",
      "testdata/isvc/sklearn-iris-annotated.yaml",
      "--attach",
      "waypoint",
      "--istio-version",
      "1.24",
      ...MODULE_ARGS,
    ],
  },
  {
    name: "transformer-predictor.waypoint",
    args: ["render", "-f", "testdata/isvc/transformer-predictor.yaml", "--attach", "waypoint", ...MODULE_ARGS],
  },
  {
    // refused: canaries share the predictor's Service; an external logger is no Service of the waypoint
    name: "canary-raw.waypoint",
    args: ["render", "-f", "testdata/isvc/canary-raw.yaml", "--attach", "waypoint", ...MODULE_ARGS],
  },
  {
    name: "external-https.waypoint",
    args: ["render", "-f", "testdata/isvc/external-https.yaml", "--attach", "waypoint", ...MODULE_ARGS],
  },
  {
    // sampling, and LLM mode as a flag sets it
    name: "huggingface-llm.sampled",
    args: [
      "render",
      "-f",
      "testdata/isvc/huggingface-llm.yaml",
      "--sample-rate",
      "0.1",
      "--sample-header",
      "x-kserve-log",
      "--llm-body",
      "reassembled",
      ...MODULE_ARGS,
    ],
  },
  {
    name: "huggingface-llm.llm-off",
    args: ["render", "-f", "testdata/isvc/huggingface-llm.yaml", "--llm", "off", ...MODULE_ARGS],
  },
  {
    name: "default-logger.options",
    args: [
      "render",
      "-f",
      "testdata/isvc/default-logger.yaml",
      "-n",
      "ml",
      "--default-logger-url",
      "http://kafka-broker-ingress.knative-eventing/ml/logs",
      "--timeout-ms",
      "2000",
      "--max-body-bytes",
      "65536",
      "--max-inflight-callouts",
      "16",
      "--log-all-responses",
      "--header-encoding",
      "percent",
      "-o",
      "json",
      ...MODULE_ARGS,
    ],
  },
  {
    name: "sklearn-iris-annotated.cluster-flags",
    args: [
      "render",
      "-f",
      "testdata/isvc/sklearn-iris-annotated.yaml",
      "--logger-timeout-ms",
      "1500",
      "--log-all-responses",
      "--header-encoding",
      "percent",
      "--max-body-bytes",
      "262144",
      "--max-inflight-callouts",
      "128",
      "--drain-timeout-ms",
      "30000",
      "--max-retries",
      "4",
      "--retry-initial-backoff-ms",
      "50",
      "--retry-max-backoff-ms",
      "1000",
      "--retry-budget-bytes",
      "1048576",
      "--redact-path",
      "instances.*.ssn",
      "--redact-path",
      "inputs.0.data",
      "--source",
      "http://sklearn-iris.default/",
      ...MODULE_ARGS,
    ],
  },
  {
    name: "sklearn-iris-annotated.o-json",
    args: ["render", "-f", "testdata/isvc/sklearn-iris-annotated.yaml", "-o", "json", ...MODULE_ARGS],
  },
];

for (const c of cases) {
  test(`render golden: ${c.name}`, async () => {
    const prev = process.cwd();
    process.chdir(ROOT);
    const r = await runCli(c.args).finally(() => process.chdir(prev));
    const outFile = goldenDir + c.name + (c.args.includes("json") ? ".json" : ".yaml");
    const errFile = goldenDir + c.name + ".stderr";
    const err = r.stderr + `exit code: ${r.code}\n`;
    if (update) {
      if (r.stdout !== "") writeFileSync(outFile, r.stdout);
      else if (existsSync(outFile)) rmSync(outFile);
      writeFileSync(errFile, err);
      return;
    }
    assert.equal(err, readFileSync(errFile, "utf8"), `${errFile} (UPDATE_GOLDEN=1 to regenerate)`);
    assert.equal(
      r.stdout,
      existsSync(outFile) ? readFileSync(outFile, "utf8") : "",
      `${outFile} (UPDATE_GOLDEN=1 to regenerate)`,
    );
  });
}

test("every golden WasmPlugin validates against Istio's CRD (validate command)", async () => {
  const files = readdirSync(goldenDir).filter((f) => f.endsWith(".yaml") || f.endsWith(".json"));
  assert.ok(files.length >= 10);
  const r = await runCli(["validate", ...files.flatMap((f) => ["-f", goldenDir + f])]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /error/);
});
