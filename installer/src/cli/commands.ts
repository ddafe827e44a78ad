// The commands: each a set of flags, its help, and what it does, built on the installer's pure
// functions (render, plan) and its Kube interface. cli.ts parses argv and dispatches here.
import { formatDiagnostic, UsageError } from "../diagnostics.js";
import { formatObjects } from "../io.js";
import { ISVC_API_VERSION, ISVC_KIND } from "../kserve.js";
import { deleteIsvcObjects, reconcileIsvc, refString, type Action } from "../kube/reconcile.js";
import { readSwitches, setIsvcSwitch, setNamespaceSwitch, type SwitchState } from "../kube/switch.js";
import { renderDocuments } from "../render-docs.js";
import { validateObject } from "../validate/index.js";
import { FIELD_MANAGER, LABEL_ISVC, LABEL_MANAGED_BY, WASMPLUGIN_API_VERSION } from "../wasmplugin.js";
import { clusterTarget, moduleInCluster, runningController, targetIsvcs } from "./cluster.js";
import { LEASE_NAME } from "../kube/lease.js";
import type { RenderOptions } from "../render.js";
import type { Io } from "./context.js";
import {
  CLUSTER,
  CLUSTER_HELP,
  CLUSTER_NO_DRY_RUN,
  CLUSTER_NO_DRY_RUN_HELP,
  controlNamespace,
  dryRun,
  FILES,
  OUTPUT,
  outputFormat,
  outputOption,
  readFiles,
  RENDER_HELP,
  RENDER_OPTIONS,
  renderOptions,
  type Command,
  type Values,
} from "./flags.js";
import { statusNames, statusRows, statusTable } from "./status.js";
import { WATCH_HELP, WATCH_OPTIONS, watchCommand } from "./watch.js";

function printActions(actions: Action[], dry: string | undefined, io: Io): void {
  const suffix = dry ? ` (dry run, ${dry})` : "";
  for (const a of actions) io.stdout(`${refString(a.ref)} ${a.verb}${a.reason ? ` (${a.reason})` : ""}${suffix}\n`);
}

export const COMMANDS: Record<string, Command> = {
  render: {
    summary: "Render the WasmPlugins (and ServiceEntry/DestinationRule) for InferenceServices; no cluster needed",
    usage: "render -f FILE|- --module-url URL [--module-sha256 HEX | --module-file FILE] [flags]",
    options: RENDER_OPTIONS,
    help: RENDER_HELP,
    run(v, io) {
      const format = outputFormat(v);
      const opts = renderOptions(v);
      const ns = (v.namespace as string | undefined) ?? "default";
      const res = renderDocuments(readFiles(v), opts, { namespace: ns, explicit: v.namespace !== undefined });
      for (const d of res.diagnostics) io.stderr(formatDiagnostic(d) + "\n");
      if (!res.ok) return 1;
      if (res.objects.length > 0) io.stdout(formatObjects(res.objects, format));
      return 0;
    },
  },
  validate: {
    summary: "Validate WasmPlugin manifests against Istio's CRD: OpenAPI schema and CEL rules",
    usage: "validate -f FILE|- [-f FILE ...]",
    options: FILES,
    help: {
      "-f, --filename FILE|-": "manifests to check (YAML or JSON, several documents); repeatable",
    },
    run(v, io) {
      let failed = 0;
      let checked = 0;
      for (const { source, doc } of readFiles(v)) {
        const r = validateObject(doc);
        const meta = (doc as { kind?: unknown; metadata?: { name?: unknown } } | null) ?? {};
        const what = `${source}: ${String(meta.kind ?? "?")} ${String(meta.metadata?.name ?? "?")}`;
        if (!r.checked) {
          io.stderr(`warning: ${what}: no schema for this kind; not checked\n`);
          continue;
        }
        checked++;
        if (r.errors.length > 0) {
          failed++;
          for (const e of r.errors) io.stderr(`error: ${what}: ${e}\n`);
        } else io.stdout(`${what}: valid\n`);
      }
      if (checked === 0 && failed === 0) io.stderr("warning: nothing was checked\n");
      return failed > 0 ? 1 : 0;
    },
  },
  apply: {
    summary:
      "Render and server-side apply the logging of InferenceServices read from the cluster (idempotent; prunes what is no longer wanted)",
    usage:
      "apply (NAME ... | --all) [-n NS | -A] --module-url URL [render flags] [--dry-run=client|server] [-o yaml|json] [--kubeconfig FILE]",
    options: { ...RENDER_OPTIONS, ...CLUSTER },
    help: {
      ...CLUSTER_HELP,
      "-o, --output yaml|json":
        "print the objects applied (with --dry-run: that would be applied) on stdout; the actions go to stderr",
      ...Object.fromEntries(
        Object.entries(RENDER_HELP).filter(([k]) => !k.startsWith("-f") && !k.startsWith("-n") && !k.startsWith("-o")),
      ),
    },
    async run(v, io, positionals) {
      const dry = dryRun(v);
      const opts = renderOptions(v);
      const format = v.output !== undefined ? outputFormat(v) : undefined;
      const t = clusterTarget(v, positionals, true, io);
      let failed = false;
      const objects: object[] = [];
      for (const isvc of await targetIsvcs(t)) {
        const r = await reconcileIsvc(t.kube, isvc, opts, dry, undefined, controlNamespace(v));
        for (const d of r.diagnostics) io.stderr(formatDiagnostic(d) + "\n");
        if (!r.ok) failed = true;
        objects.push(...r.objects);
        printActions(r.actions, dry, format ? { ...io, stdout: io.stderr } : io);
      }
      if (format && objects.length > 0) io.stdout(formatObjects(objects, format));
      return failed ? 1 : 0;
    },
  },
  delete: {
    summary: "Delete the WasmPlugins (and ServiceEntry/DestinationRule) made for InferenceServices",
    usage: "delete (NAME ... | --all) [-n NS | -A] [--dry-run=client|server] [--kubeconfig FILE]",
    options: CLUSTER,
    help: CLUSTER_HELP,
    async run(v, io, positionals) {
      const dry = dryRun(v);
      const t = clusterTarget(v, positionals, true, io);
      // by name, not by ISVC lookup: the ISVC may already be gone
      const targets = t.all
        ? (
            await t.kube.list(WASMPLUGIN_API_VERSION, "WasmPlugin", t.namespace, `${LABEL_MANAGED_BY}=${FIELD_MANAGER}`)
          ).map((o) => [o.metadata!.namespace!, o.metadata!.labels![LABEL_ISVC]!] as const)
        : t.names.map((n) => [t.namespace!, n] as const);
      const seen = new Set<string>();
      for (const [ns, name] of targets) {
        if (seen.has(`${ns}/${name}`)) continue;
        seen.add(`${ns}/${name}`);
        const actions = await deleteIsvcObjects(t.kube, ns, name, dry);
        if (actions.length === 0) io.stderr(`warning: ${ns}/${name}: nothing to delete\n`);
        printActions(actions, dry, io);
      }
      return 0;
    },
  },
  enable: {
    summary: "Switch logging on for InferenceServices or a whole namespace (no pod restart), then apply",
    usage: "enable (NAME ... | --namespace-wide) [-n NS] [--module-url URL [render flags]] [--kubeconfig FILE]",
    options: { ...RENDER_OPTIONS, ...CLUSTER_NO_DRY_RUN, "namespace-wide": { type: "boolean" } },
    help: {
      "--namespace-wide": "switch the namespace (label kserve-wasm-logger/enabled on the Namespace)",
      ...CLUSTER_NO_DRY_RUN_HELP,
      ...Object.fromEntries(
        Object.entries(RENDER_HELP)
          .filter(([k]) => !k.startsWith("-f") && !k.startsWith("-n") && !k.startsWith("-o"))
          .map(([k, d]) =>
            k.startsWith("--module-url")
              ? [
                  k,
                  `${d}; optional here: a running controller applies the switch itself, else the module of a WasmPlugin of ours is used`,
                ]
              : [k, d],
          ),
      ),
    },
    run: (v, io, positionals) => toggle(true, v, io, positionals),
  },
  disable: {
    summary:
      "Switch logging off for InferenceServices or a whole namespace: their WasmPlugins are deleted (no pod restart)",
    usage: "disable (NAME ... | --namespace-wide) [-n NS] [--kubeconfig FILE]",
    options: { ...CLUSTER_NO_DRY_RUN, "namespace-wide": { type: "boolean" } },
    help: {
      "--namespace-wide": "switch the namespace (label kserve-wasm-logger/enabled=false on the Namespace)",
      ...CLUSTER_NO_DRY_RUN_HELP,
    },
    run: (v, io, positionals) => toggle(false, v, io, positionals),
  },
  watch: {
    summary:
      "Controller: keep the logging of every InferenceService in line as they change (list+watch; runs until SIGTERM)",
    usage:
      "watch (-A | -n NS [-n NS ...]) --module-url URL [--module-sha256 HEX] [render flags] [--health-addr :8081] [--kubeconfig FILE]",
    options: WATCH_OPTIONS,
    help: WATCH_HELP,
    run(v, io, positionals) {
      if (positionals.length > 0)
        throw new UsageError(`unexpected argument "${positionals[0]}" (watch takes -A or -n)`);
      return watchCommand(v, io);
    },
  },
  status: {
    summary:
      "Show each logged InferenceService component and its state (logged, pending, disabled, refused), where it logs to, with which annotations",
    usage: "status [NAME ...] [-n NS | -A] [-o wide|name|yaml|json] [--kubeconfig FILE]",
    options: { ...CLUSTER_NO_DRY_RUN, ...OUTPUT },
    help: {
      ...CLUSTER_NO_DRY_RUN_HELP,
      "-o, --output wide|name|yaml|json":
        "wide: also where the logger spec lives and the WasmPlugin; name: the ISVCs' names; yaml|json: the rows",
    },
    async run(v, io, positionals) {
      const out = outputOption(v);
      if (out !== undefined && !["wide", "name", "yaml", "json"].includes(out)) {
        throw new UsageError(`--output: unsupported format "${out}" (wide, name, yaml or json)`);
      }
      const t = clusterTarget(v, positionals, false, io);
      // NAME: that ISVC only (it must exist); several names, those.
      const isvcList =
        positionals.length > 0
          ? await targetIsvcs(t)
          : ((await t.kube.list(ISVC_API_VERSION, ISVC_KIND, t.namespace)) as unknown as Record<string, unknown>[]);
      const keyOf = (o: Record<string, unknown>) => {
        const m = o.metadata as { namespace?: string; name?: string };
        return `${m.namespace}/${m.name}`;
      };
      const isvcs = new Map(isvcList.map((o) => [keyOf(o), o]));
      const plugins = (
        await t.kube.list(WASMPLUGIN_API_VERSION, "WasmPlugin", t.namespace, `${LABEL_MANAGED_BY}=${FIELD_MANAGER}`)
      ).filter((p) => positionals.length === 0 || positionals.includes(p.metadata?.labels?.[LABEL_ISVC] ?? ""));
      // the switches of every namespace shown (a Namespace label, the control namespace's ConfigMap)
      const namespaces = new Set([...isvcs.keys()].map((k) => k.split("/")[0]!));
      const switches = new Map<string, SwitchState>();
      for (const ns of namespaces) switches.set(ns, await readSwitches(t.kube, ns, controlNamespace(v)));
      const rows = statusRows(
        plugins,
        isvcs,
        (ns) => switches.get(ns) ?? { namespaceEnabled: true, disabledIsvcs: new Set() },
      );
      if (out === "yaml" || out === "json") {
        io.stdout(formatObjects([{ items: rows }], out));
        return 0;
      }
      if (out === "name") {
        io.stdout(statusNames(rows));
        return 0;
      }
      if (rows.length === 0) {
        io.stderr(
          "No InferenceService here has a logger (spec.<component>.logger or the kserve-wasm-logger/logger.<component> annotation).\n",
        );
        return 0;
      }
      io.stdout(statusTable(rows, out === "wide"));
      const twice = rows.filter((r) => r.state === "logged (KServe's agent too)").length;
      if (twice > 0) {
        io.stderr(
          `${twice} of them also have spec.<component>.logger, so KServe's agent logs them too (every event twice); ` +
            `move the logger into the kserve-wasm-logger/logger.<component> annotation to switch the agent off (docs/migration.md).\n`,
        );
      }
      return 0;
    },
  },
};

async function toggle(on: boolean, v: Values, io: Io, positionals: string[]): Promise<number> {
  const t = clusterTarget(v, positionals, v["namespace-wide"] !== true, io);
  if (t.namespace === undefined) throw new UsageError("-A is not supported here; name the namespace with -n");
  const ns = t.namespace;
  if (v["namespace-wide"] === true && positionals.length > 0)
    throw new UsageError("give names or --namespace-wide, not both");
  // Every named ISVC must exist before any switch is written: a typo changes nothing (rc 1).
  const isvcs = v["namespace-wide"] === true ? await targetIsvcs({ ...t, all: true }) : await targetIsvcs(t);
  // enable without module flags: a running controller applies what the switch asks; else the
  // module of a WasmPlugin already there is the one to use
  let controller: string | undefined;
  let opts: RenderOptions | undefined;
  if (on && v["module-url"] === undefined) {
    controller = await runningController(t.kube, controlNamespace(v));
    if (!controller) {
      const m = await moduleInCluster(t.kube, ns);
      if (!m) {
        throw new UsageError(
          `--module-url is required: no controller holds Lease ${controlNamespace(v)}/${LEASE_NAME} and there is no WasmPlugin of ours to take the module from`,
        );
      }
      io.stderr(`module ${m.url} (as WasmPlugin ${m.from})\n`);
      opts = renderOptions({
        ...v,
        "module-url": m.url,
        "module-sha256": m.sha256,
        "allow-unpinned-module": m.sha256 === undefined,
      });
    }
  } else if (on) opts = renderOptions(v);
  if (v["namespace-wide"] === true) {
    await setNamespaceSwitch(t.kube, ns, on);
    io.stdout(`namespace/${ns} logging ${on ? "enabled" : "disabled"}\n`);
  } else {
    for (const name of t.names) {
      await setIsvcSwitch(t.kube, ns, name, on, controlNamespace(v));
      io.stdout(`inferenceservice/${name} -n ${ns} logging ${on ? "enabled" : "disabled"}\n`);
    }
  }
  if (controller) {
    io.stdout(`the controller (${controller}) applies it\n`);
    return 0;
  }
  // bring the affected ISVCs in line now (a running `watch` would do the same)
  let failed = false;
  for (const isvc of isvcs) {
    if (on) {
      const r = await reconcileIsvc(t.kube, isvc, opts!, undefined, undefined, controlNamespace(v));
      for (const d of r.diagnostics) io.stderr(formatDiagnostic(d) + "\n");
      if (!r.ok) failed = true;
      printActions(r.actions, undefined, io);
    } else {
      const m = (isvc as { metadata: { name: string } }).metadata;
      printActions(await deleteIsvcObjects(t.kube, ns, m.name), undefined, io);
    }
  }
  return failed ? 1 : 0;
}
