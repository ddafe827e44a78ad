// The installer as a library: what `render` does, for programs that embed it (the demo,
// testbed/demo.ts). The CLI (cli.ts) and the controller (kube/) are built on the same functions.
export { renderDocuments, type RenderResult, type NamespaceChoice } from "./render-docs.js";
export { DEFAULT_RENDER_OPTIONS, type RenderOptions } from "./render.js";
export { parseDocuments, type SourcedDoc } from "./io.js";
export { moduleRef } from "./module.js";
export { formatDiagnostic, type Diagnostic } from "./diagnostics.js";
