// KServe's LLMInferenceService (serving.kserve.io v1alpha1 / v1alpha2, kserve v0.17.0
// pkg/apis/serving/v1alpha2/llm_inference_service_types.go), as far as logging needs it. It has
// no logger field: the LoggerSpec is the annotation `kserve-wasm-logger/logger` (JSON or YAML,
// as `kserve-wasm-logger/logger.<component>` is for an ISVC). What it is served through:
// - the HTTPRoutes: KServe's own `<name>-kserve-route` when spec.router.route.http has no refs
//   (pkg/controller/v1alpha2/llmisvc/router.go expectedHTTPRoute: kmeta.ChildName(name,
//   "-kserve-route")), else the routes named in spec.router.route.http.refs;
// - the Gateway: spec.router.gateway.refs[0], else KServe's ingress gateway (the
//   inferenceservice-config `kserveIngressGateway`, default kserve/kserve-ingress-gateway).
import YAML from "yaml";
import type { Diagnostics } from "./diagnostics.js";
import { isObject } from "./io.js";
import { describe, parseLogger, stringMap, type LoggerSpec } from "./isvc.js";

export const LLMISVC_KIND = "LLMInferenceService";
export const LLMISVC_API_VERSIONS = ["serving.kserve.io/v1alpha1", "serving.kserve.io/v1alpha2"];
export const LLM_LOGGER_ANNOTATION = "kserve-wasm-logger/logger";
/** KServe's default (pkg/constants GatewayName in KServeNamespace). */
export const DEFAULT_LLM_GATEWAY = "kserve/kserve-ingress-gateway";
const ROUTE_SUFFIX = "-kserve-route";
// kmeta.ChildName hashes a name longer than 63 characters; not reproduced here.
const MAX_NAME = 63 - ROUTE_SUFFIX.length;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface GatewayRef {
  namespace: string;
  name: string;
}

export interface LlmIsvc {
  apiVersion: string;
  name: string;
  namespace: string;
  uid?: string;
  annotations: Record<string, string>;
  /** the annotation's LoggerSpec, and where it was read */
  logger?: LoggerSpec;
  loggerPath: string;
  /** the HTTPRoutes (this namespace) that serve it */
  routes: string[];
  /** the Gateway named in its spec, if any */
  gateway?: GatewayRef;
  /** spec.model.name, for messages */
  model?: string;
}

export function parseLlmIsvc(doc: unknown, defaultNamespace: string, diags: Diagnostics): LlmIsvc | undefined {
  if (!isObject(doc)) {
    diags.error("", `expected an LLMInferenceService object, got ${describe(doc)}`);
    return undefined;
  }
  const apiVersion = doc.apiVersion;
  if (typeof apiVersion !== "string" || !LLMISVC_API_VERSIONS.includes(apiVersion)) {
    diags.error("apiVersion", `expected one of ${LLMISVC_API_VERSIONS.join(", ")}, got ${describe(apiVersion)}`);
    return undefined;
  }
  const meta = doc.metadata;
  if (!isObject(meta) || typeof meta.name !== "string" || meta.name === "") {
    diags.error("metadata.name", "required string is missing");
    return undefined;
  }
  const name = meta.name;
  const namespace = typeof meta.namespace === "string" && meta.namespace !== "" ? meta.namespace : defaultNamespace;
  const d = diags.child(`${namespace}/${name}`);
  if (!DNS_LABEL.test(name) || name.length > MAX_NAME)
    d.error(
      "metadata.name",
      `"${name}" is not a DNS label of at most ${MAX_NAME} characters (KServe hashes longer route names)`,
    );
  const annotations = stringMap(meta.annotations, "metadata.annotations", d);
  const uid = typeof meta.uid === "string" && meta.uid !== "" ? meta.uid : undefined;
  const loggerPath = `metadata.annotations["${LLM_LOGGER_ANNOTATION}"]`;
  let logger: LoggerSpec | undefined;
  const text = annotations[LLM_LOGGER_ANNOTATION];
  if (text !== undefined) {
    const parsed = YAML.parseDocument(text, { uniqueKeys: true });
    if (parsed.errors.length > 0)
      d.error(loggerPath, `not a JSON or YAML logger spec: ${parsed.errors[0]!.message.split("\n")[0]}`);
    else logger = parseLogger(parsed.toJS(), loggerPath, d);
  }
  const spec = isObject(doc.spec) ? doc.spec : {};
  const router = isObject(spec.router) ? spec.router : undefined;
  const route = router && isObject(router.route) ? router.route : undefined;
  const http = route && isObject(route.http) ? route.http : undefined;
  const routes: string[] = [];
  if (http && Array.isArray(http.refs) && http.refs.length > 0) {
    http.refs.forEach((r: unknown, i) => {
      if (isObject(r) && typeof r.name === "string" && r.name !== "") routes.push(r.name);
      else d.error(`spec.router.route.http.refs[${i}]`, "must name an HTTPRoute");
    });
  } else if (route) routes.push(name + ROUTE_SUFFIX);
  let gateway: GatewayRef | undefined;
  const gw = router && isObject(router.gateway) ? router.gateway : undefined;
  if (gw && Array.isArray(gw.refs) && gw.refs.length > 0) {
    const r = gw.refs[0] as unknown;
    if (isObject(r) && typeof r.name === "string" && r.name !== "")
      gateway = {
        name: r.name,
        namespace: typeof r.namespace === "string" && r.namespace !== "" ? r.namespace : namespace,
      };
    else d.error("spec.router.gateway.refs[0]", "must name a Gateway");
  }
  const model = isObject(spec.model) && typeof spec.model.name === "string" ? spec.model.name : undefined;
  if (d.hasErrors) return undefined;
  return { apiVersion, name, namespace, uid, annotations, logger, loggerPath, routes, gateway, model };
}
