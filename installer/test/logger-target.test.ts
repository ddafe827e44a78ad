import assert from "node:assert/strict";
import { test } from "node:test";
import { inMeshFqdn, LoggerUrlError, reachabilityObjects, redactUrl, resolveLoggerUrl } from "../src/logger-target.js";

const opts = { namespace: "models", clusterDomain: "cluster.local" };

test("in-mesh names resolve as from a pod in the ISVC namespace", () => {
  assert.equal(inMeshFqdn("message-dumper", opts), "message-dumper.models.svc.cluster.local");
  assert.equal(inMeshFqdn("message-dumper.default", opts), "message-dumper.default.svc.cluster.local");
  assert.equal(inMeshFqdn("message-dumper.default.svc", opts), "message-dumper.default.svc.cluster.local");
  assert.equal(
    inMeshFqdn("message-dumper.default.svc.cluster.local", opts),
    "message-dumper.default.svc.cluster.local",
  );
  assert.equal(inMeshFqdn("logger.example.com", opts), undefined);
  assert.equal(inMeshFqdn("10.0.0.7", opts), undefined);
  assert.equal(inMeshFqdn("a.svc.cluster.local", opts), undefined);
});

test("cluster name, authority and path", () => {
  const t = resolveLoggerUrl("http://message-dumper.default/", opts);
  assert.equal(t.cluster, "outbound|80||message-dumper.default.svc.cluster.local");
  assert.equal(t.authority, "message-dumper.default.svc.cluster.local");
  assert.equal(t.path, "/");
  const p = resolveLoggerUrl("http://sink:8080/events?x=1", opts);
  assert.equal(p.cluster, "outbound|8080||sink.models.svc.cluster.local");
  assert.equal(p.authority, "sink.models.svc.cluster.local:8080");
  assert.equal(p.path, "/events?x=1");
  const b = resolveLoggerUrl("http://broker-ingress.knative-eventing.svc.cluster.local/ns/default", opts);
  assert.equal(b.cluster, "outbound|80||broker-ingress.knative-eventing.svc.cluster.local");
  assert.equal(b.path, "/ns/default");
  const other = resolveLoggerUrl("http://x.y.svc.corp.internal/", { namespace: "a", clusterDomain: "corp.internal" });
  assert.equal(other.cluster, "outbound|80||x.y.svc.corp.internal");
});

test("external https: plaintext port 80 to the cluster, TLS originated by ServiceEntry + DestinationRule", () => {
  const t = resolveLoggerUrl("https://events.example.com:8443/in", opts);
  assert.equal(t.cluster, "outbound|80||events.example.com");
  assert.equal(t.authority, "events.example.com:8443");
  const objs = reachabilityObjects(t, { name: "m", namespace: "models", labels: {} }) as any[];
  assert.deepEqual(
    objs.map((o) => o.kind),
    ["ServiceEntry", "DestinationRule"],
  );
  assert.deepEqual(objs[0].spec.ports, [
    { number: 80, name: "http-tls-origination", protocol: "HTTP", targetPort: 8443 },
  ]);
  assert.equal(objs[1].spec.trafficPolicy.portLevelSettings[0].tls.mode, "SIMPLE");
  assert.equal(objs[1].spec.trafficPolicy.portLevelSettings[0].tls.sni, "events.example.com");
});

test("external http gets a ServiceEntry only; in-mesh http gets nothing", () => {
  const ext = resolveLoggerUrl("http://logs.example.org:9000/", opts);
  assert.equal(ext.cluster, "outbound|9000||logs.example.org");
  assert.deepEqual(
    (reachabilityObjects(ext, { name: "m", namespace: "n", labels: {} }) as any[]).map((o) => o.kind),
    ["ServiceEntry"],
  );
  assert.deepEqual(
    reachabilityObjects(resolveLoggerUrl("http://sink", opts), { name: "m", namespace: "n", labels: {} }),
    [],
  );
  const ip = reachabilityObjects(resolveLoggerUrl("http://10.1.2.3:8080/", opts), {
    name: "m",
    namespace: "n",
    labels: {},
  }) as any[];
  assert.equal(ip[0].spec.resolution, "STATIC");
});

test("in-mesh https: TLS originated on the service port", () => {
  const t = resolveLoggerUrl("https://sink.obs/", opts);
  assert.equal(t.cluster, "outbound|443||sink.obs.svc.cluster.local");
  const objs = reachabilityObjects(t, { name: "m", namespace: "n", labels: {} }) as any[];
  assert.deepEqual(
    objs.map((o) => o.kind),
    ["DestinationRule"],
  );
});

test("refused URLs say why", () => {
  for (const [u, re] of [
    ["s3://bucket/x", /blob storage/],
    ["ftp://x/", /http or https/],
    ["message-dumper", /not an absolute URL/],
    ["http://user:pw@sink/", /credentials/],
    ["http://sink/#frag", /fragment/],
  ] as const) {
    assert.throws(
      () => resolveLoggerUrl(u, opts),
      (e: Error) => e instanceof LoggerUrlError && re.test(e.message),
      u,
    );
  }
});

test("messages never repeat a URL's userinfo or query values", () => {
  for (const raw of [
    "http://admin:hunter2@sink.models/",
    "ftp://admin:hunter2@sink/",
    "http://sink/#x?token=hunter2",
    "not a url ?token=hunter2",
  ]) {
    assert.throws(
      () => resolveLoggerUrl(raw, opts),
      (e: Error) => e instanceof LoggerUrlError && !e.message.includes("hunter2") && !e.message.includes("admin"),
      raw,
    );
  }
  assert.equal(
    redactUrl("https://u:p@h.example:8443/a/b?token=abc&x=1"),
    "https://***@h.example:8443/a/b?token=***&x=***",
  );
  assert.equal(redactUrl("http://sink/"), "http://sink/");
});

test("query parameters named like credentials are refused unless allowed", () => {
  assert.throws(
    () => resolveLoggerUrl("http://sink.models/ingest?token=s3cr3t&api_key=k", opts),
    (e: Error) =>
      /query parameter\(s\) token, api_key look like credentials.*--allow-logger-query/.test(e.message) &&
      !e.message.includes("s3cr3t"),
  );
  assert.equal(
    resolveLoggerUrl("http://sink.models/ingest?token=s3cr3t", { ...opts, allowQuery: true }).path,
    "/ingest?token=s3cr3t",
  );
  assert.equal(
    resolveLoggerUrl("http://sink.models/ingest?tenant=a", opts).path,
    "/ingest?tenant=a",
    "harmless parameters pass",
  );
});

test("addresses that are never a logger are refused unless allowed", () => {
  for (const raw of [
    "http://127.0.0.1:15000/quitquitquit",
    "http://localhost/",
    "http://[::1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0/",
    "http://sink.models:0/",
    "http://sink.models:15020/",
    "http://sink.models:15090/",
    "http://[fe80::1]/",
    "http://[::ffff:127.0.0.1]/",
  ]) {
    assert.throws(
      () => resolveLoggerUrl(raw, opts),
      (e: Error) => e instanceof LoggerUrlError && /--allow-logger-address/.test(e.message),
      raw,
    );
  }
  assert.equal(
    resolveLoggerUrl("http://127.0.0.1:9000/", { ...opts, allowAddress: true }).cluster,
    "outbound|9000||127.0.0.1",
  );
  assert.equal(
    resolveLoggerUrl("http://10.0.0.7:8080/", opts).cluster,
    "outbound|8080||10.0.0.7",
    "a pod or service IP is fine",
  );
});
