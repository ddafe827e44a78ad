// `render` over a whole input stream: every InferenceService (and LLMInferenceService) in it, every object validated
// against Istio's CRD before it is printed. All or nothing: one error and nothing is output,
// so that `render | kubectl apply -f -` never applies half of a set.
import { Diagnostics, type Diagnostic } from "./diagnostics.js";
import { isObject, type SourcedDoc } from "./io.js";
import { parseIsvc, describe, type Isvc } from "./isvc.js";
import { ISVC_KIND } from "./kserve.js";
import { LLMISVC_KIND, parseLlmIsvc } from "./llmisvc.js";
import { renderLlmIsvc } from "./envoy-gateway.js";
import { renderIsvc, type RenderOptions } from "./render.js";
import { validateObject } from "./validate/index.js";

export interface RenderResult {
  objects: object[];
  isvcs: Isvc[];
  diagnostics: Diagnostic[];
  ok: boolean;
}

export interface NamespaceChoice {
  /** namespace for ISVCs that name none */
  namespace: string;
  /** -n was given: an ISVC naming another namespace is an error, as with kubectl */
  explicit: boolean;
}

export function renderDocuments(docs: SourcedDoc[], opts: RenderOptions, ns: NamespaceChoice): RenderResult {
  const all: Diagnostic[] = [];
  const objects: object[] = [];
  const isvcs: Isvc[] = [];
  for (const { source, doc } of docs) {
    const d = new Diagnostics(source);
    if (isObject(doc) && doc.kind === LLMISVC_KIND) {
      // Envoy Gateway mode: EnvoyExtensionPolicies on its HTTPRoutes (envoy-gateway.ts)
      const l = parseLlmIsvc(doc, ns.namespace, d);
      if (l && ns.explicit && l.namespace !== ns.namespace)
        d.error(
          "metadata.namespace",
          `"${l.namespace}" does not match the namespace given with -n ("${ns.namespace}")`,
        );
      if (l && !d.hasErrors) objects.push(...renderLlmIsvc(l, opts, d.child(`${l.namespace}/${l.name}`)));
      all.push(...d.items);
      continue;
    }
    if (isObject(doc) && typeof doc.kind === "string" && doc.kind !== ISVC_KIND) {
      d.warn("kind", `${describe(doc.kind)} is not an InferenceService; skipped`);
      all.push(...d.items);
      continue;
    }
    const isvc = parseIsvc(doc, ns.namespace, d);
    if (isvc && ns.explicit && isvc.namespace !== ns.namespace) {
      d.error(
        "metadata.namespace",
        `"${isvc.namespace}" does not match the namespace given with -n ("${ns.namespace}")`,
      );
    }
    if (isvc && !d.hasErrors) {
      const sub = d.child(`${isvc.namespace}/${isvc.name}`);
      if (isvc.components.length === 0) sub.warn("spec", "no component has a logger; nothing to render");
      const objs = renderIsvc(isvc, opts, sub);
      for (const o of objs) {
        const r = validateObject(o);
        const name = `${(o as { kind: string }).kind} ${(o as { metadata: { name: string } }).metadata.name}`;
        for (const e of r.errors) sub.error(name, `generated object fails Istio's CRD validation: ${e}`);
      }
      if (!d.hasErrors) {
        objects.push(...objs);
        isvcs.push(isvc);
      }
    }
    all.push(...d.items);
  }
  const ok = !all.some((x) => x.severity === "error");
  return { objects: ok ? objects : [], isvcs: ok ? isvcs : [], diagnostics: all, ok };
}
