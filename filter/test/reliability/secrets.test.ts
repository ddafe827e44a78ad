// Secrets never leave the pod by accident: credentials in request headers are
// not logged unless a configuration names them explicitly.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { WasmHost } from "proxy-wasm-host";
import { ROOT_ID, startStack, WASM_PATH } from "../../../testbed/stack.js";
import { events, pluginConfig, post } from "../e2e/support.js";

test("credential headers on requests never appear in events", async () => {
  const stack = await startStack({ pluginConfig: pluginConfig({ metadataHeaders: ["X-Tenant"] }) });
  try {
    await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}', {
      authorization: "Bearer s3cr3t",
      cookie: "session=s3cr3t",
      "x-api-key": "s3cr3t",
      "x-tenant": "acme",
    });
    const evs = await events(stack, 2);
    for (const e of evs) {
      const all = JSON.stringify(e.headers) + e.body.toString();
      assert.ok(!all.includes("s3cr3t"), "no credential in any header or body of the event");
      assert.deepEqual(JSON.parse(e.headers["ce-metadata"]!), { "X-Tenant": ["acme"] });
    }
  } finally {
    await stack.close();
  }
});

test("a configuration that lists a credential header is refused unless allowSensitiveHeaders names it", async () => {
  const host = await WasmHost.load(readFileSync(WASM_PATH), { rootId: ROOT_ID });
  try {
    for (const name of ["Authorization", "cookie", "Set-Cookie", "Proxy-Authorization", "X-Api-Key"]) {
      const res = host.configure(pluginConfig({ metadataHeaders: [name] }));
      assert.equal(res.accepted, false, `${name} refused`);
      assert.match(
        host.logText(),
        new RegExp(`metadataHeaders\\[0\\]: "${name}" carries credentials; list it in allowSensitiveHeaders`),
      );
    }
    assert.equal(
      host.configure(pluginConfig({ metadataHeaders: ["Authorization"], allowSensitiveHeaders: ["authorization"] }))
        .accepted,
      true,
    );
  } finally {
    host.close();
  }
});

test("explicitly allowed, a credential header is logged (the operator's choice, by name)", async () => {
  const stack = await startStack({
    pluginConfig: pluginConfig({ metadataHeaders: ["Authorization"], allowSensitiveHeaders: ["Authorization"] }),
  });
  try {
    await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}', { authorization: "Bearer visible" });
    const [e] = await events(stack, 1);
    assert.deepEqual(JSON.parse(e!.headers["ce-metadata"]!), { Authorization: ["Bearer visible"] });
  } finally {
    await stack.close();
  }
});

test("the filter and the installer refuse the same header names: one rule, tokens in any position", async () => {
  const { isSensitiveHeader } = await import("../../../installer/src/sensitive.js");
  const host = await WasmHost.load(readFileSync(WASM_PATH), { rootId: ROOT_ID });
  try {
    const names = [
      "Authorization",
      "X-Forwarded-Authorization",
      "X-Original-Authorization",
      "X-Authorization",
      "X-Auth-Token",
      "X-Api-Key",
      "Api-Key",
      "X-Csrf-Token",
      "X-Session-Id",
      "X-Forwarded-Client-Cert",
      "X-Amz-Security-Token",
      "Cookie",
      "X-Tenant",
      "X-Request-Id",
      "X-Author",
      "X-Model-Version",
      "X-Tokenizer",
      "Content-Type",
    ];
    for (const name of names) {
      const accepted = host.configure(pluginConfig({ metadataHeaders: [name] })).accepted;
      assert.equal(
        accepted,
        !isSensitiveHeader(name),
        `${name}: filter ${accepted ? "accepts" : "refuses"}, installer agrees`,
      );
    }
    assert.equal(host.configure(pluginConfig({ metadataHeaders: ["X-Tenant"] })).accepted, true);
  } finally {
    host.close();
  }
});

test("a bearer token in X-Forwarded-Authorization never reaches ce-metadata", async () => {
  const host = await WasmHost.load(readFileSync(WASM_PATH), { rootId: ROOT_ID });
  try {
    assert.equal(host.configure(pluginConfig({ metadataHeaders: ["X-Forwarded-Authorization"] })).accepted, false);
    assert.match(host.logText(), /metadataHeaders\[0\]: "X-Forwarded-Authorization" carries credentials/);
  } finally {
    host.close();
  }
  const stack = await startStack({ pluginConfig: pluginConfig({ metadataHeaders: ["X-Tenant"] }) });
  try {
    await post(`${stack.url}/v1/models/m:predict`, '{"instances":[[1]]}', {
      "x-forwarded-authorization": "Bearer s3cr3t",
      "x-tenant": "acme",
    });
    for (const e of await events(stack, 2)) assert.ok(!JSON.stringify(e.headers).includes("s3cr3t"));
  } finally {
    await stack.close();
  }
});
