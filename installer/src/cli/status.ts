// `status`: what is logged and what is not, and why, as rows built from what the cluster holds
// (pure: no API call), and the tables a person reads. One row per logged component of an ISVC
// (its logger spec in the spec or in the annotation), and one per WasmPlugin of ours whose ISVC is gone.
import type { KubernetesObject } from "@kubernetes/client-node";
import { Diagnostics } from "../diagnostics.js";
import { parseIsvc } from "../isvc.js";
import { ISVC_API_VERSION, ISVC_KIND } from "../kserve.js";
import { planIsvc } from "../kube/reconcile.js";
import type { SwitchState } from "../kube/switch.js";
import { DEFAULT_RENDER_OPTIONS } from "../render.js";
import { ANNOTATION_LOGGER_URL, LABEL_COMPONENT, LABEL_ISVC } from "../wasmplugin.js";

export interface StatusRow {
  namespace: string;
  inferenceService: string;
  component: string;
  /**
   * logged | logged (KServe's agent too) | pending (not applied yet) | disabled (InferenceService) |
   * disabled (namespace) | refused: <reason> | orphaned (InferenceService gone)
   */
  state: string;
  wasmPlugin: string;
  mode: string;
  logger: string;
  /** where the logger spec lives: "spec" (KServe's agent logs too), "annotation", or "?" */
  source: string;
  annotations: Record<string, string>;
}

// Whether an ISVC can be rendered does not depend on the module it would point at.
const STATUS_RENDER = { ...DEFAULT_RENDER_OPTIONS, module: { url: "oci://status.invalid/module", sha256: undefined } };

/**
 * Rows for `isvcs` (by "namespace/name") and the WasmPlugins of ours, with the switches of each
 * namespace. A WasmPlugin whose ISVC is not among `isvcs` is an orphan.
 */
export function statusRows(
  plugins: KubernetesObject[],
  isvcs: Map<string, Record<string, unknown>>,
  switches: (namespace: string) => SwitchState = () => ({ namespaceEnabled: true, disabledIsvcs: new Set() }),
): StatusRow[] {
  const rows: StatusRow[] = [];
  const byComponent = new Map(
    plugins.map((p) => [
      `${p.metadata?.namespace}/${p.metadata?.labels?.[LABEL_ISVC]}/${p.metadata?.labels?.[LABEL_COMPONENT]}`,
      p,
    ]),
  );
  const used = new Set<KubernetesObject>();
  for (const [key, obj] of isvcs) {
    const [ns, name] = key.split("/") as [string, string];
    const full = { apiVersion: ISVC_API_VERSION, kind: ISVC_KIND, ...obj };
    const parsed = parseIsvc(full, ns, new Diagnostics(""));
    const plan = planIsvc(full, STATUS_RENDER, switches);
    const sw = switches(ns);
    const components = parsed?.components.filter((c) => c.canaryName === undefined) ?? [];
    const refused = plan.diagnostics.find((d) => d.severity === "error");
    const logged = components.map((x) => ({ c: x.component, source: sourceOf(x.loggerPath) }));
    for (const { c, source } of logged.length > 0 ? logged : refused ? [{ c: "?", source: "?" }] : []) {
      const p = byComponent.get(`${ns}/${name}/${c}`);
      if (p) used.add(p);
      const state = refused
        ? `refused: ${refused.field ? `${refused.field}: ` : ""}${refused.message}`
        : !plan.enabled
          ? `disabled (${sw.namespaceEnabled ? "InferenceService" : "namespace"})`
          : !p
            ? "pending (not applied yet)"
            : source === "spec"
              ? "logged (KServe's agent too)"
              : "logged";
      rows.push(rowOf(ns, name, c, state, p, source));
    }
  }
  for (const p of plugins) {
    if (used.has(p)) continue;
    const ns = p.metadata?.namespace ?? "";
    const name = p.metadata?.labels?.[LABEL_ISVC] ?? "";
    // a plugin of an ISVC that is listed but no longer logs this component is an orphan too
    rows.push(
      rowOf(
        ns,
        name,
        p.metadata?.labels?.[LABEL_COMPONENT] ?? "",
        isvcs.has(`${ns}/${name}`) ? "orphaned (component no longer logged)" : "orphaned (InferenceService gone)",
        p,
        "?",
      ),
    );
  }
  return rows.sort(
    (a, b) =>
      a.namespace.localeCompare(b.namespace) ||
      a.inferenceService.localeCompare(b.inferenceService) ||
      a.component.localeCompare(b.component),
  );
}

function rowOf(
  ns: string,
  name: string,
  component: string,
  state: string,
  p: KubernetesObject | undefined,
  source: string,
): StatusRow {
  const cfg =
    (p as unknown as { spec?: { pluginConfig?: { annotations?: Record<string, string>; mode?: string } } } | undefined)
      ?.spec?.pluginConfig ?? {};
  return {
    namespace: ns,
    inferenceService: name,
    component,
    state,
    wasmPlugin: p?.metadata?.name ?? "",
    mode: p ? (cfg.mode ?? "all") : "",
    logger: p?.metadata?.annotations?.[ANNOTATION_LOGGER_URL] ?? "",
    source,
    annotations: cfg.annotations ?? {},
  };
}

/** kubectl-style columns, padded to the widest cell; `wide` adds the source of the logger spec and the WasmPlugin. */
export function statusTable(rows: StatusRow[], wide = false): string {
  const head = [
    "NAMESPACE",
    "INFERENCESERVICE",
    "COMPONENT",
    "STATE",
    "MODE",
    "LOGGER",
    ...(wide ? ["SOURCE", "WASMPLUGIN"] : []),
    "ANNOTATIONS",
  ];
  const table = [
    head,
    ...rows.map((r) => [
      r.namespace,
      r.inferenceService,
      r.component,
      r.state,
      r.mode || "-",
      r.logger || "-",
      ...(wide ? [r.source, r.wasmPlugin || "-"] : []),
      Object.entries(r.annotations)
        .map(([k, x]) => `${k}=${x}`)
        .join(",") || "-",
    ]),
  ];
  const w = head.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table
    .map(
      (row) =>
        row
          .map((c, i) => (i === row.length - 1 ? c : c.padEnd(w[i]! + 2)))
          .join("")
          .trimEnd() + "\n",
    )
    .join("");
}

/** -o name: one `inferenceservice/NAME` per ISVC (as kubectl prints names). */
export function statusNames(rows: StatusRow[]): string {
  return [...new Set(rows.map((r) => `inferenceservice.serving.kserve.io/${r.inferenceService}`))]
    .map((l) => l + "\n")
    .join("");
}

// Where a logged component's logger spec lives, as parseIsvc read it: "spec" (KServe injects
// its agent as well) or "annotation" (the filter alone).
function sourceOf(loggerPath: string): string {
  return loggerPath.startsWith("metadata.annotations") ? "annotation" : "spec";
}
