// `watch`: the controller's process — its flags, leader election, health server and signals
// around the Controller of kube/controller.ts.
import { hostname } from "node:os";
import { InputError, UsageError } from "../diagnostics.js";
import { startHealthServer, type HealthServer } from "../health.js";
import { DEFAULT_BACKOFF } from "../kube/backoff.js";
import { withRequestTimeout } from "../kube/client.js";
import { Controller } from "../kube/controller.js";
import { LEASE_NAME, LeaderElector, leaderGated } from "../kube/lease.js";
import {
  GuardedKube,
  LLM_WATCH_PERMISSIONS,
  namespacedWatchPermissions,
  WATCH_PERMISSIONS,
} from "../kube/permissions.js";
import { DEFAULT_CONTROL_NAMESPACE, SWITCH_CONFIGMAP } from "../kube/switch.js";
import { ControllerMetrics } from "../metrics.js";
import { connect, type Io } from "./context.js";
import {
  controlNamespace,
  intOption,
  RENDER_HELP,
  RENDER_OPTIONS,
  renderOptions,
  type Options,
  type Values,
} from "./flags.js";

export const WATCH_OPTIONS: Options = {
  "log-format": { type: "string" },
  verbose: { type: "boolean", short: "v", multiple: true },
  ...Object.fromEntries(
    Object.entries(RENDER_OPTIONS).filter(([k]) => !["filename", "output", "namespace"].includes(k)),
  ),
  namespace: { type: "string", short: "n", multiple: true },
  "all-namespaces": { type: "boolean", short: "A" },
  kubeconfig: { type: "string" },
  "control-namespace": { type: "string" },
  "health-addr": { type: "string" },
  "resync-seconds": { type: "string" },
  "leader-elect": { type: "boolean" },
  "llm-isvc": { type: "boolean" },
  "request-timeout-ms": { type: "string" },
  "lease-duration-ms": { type: "string" },
  "lease-renew-deadline-ms": { type: "string" },
  "lease-retry-ms": { type: "string" },
  "watch-timeout-seconds": { type: "string" },
  "backoff-initial-ms": { type: "string" },
  "backoff-max-ms": { type: "string" },
};

export const WATCH_HELP: Record<string, string> = {
  "-v, --verbose": "also log each InferenceService found in line (no change needed) at events and resyncs",
  "--log-format text|json":
    "text (default: one line per event; kubectl logs --timestamps adds the time) or json: one object per line with time, level, msg, and the object or ISVC it is about",
  "-A, --all-namespaces": "watch InferenceServices in every namespace",
  "-n, --namespace NS": "watch this namespace; repeatable (default: the kubeconfig context's namespace)",
  "--kubeconfig FILE": "kubeconfig (default $KUBECONFIG, ~/.kube/config, then in-cluster)",
  "--control-namespace NS": `namespace of the switch ConfigMap ${SWITCH_CONFIGMAP} (default $POD_NAMESPACE, else ${DEFAULT_CONTROL_NAMESPACE})`,
  "--health-addr HOST:PORT":
    'serve /healthz, /readyz (ready once everything is listed) and /metrics (Prometheus) here (default :8081; "" turns them off)',
  "--resync-seconds N":
    "re-check every InferenceService this often, besides the watches; no API call when in line (default 600, 0 = never)",
  "--request-timeout-ms N":
    "an API request (other than a watch) without an answer this long fails and is retried (default 30000)",
  "--llm-isvc":
    "also follow LLMInferenceServices: EnvoyExtensionPolicies on their HTTPRoutes (Envoy Gateway mode; needs the ClusterRole of istio/llm/rbac.yaml)",
  "--leader-elect": `run as one of several replicas: only the holder of Lease ${LEASE_NAME} in the control namespace reconciles (coordination.k8s.io)`,
  "--lease-duration-ms N": "how long a Lease not renewed stays its holder's (default 15000)",
  "--lease-renew-deadline-ms N":
    "the leader gives up leading when it could not renew for this long (default 10000, below the duration)",
  "--lease-retry-ms N": "how often candidates try the Lease and the leader renews it (default 2000)",
  "--watch-timeout-seconds N":
    "the server ends each watch after this long and it is reopened from the last version (default 300)",
  "--backoff-initial-ms N": `first retry delay after an API error, doubled per failure (default ${DEFAULT_BACKOFF.initialMs})`,
  "--backoff-max-ms N": `longest retry delay (default ${DEFAULT_BACKOFF.maxMs})`,
  ...Object.fromEntries(
    Object.entries(RENDER_HELP).filter(([k]) => !k.startsWith("-f") && !k.startsWith("-n") && !k.startsWith("-o")),
  ),
};

export async function watchCommand(v: Values, io: Io): Promise<number> {
  const verbosity = ((v.verbose as boolean[] | undefined) ?? []).length;
  const format = (v["log-format"] as string | undefined) ?? "text";
  if (format !== "text" && format !== "json") throw new UsageError(`--log-format: "${format}" is not text or json`);
  const json = format === "json" ? jsonLogIo(io) : undefined;
  if (json) io = json;
  // a line, with the ISVC it is about when there is one (json: an "isvc" field)
  const say =
    (stream: "stdout" | "stderr") =>
    (s: string, isvc?: string): void =>
      json ? json.write(stream, s, isvc) : io[stream](s + "\n");
  const render = renderOptions(v);
  const allNs = v["all-namespaces"] === true;
  const nsList = (v.namespace as string[] | undefined) ?? [];
  if (allNs && nsList.length > 0) throw new UsageError("-A and -n are exclusive");
  const positiveInt = (name: string, def: number, min = 0) => {
    const n = intOption(v, name) ?? def;
    if (n < min) throw new UsageError(`--${name}: must be at least ${min}`);
    return n;
  };
  const backoff = {
    initialMs: positiveInt("backoff-initial-ms", DEFAULT_BACKOFF.initialMs, 1),
    maxMs: positiveInt("backoff-max-ms", DEFAULT_BACKOFF.maxMs, 1),
  };
  if (backoff.maxMs < backoff.initialMs)
    throw new UsageError("--backoff-max-ms: must not be below --backoff-initial-ms");
  const resyncSeconds = positiveInt("resync-seconds", 600);
  const watchTimeoutSeconds = positiveInt("watch-timeout-seconds", 300, 1);
  const healthAddr = (v["health-addr"] as string | undefined) ?? ":8081";
  const control = controlNamespace(v);
  const { kube, namespace } = connect(io, v.kubeconfig as string | undefined);
  const namespaces = allNs ? undefined : nsList.length > 0 ? [...new Set(nsList)] : [namespace];
  const line = (w: (s: string) => void) => (s: string) => w(s + "\n");
  const metrics = healthAddr !== "" ? new ControllerMetrics() : undefined;
  // -A: the ClusterRole of istio/base/rbac.yaml; -n: Roles in those namespaces suffice (istio/overlays/namespaced/)
  const timed = withRequestTimeout(kube, positiveInt("request-timeout-ms", 30000, 1));
  const llmIsvcs = v["llm-isvc"] === true;
  const table = llmIsvcs ? [...WATCH_PERMISSIONS, ...LLM_WATCH_PERMISSIONS] : WATCH_PERMISSIONS;
  const guarded = namespaces
    ? new GuardedKube(timed, namespacedWatchPermissions(namespaces, table), control, namespaces)
    : new GuardedKube(timed, table, control);
  const leaderElect = v["leader-elect"] === true;
  const lease = {
    durationMs: positiveInt("lease-duration-ms", 15000, 1000),
    renewDeadlineMs: positiveInt("lease-renew-deadline-ms", 10000, 1),
    retryMs: positiveInt("lease-retry-ms", 2000, 10),
  };
  if (leaderElect && lease.renewDeadlineMs >= lease.durationMs)
    throw new UsageError("--lease-renew-deadline-ms: must be below --lease-duration-ms");
  let elector: LeaderElector | undefined;
  const makeController = (): Controller =>
    new Controller(elector ? leaderGated(guarded, () => elector!.mayWrite()) : guarded, {
      namespaces,
      controlNamespace: control,
      render,
      backoff,
      watchTimeoutSeconds,
      resyncSeconds,
      log: say("stdout"),
      logError: say("stderr"),
      logVerbose: verbosity >= 1 ? say("stdout") : undefined,
      metrics,
      llmIsvcs,
    });
  let controller: Controller | undefined;
  let stopping = false;
  let health: HealthServer | undefined;
  if (healthAddr !== "") {
    try {
      // a standby replica is ready: it is there to take over
      health = await startHealthServer(
        healthAddr,
        () => (controller ? controller.ready : leaderElect) && !stopping,
        () => !stopping,
        () => metrics!.text(),
      );
    } catch (e) {
      throw new InputError(`--health-addr ${healthAddr}: ${(e as Error).message}`);
    }
  }
  // SIGTERM / SIGINT (or the test's signal): stop watching, finish the apply in flight, exit 0
  const stopped = new Promise<string>((resolve) => {
    if (io.signal) {
      if (io.signal.aborted) resolve("aborted");
      io.signal.addEventListener("abort", () => resolve("aborted"), { once: true });
      return;
    }
    const on = (sig: string) => () => resolve(sig);
    process.once("SIGTERM", on("SIGTERM"));
    process.once("SIGINT", on("SIGINT"));
  });
  io.stdout(
    `watching ${namespaces ? `namespace(s) ${namespaces.join(", ")}` : "all namespaces"}; switch ConfigMap ${control}/${SWITCH_CONFIGMAP}` +
      `${health ? `; health on ${health.address}` : ""}\n`,
  );
  if (!leaderElect) {
    controller = makeController();
    controller.start();
  } else {
    const identity = `${process.env.POD_NAME ?? hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    elector = new LeaderElector(
      guarded,
      {
        namespace: control,
        identity,
        leaseDurationMs: lease.durationMs,
        renewDeadlineMs: lease.renewDeadlineMs,
        retryPeriodMs: lease.retryMs,
        log: line(io.stderr),
      },
      {
        startedLeading: () => {
          io.stdout(`leading: lease ${control}/${LEASE_NAME} held as ${identity}; reconciling\n`);
          controller = makeController();
          controller.start();
        },
        stoppedLeading: (why) => {
          io.stdout(`no longer leading (${why}): writes stopped, standing by\n`);
          const c = controller;
          controller = undefined;
          void c?.stop();
        },
      },
    );
    io.stdout(`standing by for lease ${control}/${LEASE_NAME} as ${identity}\n`);
    elector.start();
  }
  const why = await stopped;
  stopping = true;
  io.stdout(`shutting down (${why}): stopping watches, finishing the apply in flight\n`);
  const c = controller;
  controller = undefined;
  await c?.stop();
  await elector?.stop();
  await health?.close();
  io.stdout("stopped\n");
  return 0;
}

/**
 * The same lines as JSON objects, one per line, for log pipelines: time, level (stdout: info;
 * stderr: error, warning or info by what the line says), msg, and what it is about.
 */
export function jsonLogIo(
  io: Io,
  now: () => Date = () => new Date(),
): Io & { write(stream: "stdout" | "stderr", text: string, isvc?: string): void } {
  const write = (stream: "stdout" | "stderr", text: string, isvc?: string) => {
    for (const msg of text.split("\n")) {
      if (msg === "") continue;
      const level =
        stream === "stdout"
          ? "info"
          : /^error\b/.test(msg)
            ? "error"
            : /^warning\b|retrying in|too old|failed/.test(msg)
              ? "warning"
              : "info";
      const about =
        /^(?:applied|deleted) (\S+)/.exec(msg)?.[1] ?? /^(?:error|warning): (\S+?\/[^\s:]+):/.exec(msg)?.[1];
      const fields = { ...(about ? { object: about } : {}), ...(isvc ? { isvc } : {}) };
      io[stream](JSON.stringify({ time: now().toISOString(), level, msg, ...fields }) + "\n");
    }
  };
  return { ...io, stdout: (s) => write("stdout", s), stderr: (s) => write("stderr", s), write };
}
