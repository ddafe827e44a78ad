// An LLMInferenceService served through Envoy Gateway: the filter attached to each of its
// HTTPRoutes by an EnvoyExtensionPolicy (gateway.envoyproxy.io/v1alpha1, `wasm[]`; one policy
// per route, so one gateway Envoy serving many models runs one plugin per model, each with its
// own identity in its pluginConfig), and the logger made reachable as a cluster.
//
// The cluster. A Wasm callout needs an Envoy cluster in the gateway's configuration, and Envoy
// Gateway makes clusters only for what routes and policies reference (no Istio-style
// `outbound|…` clusters; envoyproxy/gateway#9952 proposes policy-level backends). What works
// with KServe's Envoy Gateway (v1.8.1, hack/setup/quick-install): an HTTPRoute whose one rule
// has the logger Service as its backend makes the cluster `httproute/<ns>/<name>/rule/0`
// (internal/gatewayapi/helpers.go irRouteDestinationName; internal/xds/translator/translator.go
// names the cluster after the route's destination). Left at that, the logger would be reachable
// from outside through the gateway; a SecurityPolicy with authorization defaultAction Deny on
// that route answers every request it matches with 403, while the filter's callouts, which go
// to the cluster directly and not through a route, are unaffected. EnvoyPatchPolicy could add a
// cluster without a route, but it is off by default and Envoy Gateway's docs warn against it.
// (Envoy Gateway ≥ 1.9's opt-in mergeBackends names shared clusters differently: not used.)
import type { Diagnostics } from "./diagnostics.js";
import type { Isvc, LoggedComponent } from "./isvc.js";
import { DEFAULT_LLM_GATEWAY, type GatewayRef, type LlmIsvc } from "./llmisvc.js";
import type { LoggerTarget } from "./logger-target.js";
import { redactUrl } from "./logger-target.js";
import { pluginConfigFor, type Placement, type RenderOptions } from "./render.js";
import { ANNOTATION_LOGGER_URL, FIELD_MANAGER, LABEL_MANAGED_BY, PLUGIN_NAME } from "./wasmplugin.js";

export const EG_API_VERSION = "gateway.envoyproxy.io/v1alpha1";
export const GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1";
export const LABEL_LLMISVC = "kserve-wasm-logger/llminferenceservice";
const GW_GROUP = "gateway.networking.k8s.io";

export function loggerRouteName(l: LlmIsvc): string {
  return `${l.name}-logger-route`;
}

/** The cluster Envoy Gateway makes for the logger route's one rule. */
export function loggerRouteCluster(l: LlmIsvc): string {
  return `httproute/${l.namespace}/${loggerRouteName(l)}/rule/0`;
}

// The logger's Service (name, namespace, port) from its in-cluster host name.
function loggerService(t: LoggerTarget): { name: string; namespace: string; port: number } {
  const [name, namespace] = t.host.split(".");
  return { name: name!, namespace: namespace!, port: t.clusterPort };
}

function gatewayPlacement(l: LlmIsvc): Placement {
  return {
    cluster: () => loggerRouteCluster(l),
    identity: "config",
    llm: true,
    unreachable: (t) => {
      if (t.external || t.tls)
        return `Envoy Gateway mode: a logger outside the cluster (${t.host}) is not supported; log to a Service in namespace ${l.namespace}`;
      const svc = loggerService(t);
      if (svc.namespace !== l.namespace)
        return `Envoy Gateway mode: the logger Service must be in the LLMInferenceService's namespace ${l.namespace} (a route to ${svc.namespace} would need a ReferenceGrant there), not ${svc.namespace}`;
      return undefined;
    },
  };
}

/** The image reference Envoy Gateway takes (`registry/image:tag`), from an oci:// module URL. */
function codeSource(opts: RenderOptions, d: Diagnostics): object | undefined {
  const url = opts.module.url;
  const sha256 = opts.module.sha256 ? { sha256: opts.module.sha256 } : {};
  if (url.startsWith("oci://")) return { type: "Image", image: { url: url.slice("oci://".length), ...sha256 } };
  if (url.startsWith("https://") || url.startsWith("http://")) return { type: "HTTP", http: { url, ...sha256 } };
  d.error("--module-url", `Envoy Gateway fetches Wasm code from oci:// or http(s):// URLs only, not ${url}`);
  return undefined;
}

export function renderLlmIsvc(l: LlmIsvc, opts: RenderOptions, d: Diagnostics): object[] {
  if (!l.logger) {
    d.warn(
      l.loggerPath,
      "not set: nothing to render (an LLMInferenceService has no logger field; the annotation is its logger)",
    );
    return [];
  }
  if (l.routes.length === 0) {
    d.error(
      "spec.router.route",
      "not set: KServe makes no HTTPRoute for this LLMInferenceService, so there is nothing to attach to",
    );
    return [];
  }
  const comp: LoggedComponent = { component: "predictor", loggerPath: l.loggerPath, logger: l.logger, annotations: {} };
  const asIsvc: Isvc = {
    name: l.name,
    namespace: l.namespace,
    uid: l.uid,
    annotations: l.annotations,
    labels: {},
    components: [comp],
    canaryNames: [],
    status: {},
  };
  const cfg = pluginConfigFor(asIsvc, comp, opts, d, gatewayPlacement(l));
  const code = codeSource(opts, d);
  if (!cfg || !code) return [];
  const { config, target } = cfg;
  const labels = { [LABEL_MANAGED_BY]: FIELD_MANAGER, [LABEL_LLMISVC]: l.name };
  const ownerReferences = l.uid
    ? [{ apiVersion: l.apiVersion, kind: "LLMInferenceService", name: l.name, uid: l.uid }]
    : undefined;
  const meta = (name: string, annotations?: Record<string, string>) => ({
    name,
    namespace: l.namespace,
    labels,
    ...(annotations ? { annotations } : {}),
    ...(ownerReferences ? { ownerReferences } : {}),
  });
  const defaultGateway = opts.llmGateway ?? DEFAULT_LLM_GATEWAY;
  const gw: GatewayRef = l.gateway ?? {
    namespace: defaultGateway.split("/")[0]!,
    name: defaultGateway.split("/")[1]!,
  };
  const svc = loggerService(target);
  const out: object[] = [];
  for (const route of l.routes) {
    out.push({
      apiVersion: EG_API_VERSION,
      kind: "EnvoyExtensionPolicy",
      metadata: meta(`${route}-logger`, { [ANNOTATION_LOGGER_URL]: redactUrl(target.url) }),
      spec: {
        targetRefs: [{ group: GW_GROUP, kind: "HTTPRoute", name: route }],
        wasm: [{ name: PLUGIN_NAME, rootID: PLUGIN_NAME, code, config, failOpen: true }],
      },
    });
  }
  out.push({
    apiVersion: GATEWAY_API_VERSION,
    kind: "HTTPRoute",
    metadata: meta(loggerRouteName(l)),
    spec: {
      parentRefs: [{ group: GW_GROUP, kind: "Gateway", namespace: gw.namespace, name: gw.name }],
      rules: [
        {
          // never meant to match a client: it exists for its cluster (and the SecurityPolicy denies what it matches)
          matches: [{ path: { type: "PathPrefix", value: `/.kserve-wasm-logger/${l.namespace}/${l.name}` } }],
          backendRefs: [{ group: "", kind: "Service", name: svc.name, port: svc.port }],
        },
      ],
    },
  });
  out.push({
    apiVersion: EG_API_VERSION,
    kind: "SecurityPolicy",
    metadata: meta(`${loggerRouteName(l)}-deny`),
    spec: {
      targetRefs: [{ group: GW_GROUP, kind: "HTTPRoute", name: loggerRouteName(l) }],
      authorization: { defaultAction: "Deny" },
    },
  });
  return out;
}
