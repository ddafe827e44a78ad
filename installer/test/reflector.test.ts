// The Reflector alone against the in-process API endpoint, through the real client-node: how
// it ends. A stop() that comes while a list is in flight (a relist of many pages takes a while)
// must return at once when that list comes back, and open no watch behind it; before, the loop
// went on into a watch that nothing ended, and stop() waited for the server's timeoutSeconds.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ClientNodeKube, type Kube } from "../src/kube/client.js";
import { Reflector } from "../src/kube/reflector.js";
import { FakeApiServer } from "./fake-apiserver.js";
import { waitUntil } from "./watch-helpers.js";

/** A Kube whose lists wait until release() is called, and which counts the watches it opens. */
function gatedKube(inner: Kube) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const counts = { lists: 0, watches: 0 };
  const kube: Kube = {
    ...inner,
    get: (r) => inner.get(r),
    list: (...a) => inner.list(...a),
    create: (o) => inner.create(o),
    apply: (o, d) => inner.apply(o, d),
    mergePatch: (...a) => inner.mergePatch(...a),
    delete: (...a) => inner.delete(...a),
    listWithVersion: async (...a) => {
      counts.lists++;
      const r = await inner.listWithVersion(...a);
      await gate;
      return r;
    },
    watch: (...a) => {
      counts.watches++;
      return inner.watch(...a);
    },
  };
  return { kube, counts, release };
}

describe("Reflector: stop", () => {
  const api = new FakeApiServer();
  let inner: Kube;
  before(async () => {
    inner = new ClientNodeKube(await api.start());
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
  });
  after(() => api.stop());

  const reflector = (kube: Kube, lines: string[]) =>
    new Reflector(kube, {
      apiVersion: "v1",
      kind: "Namespace",
      backoff: { initialMs: 10, maxMs: 50 },
      watchTimeoutSeconds: 300,
      log: (l) => lines.push(l),
      onChange: () => {},
    });

  test("stop() during a list in flight: returns when the list comes back, and no watch is opened after it", async () => {
    const g = gatedKube(inner);
    const lines: string[] = [];
    const r = reflector(g.kube, lines);
    r.start();
    await waitUntil(() => g.counts.lists === 1, "the list request");
    const stopped = r.stop();
    g.release();
    // bounded: the server would end the watch only after timeoutSeconds (300 s)
    const outcome = await Promise.race([
      stopped.then(() => "stopped"),
      new Promise((ok) => setTimeout(() => ok("still running after 10 s"), 10_000)),
    ]);
    assert.equal(outcome, "stopped");
    assert.equal(g.counts.watches, 0, "no watch opened after stop()");
    assert.equal(api.openWatches, 0);
    assert.deepEqual(lines, []);
  });

  test("stop() during a watch: the watch connection is closed and stop() returns", async () => {
    const g = gatedKube(inner);
    g.release();
    const r = reflector(g.kube, []);
    r.start();
    await waitUntil(() => api.openWatches === 1, "the watch");
    await r.stop();
    await waitUntil(() => api.openWatches === 0, "the watch closed on the server");
    assert.equal(g.counts.watches, 1);
  });

  test("stop() before the watch request is answered: the watch opened is closed", async () => {
    const g = gatedKube(inner);
    g.release();
    const r = reflector(g.kube, []);
    r.start();
    await waitUntil(() => g.counts.watches === 1, "the watch request");
    await r.stop();
    await waitUntil(() => api.openWatches === 0, "no watch left open on the server");
  });
});
