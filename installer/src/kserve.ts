// Facts about KServe that the installer relies on, read from kserve/kserve
// (pkg/constants/constants.go, pkg/apis/serving/v1beta1, config/configmap/inferenceservice.yaml).

export const ISVC_API_VERSION = "serving.kserve.io/v1beta1";
export const ISVC_KIND = "InferenceService";

/** Pod label carrying the ISVC name (constants.InferenceServicePodLabelKey); set in Serverless and RawDeployment. */
export const ISVC_POD_LABEL = "serving.kserve.io/inferenceservice";
/** Pod label carrying predictor|transformer|explainer (constants.KServiceComponentLabel). */
export const COMPONENT_POD_LABEL = "component";
/** RawDeployment pod label `app: isvc.<deployment name>` (constants.RawDeploymentAppLabel). */
export const RAW_APP_POD_LABEL = "app";
/** Knative revision label on Serverless pods; the filter maps it to default/canary. */
export const KNATIVE_REVISION_LABEL = "serving.knative.dev/revision";

export const COMPONENTS = ["predictor", "transformer", "explainer"] as const;
export type Component = (typeof COMPONENTS)[number];

export const LOGGER_MODES = ["all", "request", "response"] as const;

/**
 * ISVC annotation carrying a component's logger spec for the installer alone:
 * `kserve-wasm-logger/logger.<component>`, a JSON (or YAML) LoggerSpec. KServe injects its
 * agent container whenever `spec.<component>.logger` is set; a logger held here keeps the
 * agent out while the filter logs (docs/migration.md).
 */
export const LOGGER_ANNOTATION_PREFIX = "kserve-wasm-logger/logger.";
export type LoggerMode = (typeof LOGGER_MODES)[number];

/** `logger.defaultUrl` of the inferenceservice-config ConfigMap as shipped. */
export const DEFAULT_LOGGER_URL = "http://default-broker";

/**
 * ISVC annotations KServe never copies to the pods (constants.ServiceAnnotationDisallowedList),
 * so a metadataAnnotations key naming one of them is never found by KServe's agent either.
 * The ConfigMap can add more: --disallowed-annotation.
 */
export const KSERVE_DISALLOWED_ANNOTATIONS: readonly string[] = [
  "autoscaling.knative.dev/min-scale",
  "autoscaling.knative.dev/max-scale",
  "internal.serving.kserve.io/storage-initializer-sourceuri",
  "kubectl.kubernetes.io/last-applied-configuration",
];
