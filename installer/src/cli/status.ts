// `status`: what is logged, as rows built from what the cluster holds (pure: no API call), and
// the table a person reads.
import type { KubernetesObject } from "@kubernetes/client-node";
import { Diagnostics } from "../diagnostics.js";
import { parseIsvc } from "../isvc.js";
import { ISVC_API_VERSION, ISVC_KIND } from "../kserve.js";
import { ANNOTATION_LOGGER_URL, LABEL_COMPONENT, LABEL_ISVC } from "../wasmplugin.js";

export interface StatusRow {
  namespace: string;
  inferenceService: string;
  component: string;
  wasmPlugin: string;
  mode: string;
  logger: string;
  /** where the logger spec lives: "spec" (KServe's agent logs too), "annotation", or "?" */
  source: string;
  annotations: Record<string, string>;
}

/** One row per WasmPlugin of ours; `isvcs` by "namespace/name" tells where each logger spec lives. */
export function statusRows(plugins: KubernetesObject[], isvcs: Map<string, Record<string, unknown>>): StatusRow[] {
  return plugins.map((p) => {
    const cfg =
      (p as unknown as { spec?: { pluginConfig?: { annotations?: Record<string, string>; mode?: string } } }).spec
        ?.pluginConfig ?? {};
    const ns = p.metadata?.namespace ?? "";
    const name = p.metadata?.labels?.[LABEL_ISVC] ?? "";
    const component = p.metadata?.labels?.[LABEL_COMPONENT] ?? "";
    return {
      namespace: ns,
      inferenceService: name,
      component,
      wasmPlugin: p.metadata?.name ?? "",
      mode: cfg.mode ?? "all",
      logger: p.metadata?.annotations?.[ANNOTATION_LOGGER_URL] ?? "",
      source: loggerSourceOf(isvcs.get(`${ns}/${name}`), component),
      annotations: cfg.annotations ?? {},
    };
  });
}

/** kubectl-style columns, padded to the widest cell. */
export function statusTable(rows: StatusRow[]): string {
  const table = [
    ["NAMESPACE", "INFERENCESERVICE", "COMPONENT", "MODE", "LOGGER", "SOURCE", "ANNOTATIONS"],
    ...rows.map((r) => [
      r.namespace,
      r.inferenceService,
      r.component,
      r.mode,
      r.logger,
      r.source,
      Object.entries(r.annotations)
        .map(([k, x]) => `${k}=${x}`)
        .join(","),
    ]),
  ];
  const w = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
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

// Where a logged component's logger spec lives, as parseIsvc read it: "spec" (KServe injects
// its agent as well), "annotation" (the filter alone), or "?" (ISVC gone or no longer valid).
function loggerSourceOf(isvc: Record<string, unknown> | undefined, component: string): string {
  if (!isvc) return "?";
  const parsed = parseIsvc({ apiVersion: ISVC_API_VERSION, kind: ISVC_KIND, ...isvc }, "default", new Diagnostics(""));
  const path = parsed?.components.find((c) => c.component === component && c.canaryName === undefined)?.loggerPath;
  if (path === undefined) return "?";
  return path.startsWith("metadata.annotations") ? "annotation" : "spec";
}
