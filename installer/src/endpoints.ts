// Knative revision → "default" | "canary", from the ISVC status. KServe's own agent never
// fills `endpoint` in (no controller sets the pod label it reads); the filter looks the pod's
// `serving.knative.dev/revision` label up in this map instead.
//
// Serverless canary rollout (`canaryTrafficPercent`): status.components.<c>.traffic has two
// targets, the revision being rolled out (latestRevision: true, tag "latest") and the last one
// rolled out to 100% (tag "prev"). The first is the canary, every other revision with traffic
// is default. Without a split, the revision that serves (latestRolledoutRevision, else
// latestReadyRevision) is default.
import { configField } from "../../filter/assembly/config-fields.js";
import { isObject } from "./io.js";

/** entries the filter accepts in pluginConfig.endpoints */
export const MAX_ENDPOINTS = configField("endpoints").max;

export function revisionEndpoints(
  status: Record<string, unknown>,
  component: string,
): Record<string, "default" | "canary"> {
  const out: Record<string, "default" | "canary"> = {};
  const comps = status.components;
  if (!isObject(comps) || !isObject(comps[component])) return out;
  const c = comps[component];
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const latestReady = str(c.latestReadyRevision);
  const latestCreated = str(c.latestCreatedRevision);
  const latestRolledout = str(c.latestRolledoutRevision);

  const targets = Array.isArray(c.traffic) ? c.traffic.filter(isObject) : [];
  const serving = targets
    .map((t) => ({
      revision: str(t.revisionName) ?? (t.latestRevision === true ? (latestReady ?? latestCreated) : undefined),
      percent: typeof t.percent === "number" ? t.percent : 0,
      latest: t.latestRevision === true || t.tag === "latest",
    }))
    .filter(
      (t): t is { revision: string; percent: number; latest: boolean } => t.revision !== undefined && t.percent > 0,
    );
  const distinct = new Set(serving.map((t) => t.revision));
  if (distinct.size > 1) {
    for (const t of serving) {
      const canary = t.latest && t.revision !== latestRolledout;
      // a revision listed twice (e.g. tagged and untagged) is canary only if it is so in every entry
      if (out[t.revision] === undefined || out[t.revision] === "canary")
        out[t.revision] = canary ? "canary" : "default";
    }
    return out;
  }
  const only = distinct.size === 1 ? [...distinct][0] : (latestRolledout ?? latestReady);
  if (only !== undefined) out[only] = "default";
  return out;
}
