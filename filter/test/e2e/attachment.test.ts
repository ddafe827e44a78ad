// The filter where no model pod's sidecar runs it: an ambient waypoint (node metadata of the
// waypoint's own pod) or an Envoy Gateway proxy (no Istio node metadata at all). With the
// pluginConfig's identity: config, as the installer renders for both, the events must be the
// sidecar's field for field, except ce-source (the pod name, which only a sidecar knows; the
// configured source instead) and ce-endpoint's revision lookup (docs/operations.md,
// "Attachment modes"). Times and generated ids differ by nature and are left out.

import assert from "node:assert/strict";
import { test } from "node:test";
import { podMetadata, startStack } from "../../../testbed/stack.js";
import type { ReceivedEvent } from "../../../testbed/sink.js";
import { events, pluginConfig, post } from "./support.js";

const ENDPOINTS = { "sklearn-iris-predictor-00001": "default" };
// What Istio gives a waypoint's Envoy: its own pod, its own labels.
const WAYPOINT_METADATA = {
  NAME: "waypoint-6c9d4b7f8-q2w3e",
  NAMESPACE: "models",
  LABELS: { "gateway.networking.k8s.io/gateway-name": "waypoint", "istio.io/gateway-name": "waypoint" },
};

async function exchangeEvents(
  nodeMetadata: Record<string, unknown> | undefined,
  extra: Record<string, unknown>,
): Promise<ReceivedEvent[]> {
  const stack = await startStack({
    pluginConfig: pluginConfig({
      endpoints: ENDPOINTS,
      annotations: { "serving.example.com/tenant": "acme" },
      metadataHeaders: ["X-Tenant"],
      ...extra,
    }),
    nodeMetadata,
    sidecar: { generateRequestId: false },
  });
  try {
    await post(`${stack.url}/v1/models/sklearn-iris:predict`, '{"instances":[[1,2]]}', {
      "ce-id": "same-exchange",
      "x-request-id": "rid-1",
      "x-tenant": "t1",
    });
    return await events(stack, 2);
  } finally {
    await stack.close();
  }
}

// Every attribute and the body, times left out.
function comparable(evs: ReceivedEvent[]): Record<string, unknown>[] {
  return evs
    .map((e) => {
      const { time: _t, recordedtime: _r, ...rest } = e.event.toJSON() as Record<string, unknown>;
      return { ...rest, body: e.body.toString("utf8") } as Record<string, unknown>;
    })
    .sort((a, b) => String(a.type).localeCompare(String(b.type)));
}

test("identity config in a waypoint or a gateway: the same events as the model pod's sidecar, except ce-source", async () => {
  const sidecar = comparable(await exchangeEvents(podMetadata("sklearn-iris", "models"), {}));
  assert.equal(sidecar[0]!.source, "sklearn-iris-predictor-00001-deployment-7d9f8c-x2k4q");
  assert.equal(sidecar[0]!.endpoint, "default", "the sidecar looks its revision up in endpoints");
  const source = "http://sklearn-iris-predictor.models/";
  const expected = sidecar.map((e) => ({ ...e, source, endpoint: "default" }));
  for (const [where, md] of [
    ["waypoint", WAYPOINT_METADATA],
    ["gateway (no node metadata)", undefined],
  ] as const) {
    const evs = comparable(await exchangeEvents(md, { identity: "config", source, endpoint: "default" }));
    assert.deepEqual(evs, expected, where);
  }
});

test("without identity config a waypoint's own node metadata would be taken: the reason the installer sets it", async () => {
  const evs = comparable(await exchangeEvents(WAYPOINT_METADATA, {}));
  assert.equal(evs[0]!.source, "waypoint-6c9d4b7f8-q2w3e", "the waypoint's pod, not the model's");
  assert.equal(evs[0]!.inferenceservicename, "sklearn-iris", "no ISVC label on the waypoint: the fallback");
});
