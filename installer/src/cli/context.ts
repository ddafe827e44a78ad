// What a command runs with: where it writes, when `watch` stops, and how it reaches the cluster.
// Passed in by the caller (the process entry in cli.ts, or a test), never set on a global.
import { ClientNodeKube, loadKubeConfig, type Kube } from "../kube/client.js";

/** The cluster behind --kubeconfig (undefined: $KUBECONFIG, ~/.kube/config, in-cluster) and its default namespace. */
export type Connect = (kubeconfig: string | undefined) => { kube: Kube; namespace: string };

export const connectWithKubeconfig: Connect = (kubeconfig) => {
  const kc = loadKubeConfig(kubeconfig);
  const ns = kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
  return { kube: new ClientNodeKube(kc), namespace: ns };
};

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** `watch` runs until this aborts (tests); without it, until SIGTERM or SIGINT */
  signal?: AbortSignal;
  /** how commands reach the cluster (default: the kubeconfig) */
  connect?: Connect;
}

export function connect(io: Io, kubeconfig: string | undefined): { kube: Kube; namespace: string } {
  return (io.connect ?? connectWithKubeconfig)(kubeconfig);
}
