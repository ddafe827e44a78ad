import { parseConfig, Config } from "../config";

// as-pect 8's toContain mis-reports multi-character substrings; this shows the
// actual text when the substring is missing.
function expectContains(actual: string, needle: string): void {
  if (!actual.includes(needle)) expect(actual).toBe("…" + needle + "…");
}


const BASE = '"inferenceService":"sklearn-iris","namespace":"models","logger":{"cluster":"outbound|80||sink.models.svc.cluster.local","authority":"sink.models.svc.cluster.local"}';

function ok(extra: string): Config {
  const r = parseConfig(String.UTF8.encode("{" + BASE + extra + "}"));
  if (r.config === null) throw new Error("refused: " + r.error);
  return r.config!;
}

function err(json: string): string {
  const r = parseConfig(String.UTF8.encode(json));
  expect(r.config).toBeNull();
  return r.error;
}

function errWith(extra: string): string {
  return err("{" + BASE + extra + "}");
}

describe("pluginConfig: defaults", () => {
  it("accepts the minimal configuration with documented defaults", () => {
    const c = ok("");
    expect(c.inferenceService).toBe("sklearn-iris");
    expect(c.namespace).toBe("models");
    expect(c.component).toBe("predictor");
    expect(c.endpoint).toBe("");
    expect(c.logRequest).toBe(true);
    expect(c.logResponse).toBe(true);
    expect(c.path).toBe("/");
    expect(c.timeoutMs).toBe(5000);
    expect(c.source).toBe("http://localhost:9081/");
    expect(c.metadataHeaders.length).toBe(0);
    expect(c.annotationKeys.length).toBe(0);
    expect(c.logAllResponses).toBe(false);
    expect(c.percentEncode).toBe(false);
    expect(c.maxBodyBytes).toBe(1048576);
    expect(c.maxMetadataBytes).toBe(8192);
    expect(c.maxInflightCallouts).toBe(64);
    expect(c.drainTimeoutMs).toBe(10000);
    expect(c.maxRetries).toBe(2);
    expect(c.initialBackoffMs).toBe(100);
    expect(c.maxBackoffMs).toBe(2000);
    expect(c.retryBudgetBytes).toBe(8388608);
  });
});

describe("pluginConfig: every field, valid", () => {
  it("takes identity fields", () => {
    const c = ok(',"component":"transformer","endpoint":"canary"');
    expect(c.component).toBe("transformer");
    expect(c.endpoint).toBe("canary");
    expect(ok(',"component":"explainer"').component).toBe("explainer");
  });
  it("takes the revision → endpoint map", () => {
    const c = ok(',"endpoints":{"m-predictor-00001":"default","m-predictor-00002":"canary"}');
    expect(c.endpointFor("m-predictor-00002")).toBe("canary");
    expect(c.endpointFor("m-predictor-00001")).toBe("default");
    expect(c.endpointFor("other")).toBe("");
  });
  it("takes each mode", () => {
    let c = ok(',"mode":"request"');
    expect(c.logRequest).toBe(true);
    expect(c.logResponse).toBe(false);
    c = ok(',"mode":"response"');
    expect(c.logRequest).toBe(false);
    expect(c.logResponse).toBe(true);
    c = ok(',"mode":"all"');
    expect(c.logRequest && c.logResponse).toBe(true);
  });
  it("takes logger path and timeout", () => {
    const r = parseConfig(String.UTF8.encode('{"inferenceService":"a","namespace":"b","logger":{"cluster":"c","authority":"d","path":"/ns/default","timeoutMs":250}}'));
    expect(r.config!.path).toBe("/ns/default");
    expect(r.config!.timeoutMs).toBe(250);
  });
  it("takes source", () => {
    expect(ok(',"source":"urn:pod:x"').source).toBe("urn:pod:x");
  });
  it("canonicalizes, de-duplicates and sorts metadataHeaders", () => {
    const c = ok(',"metadataHeaders":["x-tenant","X-B3-TraceId","X-TENANT"]');
    expect(c.metadataHeaders.length).toBe(2);
    expect(c.metadataHeaders[0]).toBe("X-B3-Traceid");
    expect(c.metadataHeaders[1]).toBe("X-Tenant");
    expect(c.metadataHeadersLower[1]).toBe("x-tenant");
  });
  it("allows a sensitive header only when named in allowSensitiveHeaders", () => {
    const c = ok(',"metadataHeaders":["Authorization"],"allowSensitiveHeaders":["authorization"]');
    expect(c.metadataHeaders[0]).toBe("Authorization");
  });
  it("sorts annotations by key and keeps any Unicode value", () => {
    const c = ok(',"annotations":{"z/model-version":"v3","a/tenant":"Ünïcødé, = \\"q\\"\\n日本"}');
    expect(c.annotationKeys[0]).toBe("a/tenant");
    expect(c.annotationValues[0]).toBe("Ünïcødé, = \"q\"\n日本");
    expect(c.annotationKeys[1]).toBe("z/model-version");
  });
  it("takes logAllResponses and headerEncoding", () => {
    expect(ok(',"logAllResponses":true').logAllResponses).toBe(true);
    expect(ok(',"headerEncoding":"percent"').percentEncode).toBe(true);
    expect(ok(',"headerEncoding":"raw"').percentEncode).toBe(false);
  });
  it("takes limits at their bounds", () => {
    const c = ok(',"limits":{"maxBodyBytes":0,"maxInflightCallouts":4096,"drainTimeoutMs":120000}');
    expect(c.maxBodyBytes).toBe(0);
    expect(c.maxInflightCallouts).toBe(4096);
    expect(c.drainTimeoutMs).toBe(120000);
    expect(ok("").maxHeldBytes).toBe(67108864);
    expect(ok("").maxRedactBytes).toBe(1048576);
    const m = ok(',"limits":{"maxHeldBytes":1048576,"maxRedactBytes":0}');
    expect(m.maxHeldBytes).toBe(1048576);
    expect(m.maxRedactBytes).toBe(0);
    expect(ok(',"limits":{"maxHeldBytes":1073741824,"maxRedactBytes":16777216}').maxHeldBytes).toBe(1073741824);
  });
});

describe("pluginConfig: batch", () => {
  it("is off by default and takes its limits", () => {
    expect(ok("").batchMaxEvents).toBe(0);
    const c = ok(',"batch":{"maxEvents":10,"maxBytes":2048,"intervalMs":5}');
    expect(c.batchMaxEvents).toBe(10);
    expect(c.batchMaxBytes).toBe(2048);
    expect(c.batchIntervalMs).toBe(5);
    const d = ok(',"batch":{}');
    expect(d.batchMaxEvents).toBe(100);
    expect(d.batchMaxBytes).toBe(1048576);
    expect(d.batchIntervalMs).toBe(1000);
  });
  it("refuses a bad batch", () => {
    expect(errWith(',"batch":true')).toBe("batch: must be an object");
    expect(errWith(',"batch":{"size":1}')).toBe("batch.size: unknown field");
    expect(errWith(',"batch":{"maxEvents":0}')).toBe("batch.maxEvents: must be between 1 and 1000");
    expect(errWith(',"batch":{"maxBytes":1023}')).toBe("batch.maxBytes: must be between 1024 and 16777216");
    expect(errWith(',"batch":{"intervalMs":60001}')).toBe("batch.intervalMs: must be between 1 and 60000");
    expect(errWith(',"headerEncoding":"percent","batch":{}')).toBe("batch: headerEncoding percent applies to binary mode only; a batch carries its values in JSON");
  });
});

describe("pluginConfig: retry", () => {
  it("takes the retry policy", () => {
    const c = ok(',"retry":{"maxRetries":0,"initialBackoffMs":5,"maxBackoffMs":5,"budgetBytes":0}');
    expect(c.maxRetries).toBe(0);
    expect(c.initialBackoffMs).toBe(5);
    expect(c.maxBackoffMs).toBe(5);
    expect(c.retryBudgetBytes).toBe(0);
  });
  it("refuses a bad retry policy", () => {
    expect(errWith(',"retry":1')).toBe("retry: must be an object");
    expect(errWith(',"retry":{"attempts":1}')).toBe("retry.attempts: unknown field");
    expect(errWith(',"retry":{"maxRetries":11}')).toBe("retry.maxRetries: must be between 0 and 10");
    expect(errWith(',"retry":{"initialBackoffMs":0}')).toBe("retry.initialBackoffMs: must be between 1 and 60000");
    expect(errWith(',"retry":{"budgetBytes":-5}')).toBe("retry.budgetBytes: must be between 0 and 268435456");
    expect(errWith(',"retry":{"initialBackoffMs":500,"maxBackoffMs":100}')).toBe("retry.maxBackoffMs: must not be smaller than retry.initialBackoffMs");
  });
});

describe("pluginConfig: every field, invalid, refused with the field named", () => {
  it("refuses empty, non-UTF-8, malformed and non-object input", () => {
    expectContains(err(""), "is empty");
    const bad = new ArrayBuffer(3);
    store<u8>(changetype<usize>(bad), 0x7b);
    store<u8>(changetype<usize>(bad) + 1, 0xff);
    store<u8>(changetype<usize>(bad) + 2, 0x7d);
    expectContains(parseConfig(bad).error, "not valid UTF-8");
    expectContains(err("{"), "invalid JSON");
    expectContains(err('{"a":1,}'), "invalid JSON");
    expectContains(err("[]"), "must be a JSON object");
    expectContains(err('{"a":1} x'), "after the JSON value");
  });
  it("refuses duplicate keys and deep nesting", () => {
    expectContains(err('{"namespace":"a","namespace":"b"}'), "duplicate key \"namespace\"");
    expectContains(err('{"x":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}'), "nested deeper");
  });
  it("refuses unknown fields at each level", () => {
    expect(errWith(',"modes":"all"')).toBe("modes: unknown field");
    expect(err('{"inferenceService":"a","namespace":"b","logger":{"cluster":"c","authority":"d","url":"x"}}')).toBe("logger.url: unknown field");
    expect(errWith(',"limits":{"maxBody":1}')).toBe("limits.maxBody: unknown field");
  });
  it("requires inferenceService, namespace, logger, logger.cluster, logger.authority", () => {
    expect(err('{"namespace":"b","logger":{"cluster":"c","authority":"d"}}')).toBe("inferenceService: is required");
    expect(err('{"inferenceService":"a","logger":{"cluster":"c","authority":"d"}}')).toBe("namespace: is required");
    expect(err('{"inferenceService":"a","namespace":"b"}')).toBe("logger: is required");
    expect(err('{"inferenceService":"a","namespace":"b","logger":{"authority":"d"}}')).toBe("logger.cluster: is required");
    expect(err('{"inferenceService":"a","namespace":"b","logger":{"cluster":"c"}}')).toBe("logger.authority: is required");
    expect(err('{"inferenceService":"a","namespace":"b","logger":"x"}')).toBe("logger: must be an object");
  });
  it("refuses wrong types, empty values and control characters in identity", () => {
    expect(err('{"inferenceService":1,"namespace":"b","logger":{"cluster":"c","authority":"d"}}')).toBe("inferenceService: must be a string, not number");
    expect(err('{"inferenceService":"","namespace":"b","logger":{"cluster":"c","authority":"d"}}')).toBe("inferenceService: must not be empty");
    expect(err('{"inferenceService":"a\\nb","namespace":"b","logger":{"cluster":"c","authority":"d"}}')).toBe("inferenceService: contains a control character");
    expect(errWith(',"endpoint":"x\\u007f"')).toBe("endpoint: contains a control character");
    expect(errWith(',"source":"a\\rb"')).toBe("source: contains a control character");
    expectContains(errWith(',"component":"ranker"'), "component: must be predictor, transformer or explainer");
  });
  it("refuses a too long namespace", () => {
    expect(err('{"inferenceService":"a","namespace":"' + "n".repeat(64) + '","logger":{"cluster":"c","authority":"d"}}')).toBe("namespace: is longer than 63 characters");
  });
  it("refuses bad endpoints maps", () => {
    expectContains(errWith(',"endpoints":["a"]'), "endpoints: must be an object");
    expect(errWith(',"endpoints":{"rev-1":"blue"}')).toBe("endpoints[\"rev-1\"]: must be \"default\" or \"canary\"");
  });
  it("refuses an unknown mode", () => {
    expect(errWith(',"mode":"InvalidMode"')).toBe("mode: must be all, request or response, not \"InvalidMode\"");
  });
  it("refuses bad logger fields", () => {
    expect(err('{"inferenceService":"a","namespace":"b","logger":{"cluster":"c","authority":"d e"}}')).toBe("logger.authority: must not contain spaces");
    expect(err('{"inferenceService":"a","namespace":"b","logger":{"cluster":"c","authority":"d","path":"events"}}')).toBe("logger.path: must start with / and contain no spaces");
    expect(err('{"inferenceService":"a","namespace":"b","logger":{"cluster":"c","authority":"d","timeoutMs":0}}')).toBe("logger.timeoutMs: must be between 1 and 60000");
    expect(err('{"inferenceService":"a","namespace":"b","logger":{"cluster":"c","authority":"d","timeoutMs":1.5}}')).toBe("logger.timeoutMs: must be an integer");
    expect(err('{"inferenceService":"a","namespace":"b","logger":{"cluster":"c","authority":"d","timeoutMs":"5"}}')).toBe("logger.timeoutMs: must be an integer, not string");
    expect(err('{"inferenceService":"a","namespace":"b","logger":{"cluster":"c","authority":"d","timeoutMs":1e400}}')).toBe("logger.timeoutMs: must be between 1 and 60000");
  });
  it("refuses bad metadataHeaders", () => {
    expect(errWith(',"metadataHeaders":"X-Tenant"')).toBe("metadataHeaders: must be an array of header names");
    expect(errWith(',"metadataHeaders":["ok","bad name"]')).toBe("metadataHeaders[1]: \"bad name\" is not a valid header name");
    expect(errWith(',"metadataHeaders":[1]')).toBe("metadataHeaders[0]: must be a string");
    expectContains(errWith(',"metadataHeaders":["Cookie"]'), "metadataHeaders[0]: \"Cookie\" carries credentials");
    expectContains(errWith(',"metadataHeaders":["authorization"]'), "allowSensitiveHeaders");
    const many: string[] = [];
    for (let i = 0; i < 33; i++) many.push('"h' + i.toString() + '"');
    expect(errWith(',"metadataHeaders":[' + many.join(",") + "]")).toBe("metadataHeaders: has more than 32 names");
    expect(errWith(',"allowSensitiveHeaders":[""]')).toBe("allowSensitiveHeaders[0]: must be a header name");
  });
  it("refuses bad annotations", () => {
    expect(errWith(',"annotations":["a"]')).toBe("annotations: must be an object of key → value");
    expect(errWith(',"annotations":{"a":1}')).toBe("annotations[\"a\"]: value must be a string");
    expect(errWith(',"annotations":{"":"x"}')).toBe("annotations[\"\"]: key must be 1..317 characters");
    const many: string[] = [];
    for (let i = 0; i < 129; i++) many.push('"k' + i.toString() + '":"v"');
    expect(errWith(',"annotations":{' + many.join(",") + "}")).toBe("annotations: has more than 128 entries");
  });
  it("refuses bad logAllResponses and headerEncoding", () => {
    expect(errWith(',"logAllResponses":"yes"')).toBe("logAllResponses: must be a boolean, not string");
    expect(errWith(',"headerEncoding":"base64"')).toBe("headerEncoding: must be raw or percent, not \"base64\"");
  });
  it("refuses limits out of range", () => {
    expect(errWith(',"limits":{"maxBodyBytes":-1}')).toBe("limits.maxBodyBytes: must be between 0 and 67108864");
    expect(errWith(',"limits":{"maxBodyBytes":67108865}')).toBe("limits.maxBodyBytes: must be between 0 and 67108864");
    expect(errWith(',"limits":{"maxInflightCallouts":0}')).toBe("limits.maxInflightCallouts: must be between 1 and 4096");
    expect(errWith(',"limits":{"maxMetadataBytes":1}')).toBe("limits.maxMetadataBytes: must be between 2 and 65536");
    expect(errWith(',"limits":{"drainTimeoutMs":120001}')).toBe("limits.drainTimeoutMs: must be between 0 and 120000");
    expect(errWith(',"limits":[]')).toBe("limits: must be an object");
    expect(errWith(',"limits":{"maxHeldBytes":1048575}')).toBe("limits.maxHeldBytes: must be between 1048576 and 1073741824");
    expect(errWith(',"limits":{"maxRedactBytes":16777217}')).toBe("limits.maxRedactBytes: must be between 0 and 16777216");
  });
});

describe("pluginConfig: hostile documents are refused early, in time linear in their size", () => {
  it("refuses a pluginConfig over 256 KiB before parsing it, naming the limit", () => {
    const big = "{" + BASE + ',"source":"' + "a".repeat(262144) + '"}';
    expect(err(big)).toBe("pluginConfig: is " + String.UTF8.byteLength(big).toString() + " bytes, more than the limit of 262144");
  });
  it("refuses an object or array past 256 members at the first one too many", () => {
    let keys = "";
    for (let i = 0; i < 300; i++) keys += ',"k' + i.toString() + '":1';
    expectContains(errWith(',"annotations":{"a":"1"' + keys + "}"), "more than 256 members in one object");
    expectContains(errWith(',"metadataHeaders":[' + "1,".repeat(300) + "1]"), "more than 256 elements in one array");
  });
  it("finds a duplicate among 256 keys and names it briefly", () => {
    let keys = "";
    for (let i = 0; i < 255; i++) keys += '"k' + i.toString() + '":"v",';
    expectContains(errWith(',"annotations":{' + keys + '"k17":"again"}'), "duplicate key \"k17\"");
    const long = "x".repeat(5000);
    const e = err('{"' + long + '":1,"' + long + '":2}');
    expect(e.length < 200).toBe(true);
    expectContains(e, "...");
  });
  it("decodes a string made of escapes whole", () => {
    const c = ok(',"annotations":{"a":"' + "\\u0041".repeat(20000) + '"}');
    expect(c.annotationValues[0].length).toBe(20000);
    expect(c.annotationValues[0].charCodeAt(19999)).toBe(0x41);
  });
});
