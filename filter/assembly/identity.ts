// The event identity, taken from the pod as KServe's injector means to: the
// sidecar's Istio node metadata (pod name, namespace, labels), with the
// pluginConfig values as the fallback where a property is absent. With
// identity "config" (a waypoint's or gateway's proxy, whose node metadata is its
// own, not the model pod's) only the pluginConfig values are used.

import { Config } from "./config";
import { getProperty, logWarn } from "./hostcalls";
import { isCleanHeaderText } from "./headers";

export const LABEL_ISVC = "serving.kserve.io/inferenceservice";
export const LABEL_COMPONENT = "component";
export const LABEL_ENDPOINT = "endpoint";
export const LABEL_REVISION = "serving.knative.dev/revision";

export class Identity {
  inferenceService: string = "";
  namespace: string = "";
  component: string = "";
  endpoint: string = "";
  source: string = "";
}

// Recent Envoy serves node metadata under `xds.node`; the top-level `node`
// was removed (envoy PR #36619). Try both, newest first.
function nodeMetadata(key: string, sub: string | null): string | null {
  const roots: string[][] = [["xds", "node", "metadata"], ["node", "metadata"]];
  for (let i = 0; i < roots.length; i++) {
    const path = roots[i].slice(0);
    path.push(key);
    if (sub !== null) path.push(sub);
    const v = getProperty(path);
    if (v !== null && v.byteLength > 0) {
      if (!isCleanHeaderText(changetype<usize>(v), v.byteLength)) {
        logWarn("kserve-logger: node metadata " + key + " holds a control character or invalid UTF-8; using the configured value");
        return null;
      }
      return String.UTF8.decode(v);
    }
  }
  return null;
}

function label(name: string): string | null {
  return nodeMetadata("LABELS", name);
}

export function resolveIdentity(cfg: Config): Identity {
  const id = new Identity();
  if (cfg.identityFromConfig) {
    id.inferenceService = cfg.inferenceService;
    id.namespace = cfg.namespace;
    id.component = cfg.component;
    id.source = cfg.source;
    id.endpoint = cfg.endpoint;
    return id;
  }
  const isvc = label(LABEL_ISVC);
  id.inferenceService = isvc !== null ? isvc : cfg.inferenceService;
  const ns = nodeMetadata("NAMESPACE", null);
  id.namespace = ns !== null ? ns : cfg.namespace;
  const comp = label(LABEL_COMPONENT);
  id.component = comp !== null ? comp : cfg.component;
  const name = nodeMetadata("NAME", null);
  id.source = name !== null ? name : cfg.source;
  // endpoint: KServe's own label if a pod has it, else the installer's
  // revision → endpoint map (KServe never fills this in), else the fallback.
  const ep = label(LABEL_ENDPOINT);
  if (ep !== null) id.endpoint = ep;
  else {
    const rev = label(LABEL_REVISION);
    const mapped = rev !== null ? cfg.endpointFor(rev) : "";
    id.endpoint = mapped.length > 0 ? mapped : cfg.endpoint;
  }
  return id;
}
