// The pluginConfig contract as one table: every field with its type, default and limits. The
// filter's parser (config.ts: which keys exist, the defaults, the integer ranges) and the installer
// (installer/src/plugin-config.ts: its checks and limits) read their numbers from here; tests hold
// docs/plugin-config.md's table and the fuzz test's field list against it. Compiled by both
// AssemblyScript and TypeScript, so written in the subset both accept (like sensitive-names.ts):
// classes, strings, `number` (f64 in AssemblyScript), `boolean`, arrays and loops.

// Limits on single items, beside the table's per-field ones.
export const MAX_CONFIG_BYTES = 262144; // the whole pluginConfig, refused before it is parsed
export const MAX_ANNOTATIONS_JSON_BYTES = 16384; // ce-annotations as serialized
export const MAX_ANNOTATION_KEY_CHARS = 317; // a qualified Kubernetes annotation key: 253 + "/" + 63
export const MAX_HEADER_NAME_CHARS = 256; // a metadataHeaders name
export const MAX_REDACT_PATH_CHARS = 256;
export const MAX_REDACT_PATH_SEGMENTS = 16;

export const T_STRING = "string";
export const T_INTEGER = "integer";
export const T_NUMBER = "number"; // a JSON number within [min, max], fractions allowed
export const T_BOOLEAN = "bool";
export const T_STRINGS = "string[]";
export const T_MAP = "object string→string";
export const T_SECTION = "object"; // a group of fields: logger, limits, retry, batch, sampling, llm

export class ConfigField {
  constructor(
    /** "limits.maxBodyBytes": the section, a dot, the key; top-level fields have no dot */
    public path: string,
    public type: string,
    public required: boolean,
    /** the default as docs/plugin-config.md shows it; "" when required or a section */
    public def: string,
    /** integer, number: the smallest value; string: the fewest characters */
    public min: number,
    /** integer, number: the largest value; string: the most characters; string[] and maps: the most entries */
    public max: number,
  ) {}

  /** the key inside its section */
  get key(): string {
    const dot = this.path.indexOf(".");
    return dot < 0 ? this.path : this.path.substring(dot + 1);
  }

  /** the section ("" for a top-level field) */
  get section(): string {
    const dot = this.path.indexOf(".");
    return dot < 0 ? "" : this.path.substring(0, dot);
  }
}

export const CONFIG_FIELDS: ConfigField[] = [
  new ConfigField("inferenceService", T_STRING, true, "", 1, 253),
  new ConfigField("namespace", T_STRING, true, "", 1, 63),
  new ConfigField("component", T_STRING, false, "predictor", 1, 32),
  new ConfigField("endpoint", T_STRING, false, "", 0, 63),
  new ConfigField("endpoints", T_MAP, false, "{}", 0, 64),
  new ConfigField("mode", T_STRING, false, "all", 1, 16),
  new ConfigField("identity", T_STRING, false, "pod", 1, 16),
  new ConfigField("logger", T_SECTION, true, "", 0, 0),
  new ConfigField("logger.cluster", T_STRING, true, "", 1, 512),
  new ConfigField("logger.authority", T_STRING, true, "", 1, 256),
  new ConfigField("logger.path", T_STRING, false, "/", 1, 2048),
  new ConfigField("logger.timeoutMs", T_INTEGER, false, "5000", 1, 60000),
  new ConfigField("source", T_STRING, false, "http://localhost:9081/", 1, 2048),
  new ConfigField("metadataHeaders", T_STRINGS, false, "[]", 0, 32),
  new ConfigField("allowSensitiveHeaders", T_STRINGS, false, "[]", 0, 64),
  new ConfigField("annotations", T_MAP, false, "{}", 0, 128),
  new ConfigField("logAllResponses", T_BOOLEAN, false, "false", 0, 0),
  new ConfigField("headerEncoding", T_STRING, false, "raw", 1, 16),
  new ConfigField("eventId", T_STRING, false, "kserve", 1, 16),
  new ConfigField("limits", T_SECTION, false, "", 0, 0),
  new ConfigField("limits.maxBodyBytes", T_INTEGER, false, "1048576", 0, 67108864),
  new ConfigField("limits.maxMetadataBytes", T_INTEGER, false, "8192", 2, 65536),
  new ConfigField("limits.maxInflightCallouts", T_INTEGER, false, "64", 1, 4096),
  new ConfigField("limits.drainTimeoutMs", T_INTEGER, false, "10000", 0, 120000),
  new ConfigField("limits.maxHeldBytes", T_INTEGER, false, "67108864", 1048576, 1073741824),
  new ConfigField("limits.maxRedactBytes", T_INTEGER, false, "1048576", 0, 16777216),
  new ConfigField("retry", T_SECTION, false, "", 0, 0),
  new ConfigField("retry.maxRetries", T_INTEGER, false, "2", 0, 10),
  new ConfigField("retry.initialBackoffMs", T_INTEGER, false, "100", 1, 60000),
  new ConfigField("retry.maxBackoffMs", T_INTEGER, false, "2000", 1, 300000),
  new ConfigField("retry.budgetBytes", T_INTEGER, false, "8388608", 0, 268435456),
  new ConfigField("redactPaths", T_STRINGS, false, "[]", 0, 32),
  new ConfigField("batch", T_SECTION, false, "", 0, 0),
  new ConfigField("batch.maxEvents", T_INTEGER, false, "100", 1, 1000),
  new ConfigField("batch.maxBytes", T_INTEGER, false, "1048576", 1024, 16777216),
  new ConfigField("batch.intervalMs", T_INTEGER, false, "1000", 1, 60000),
  new ConfigField("sampling", T_SECTION, false, "", 0, 0),
  new ConfigField("sampling.rate", T_NUMBER, false, "1", 0, 1),
  new ConfigField("sampling.header", T_STRING, false, "", 1, 256),
  new ConfigField("llm", T_SECTION, false, "", 0, 0),
  new ConfigField("llm.body", T_STRING, false, "raw", 1, 16),
  new ConfigField("llm.maxEventBytes", T_INTEGER, false, "65536", 1024, 1048576),
];

/** The field at `path`; the table is the contract, so an unknown path is a programming error. */
export function configField(path: string): ConfigField {
  for (let i = 0; i < CONFIG_FIELDS.length; i++) {
    if (CONFIG_FIELDS[i].path == path) return CONFIG_FIELDS[i];
  }
  throw new Error("no pluginConfig field " + path);
}

/** The keys allowed in a section ("" = the top level). */
export function configKeys(section: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < CONFIG_FIELDS.length; i++) {
    if (CONFIG_FIELDS[i].section == section) out.push(CONFIG_FIELDS[i].key);
  }
  return out;
}

/** An integer field's default. */
export function intDefault(path: string): number {
  return parseInt(configField(path).def);
}
