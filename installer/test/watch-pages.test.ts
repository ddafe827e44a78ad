// `watch` with more InferenceServices than one list page (500) against the in-process API
// endpoint: every page is read, and neither a relist after 410 Gone nor a restart (a fresh list)
// deletes anything. In a file of its own, so that it runs in a fresh process.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import YAML from "yaml";
import { FakeApiServer } from "./fake-apiserver.js";
import { MODULE_ARGS, ROOT } from "./helpers.js";
import { FAST_RETRY, fakeCluster, waitUntil, watchInProcess } from "./watch-helpers.js";

const ISVC = YAML.parse(readFileSync(ROOT + "testdata/isvc/sklearn-iris-annotated.yaml", "utf8"));
const ARGS = ["-A", ...FAST_RETRY, ...MODULE_ARGS];
function isvcNamed(name: string) {
  return { ...ISVC, metadata: { ...ISVC.metadata, name } };
}
describe("watch (in-process) with more objects than one list page", () => {
  const api = new FakeApiServer();
  after(async () => {
    await api.stop();
  });

  test("1,200 ISVCs: every page read, all reconciled; a relist after 410 Gone and a restart delete nothing", async () => {
    const n = 1200;
    await fakeCluster(api, ...Array.from({ length: n }, (_, i) => isvcNamed(`m-${String(i).padStart(4, "0")}`)));
    const stop = (r: ReturnType<typeof watchInProcess>) =>
      // bounded, so that a stuck stop shows as this test's failure with the controller's output
      Promise.race([
        r.stop(),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`stop timed out:\n${r.lines.all.slice(-3000)}`)), 30_000),
        ),
      ]);
    const first = watchInProcess(ARGS);
    try {
      await first.lines.waitFor(new RegExp(`^synced: ${n} InferenceService\\(s\\)`));
      await waitUntil(
        () => api.all("WasmPlugin").length === n,
        `${n} WasmPlugins (have ${api.all("WasmPlugin").length})`,
        60_000,
      );
      const lists = api.requests.filter((r) => r.verb === "list" && r.resource === "inferenceservices").length;
      assert.ok(lists >= 3, `the first list took ${lists} pages of 500`);
      // as in the outage test of watch.test.ts: the server goes, its history is compacted
      // meanwhile, it comes back; every watch gets 410 and every collection is listed again
      const before = api.requests.length;
      await api.stop();
      await first.lines.waitFor(/retrying in \S+$/);
      api.put(isvcNamed("after-compaction"));
      api.compact();
      await api.start();
      await first.lines.waitFor(
        /inferenceservices \(all namespaces\): resourceVersion \d+ is too old \(410 Expired\); relisting$/,
      );
      await first.lines.waitFor(/^applied default\/after-compaction-predictor-logger \(created\)$/);
      const relistPages = api.requests
        .slice(before)
        .filter((r) => r.verb === "list" && r.resource === "inferenceservices").length;
      assert.ok(relistPages >= 3, `the relist read every page (${relistPages} list requests)`);
      assert.equal(first.lines.count(/^deleted /), 0, "a relist past the first page deletes none of the 1,200");
      assert.equal(api.all("WasmPlugin").length, n + 1);
    } finally {
      await stop(first);
    }
    api.put(isvcNamed("while-down"));
    const second = watchInProcess(ARGS);
    try {
      await second.lines.waitFor(
        new RegExp(`^synced: ${n + 2} InferenceService\\(s\\), ${n + 1} object\\(s\\) of ours`),
      );
      await second.lines.waitFor(/^applied default\/while-down-predictor-logger \(created\)$/);
      assert.equal(second.lines.count(/^deleted /), 0, "a list past the first page deletes none of the 1,200");
      assert.equal(api.all("WasmPlugin").length, n + 2);
    } finally {
      await stop(second);
    }
  });
});
