// metadataAnnotations → key/value map, from the same sources KServe's pods get them: the
// ISVC's annotations minus KServe's disallowed list, overlaid with the component's own
// `annotations`. (ServingRuntime annotations also reach KServe's pods; they are not read here.)
import type { Diagnostics } from "./diagnostics.js";
import type { LoggedComponent } from "./isvc.js";
import { isSensitiveAnnotationKey } from "./sensitive.js";

export interface AnnotationPolicy {
  disallowed: readonly string[];
  /** keys allowed although they look sensitive (--allow-annotation) */
  allow: readonly string[];
  /** a selected key the ISVC does not have is an error instead of a warning (--strict) */
  strict: boolean;
}

export function resolveAnnotations(
  isvcAnnotations: Record<string, string>,
  comp: LoggedComponent,
  policy: AnnotationPolicy,
  d: Diagnostics,
): Record<string, string> {
  const podAnnotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(isvcAnnotations)) if (!policy.disallowed.includes(k)) podAnnotations[k] = v;
  Object.assign(podAnnotations, comp.annotations);

  const out: Record<string, string> = {};
  comp.logger.metadataAnnotations.forEach((key, i) => {
    const field = `${comp.loggerPath}.metadataAnnotations[${i}]`;
    if (isSensitiveAnnotationKey(key) && !policy.allow.includes(key)) {
      d.error(
        field,
        `"${key}" looks sensitive (credential or full manifest) and would be sent with every event; pass --allow-annotation ${key} to send it anyway`,
      );
      return;
    }
    if (policy.disallowed.includes(key) && !(key in comp.annotations)) {
      d.warn(
        field,
        `"${key}" is on KServe's disallowed annotation list and never reaches the pods; skipped, as KServe's agent does`,
      );
      return;
    }
    const v = podAnnotations[key];
    if (v === undefined) {
      const msg =
        `"${key}" is not an annotation of the InferenceService (nor of its ${comp.component}); ` +
        (policy.strict ? "refused (--strict)" : "skipped, as KServe's agent does");
      if (policy.strict) d.error(field, msg);
      else d.warn(field, msg);
      return;
    }
    out[key] = v;
  });
  return out;
}
