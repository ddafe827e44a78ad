import { parseConfig, Config } from "../config";
import { resolveIdentity } from "../identity";
import { buildTemplates, EventWriter, TYPE_RESPONSE } from "../event";
import { PairsReader } from "../pairs";

function config(extra: string): Config {
  const r = parseConfig(String.UTF8.encode('{"inferenceService":"iris","namespace":"models","component":"transformer","endpoint":"canary","logger":{"cluster":"outbound|80||sink","authority":"sink.models","path":"/ns/models"}' + extra + "}"));
  return r.config!;
}

// Decodes a pairs block into "name=value" lines.
function decode(buf: ArrayBuffer): string[] {
  const out: string[] = [];
  const r = new PairsReader(buf);
  while (r.next()) {
    out.push(String.UTF8.decodeUnsafe(r.keyPtr, <usize>r.keyLen) + "=" + String.UTF8.decodeUnsafe(r.valuePtr, <usize>r.valueLen));
  }
  return out;
}

describe("precomputed header block", () => {
  it("holds the pseudo-headers, specversion, type and identity (from the fallbacks when the pod says nothing)", () => {
    const cfg = config("");
    const t = buildTemplates(cfg, resolveIdentity(cfg));
    expect(t.error).toBe("");
    const w = new EventWriter();
    w.begin(false);
    const block = w.finish(t.response).toBuffer();
    const h = decode(block);
    expect(h.join("|")).toBe(
      ":method=POST|:path=/ns/models|:authority=sink.models|ce-specversion=1.0|ce-type=" + TYPE_RESPONSE +
      "|ce-source=http://localhost:9081/|ce-inferenceservicename=iris|ce-namespace=models|ce-component=transformer|ce-endpoint=canary");
  });
  it("adds ce-annotations as sorted JSON only when annotations are configured", () => {
    const cfg = config(',"annotations":{"b/x":"1","a/tenant":"acme \\"q\\" <&>"}');
    const t = buildTemplates(cfg, resolveIdentity(cfg));
    const h = decode(new EventWriter().finish(t.request).toBuffer());
    expect(h[h.length - 1]).toBe("ce-annotations={\"a/tenant\":\"acme \\\"q\\\" \\u003c\\u0026\\u003e\",\"b/x\":\"1\"}");
  });
  it("appends dynamic headers after the static ones in a valid pairs block", () => {
    const cfg = config("");
    const t = buildTemplates(cfg, resolveIdentity(cfg));
    const w = new EventWriter();
    w.begin(false);
    w.header(String.UTF8.encode("ce-id"), String.UTF8.encode("abc"), true);
    w.timeHeader(String.UTF8.encode("ce-time"), 1_000_000_001);
    w.decimalHeader(String.UTF8.encode("ce-statuscode"), 503);
    const h = decode(w.finish(t.request).toBuffer());
    expect(h.length).toBe(13);
    expect(h[10]).toBe("ce-id=abc");
    expect(h[11]).toBe("ce-time=1970-01-01T00:00:01.000000001Z");
    expect(h[12]).toBe("ce-statuscode=503");
  });
  it("percent-encodes values but never pseudo-headers when asked to", () => {
    const cfg = config(',"headerEncoding":"percent","annotations":{"k":"É"}');
    const t = buildTemplates(cfg, resolveIdentity(cfg));
    const h = decode(new EventWriter().finish(t.request).toBuffer());
    expect(h[1]).toBe(":path=/ns/models");
    expect(h[h.length - 1]).toBe("ce-annotations={%22k%22:%22%C3%89%22}");
  });
  it("refuses annotations whose JSON exceeds the 16 KiB limit, naming the field", () => {
    const big = "x".repeat(9000);
    const cfg = config(',"annotations":{"a":"' + big + '","b":"' + big + '"}');
    const t = buildTemplates(cfg, resolveIdentity(cfg));
    expect(t.error.startsWith("annotations: serialized size")).toBe(true);
  });
});

import { appendStructured, EventFields, ExchangeFields } from "../event";
import { ByteBuilder } from "../bytes";

describe("structured events (batch mode)", () => {
  it("writes the precomputed attributes, the per-event ones, and JSON data as is", () => {
    const cfg = config(',"annotations":{"k":"v\\"<"}');
    const t = buildTemplates(cfg, resolveIdentity(cfg));
    const x = new ExchangeFields();
    x.id = String.UTF8.encode("id-1");
    x.metadata = String.UTF8.encode('{"X-Tenant":["a"]}');
    x.contentType = String.UTF8.encode("application/json");
    const e = new EventFields();
    e.exchange = x;
    e.eventTime = 1_000_000_000;
    e.body = String.UTF8.encode('{"instances":[[1]]}');
    e.status = 503;
    const out = new ByteBuilder();
    appendStructured(out, t.request, e, 2_000_000_000, true);
    expect(out.toString()).toBe(
      '{"specversion":"1.0","type":"org.kubeflow.serving.inference.request","source":"http://localhost:9081/",' +
      '"inferenceservicename":"iris","namespace":"models","component":"transformer","endpoint":"canary",' +
      '"annotations":"{\\"k\\":\\"v\\\\\\"\\\\u003c\\"}","id":"id-1","time":"1970-01-01T00:00:01Z","recordedtime":"1970-01-01T00:00:02Z",' +
      '"metadata":"{\\"X-Tenant\\":[\\"a\\"]}","datacontenttype":"application/json","statuscode":"503","data":{"instances":[[1]]}}');
  });
  it("writes other bodies as data_base64 (with padding)", () => {
    const cfg = config("");
    const t = buildTemplates(cfg, resolveIdentity(cfg));
    const e = new EventFields();
    e.body = String.UTF8.encode("hello");
    const out = new ByteBuilder();
    appendStructured(out, t.response, e, 0, false);
    expect(out.toString().endsWith(',"data_base64":"aGVsbG8="}')).toBe(true);
    e.body = String.UTF8.encode("hell");
    const out2 = new ByteBuilder();
    appendStructured(out2, t.response, e, 0, false);
    expect(out2.toString().endsWith(',"data_base64":"aGVsbA=="}')).toBe(true);
  });
});

import { writeBinary, REDACTION_OMITTED } from "../event";

describe("one event, both encodings", () => {
  it("binary mode and structured mode carry the same per-event attributes from the same fields", () => {
    const cfg = config("");
    const t = buildTemplates(cfg, resolveIdentity(cfg));
    const x = new ExchangeFields();
    x.id = String.UTF8.encode("id-2");
    x.metadata = String.UTF8.encode("{}");
    x.metadataTruncated = true;
    const e = new EventFields();
    e.exchange = x;
    e.eventTime = 3_000_000_000;
    e.truncated = true;
    e.overBudget = true;
    e.status = 500;
    e.redaction = REDACTION_OMITTED;
    const h = decode(writeBinary(new EventWriter(), t.response, e, false, 4_000_000_000).toBuffer());
    expect(h.slice(10).join("|")).toBe(
      "ce-id=id-2|ce-time=1970-01-01T00:00:03Z|ce-recordedtime=1970-01-01T00:00:04Z|ce-metadata={}|ce-truncated=true|" +
      "ce-metadatatruncated=true|ce-overbudget=true|ce-statuscode=500|ce-redaction=omitted");
    const out = new ByteBuilder();
    appendStructured(out, t.response, e, 4_000_000_000, false);
    expect(out.toString().endsWith(
      '"id":"id-2","time":"1970-01-01T00:00:03Z","recordedtime":"1970-01-01T00:00:04Z","metadata":"{}","metadatatruncated":"true",' +
      '"truncated":"true","overbudget":"true","statuscode":"500","redaction":"omitted"}')).toBe(true);
  });
});
