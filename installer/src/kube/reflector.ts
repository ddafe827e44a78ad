// List + watch of one collection, kept in a local store, as client-go's reflector does:
// - list (all pages, one snapshot), then watch from the list's resourceVersion, following each
//   event's version (bookmarks included) so that a reconnect resumes exactly where it stopped;
// - a watch that ends cleanly (server timeout, dropped connection) is reopened from the last
//   version; an ERROR event or HTTP answer 410 Gone (the version is compacted away) means
//   relist: the store is replaced and the differences are reported as added/modified/deleted,
//   so nothing that happened while the watch was down is missed;
// - any other failure (API server unreachable, 5xx, 403) is logged and retried with
//   exponential backoff, forever, until stop().
import type { KubernetesObject } from "@kubernetes/client-node";
import { Backoff, errorText, formatDelay, sleep, type BackoffOptions } from "./backoff.js";
import type { Kube, WatchEventType, WatchHandle } from "./client.js";
import { resourceOf } from "./resources.js";

export type ChangeType = "added" | "modified" | "deleted";

export interface ReflectorOptions {
  apiVersion: string;
  kind: string;
  /** undefined: all namespaces (or a cluster-scoped kind) */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  backoff: BackoffOptions;
  /** the server closes each watch after this long; it is reopened from the last version */
  watchTimeoutSeconds: number;
  log: (line: string) => void;
  onChange: (type: ChangeType, obj: KubernetesObject, old: KubernetesObject | undefined) => void;
  onSynced?: () => void;
  /** a list or watch of `kind` failed ("error") or its history was compacted ("gone"); for metrics */
  onTrouble?: (kind: string, what: "error" | "gone") => void;
}

export function objectKey(o: KubernetesObject): string {
  return `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
}

class GoneError extends Error {}

export class Reflector {
  readonly store = new Map<string, KubernetesObject>();
  synced = false;
  /** the version the next watch starts from; "" = list first */
  resourceVersion = "";
  lists = 0;
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  private readonly backoff: Backoff;
  readonly name: string;

  constructor(
    private readonly kube: Kube,
    private readonly o: ReflectorOptions,
  ) {
    this.backoff = new Backoff(o.backoff);
    const plural = resourceOf(o.apiVersion, o.kind).plural;
    this.name = `${plural}${o.namespace ? ` -n ${o.namespace}` : o.kind === "Namespace" ? "" : " (all namespaces)"}${o.labelSelector ? ` -l ${o.labelSelector}` : ""}${o.fieldSelector ? ` --field-selector ${o.fieldSelector}` : ""}`;
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    // the watch in progress ends on this signal, and no new one is opened after it: a stop that
    // comes while a list is in flight must not leave a watch open behind it (it would hold
    // stop() until the server's timeoutSeconds)
    this.abort.abort();
    await this.running;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** after a failure: "connected again" once a list or watch is answered (not merely sent) */
  private failing = false;
  private answered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.o.log(`${this.name}: connected again`);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.resourceVersion === "") await this.list();
        if (this.stopped) break;
        const started = Date.now();
        const events = await this.watchOnce();
        if (events === 0 && Date.now() - started < 1000 && !this.stopped) {
          // a watch that ends at once without a single event: do not spin
          await sleep(this.backoff.next(), this.abort.signal);
        } else this.backoff.reset();
      } catch (e) {
        if (this.stopped) break;
        if (e instanceof GoneError) {
          this.o.onTrouble?.(this.o.kind, "gone");
          this.o.log(`${this.name}: ${e.message}; relisting`);
          this.resourceVersion = "";
          continue;
        }
        const wait = this.backoff.next();
        this.o.onTrouble?.(this.o.kind, "error");
        this.o.log(`${this.name}: ${errorText(e)}; retrying in ${formatDelay(wait)}`);
        this.failing = true;
        await sleep(wait, this.abort.signal);
      }
    }
  }

  private async list(): Promise<void> {
    const { kube, o } = this;
    const res = await kube.listWithVersion(o.apiVersion, o.kind, o.namespace, {
      labelSelector: o.labelSelector,
      fieldSelector: o.fieldSelector,
    });
    if (this.stopped) return;
    this.answered();
    this.lists++;
    const seen = new Set<string>();
    for (const item of res.items) {
      const k = objectKey(item);
      seen.add(k);
      const old = this.store.get(k);
      this.store.set(k, item);
      if (!old) o.onChange("added", item, undefined);
      else if (old.metadata?.resourceVersion !== item.metadata?.resourceVersion) o.onChange("modified", item, old);
    }
    for (const [k, old] of [...this.store]) {
      if (seen.has(k)) continue;
      this.store.delete(k);
      o.onChange("deleted", old, old);
    }
    this.resourceVersion = res.resourceVersion;
    this.backoff.reset();
    if (!this.synced) {
      this.synced = true;
      o.onSynced?.();
    }
  }

  /** One watch connection; resolves with the number of events seen when it ends cleanly. */
  private watchOnce(): Promise<number> {
    const { o } = this;
    return new Promise<number>((resolve, reject) => {
      let events = 0;
      let gone: GoneError | undefined;
      let failure: unknown;
      let settled = false;
      let handle: WatchHandle | undefined;
      const signal = this.abort.signal;
      const finish = (err: unknown) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onStop);
        handle?.stop();
        if (this.stopped) return resolve(events);
        if (gone) return reject(gone);
        const status =
          (err as { statusCode?: number; code?: number } | null)?.statusCode ?? (err as { code?: number } | null)?.code;
        if (status === 410)
          return reject(new GoneError(`resourceVersion ${this.resourceVersion} is too old (410 Gone)`));
        if (failure) return reject(failure);
        // client-side inactivity timeout: like a server-side close
        if (err && (err as Error).name !== "TimeoutError" && (err as Error).name !== "AbortError") return reject(err);
        resolve(events);
      };
      const onStop = () => finish(null);
      if (signal.aborted) return resolve(0);
      signal.addEventListener("abort", onStop, { once: true });
      const onEvent = (type: WatchEventType, obj: KubernetesObject) => {
        if (settled || this.stopped) return;
        if (type === "ERROR") {
          const st = obj as { code?: number; message?: string; reason?: string };
          if (st.code === 410)
            gone = new GoneError(`resourceVersion ${this.resourceVersion} is too old (410 ${st.reason ?? "Gone"})`);
          else failure = Object.assign(new Error(st.message ?? "watch error"), { code: st.code });
          handle?.stop();
          return;
        }
        events++;
        const rv = obj.metadata?.resourceVersion;
        if (type !== "BOOKMARK") {
          const k = objectKey(obj);
          const old = this.store.get(k);
          if (type === "DELETED") {
            this.store.delete(k);
            o.onChange("deleted", obj, old);
          } else {
            this.store.set(k, obj);
            o.onChange(old ? "modified" : "added", obj, old);
          }
        }
        if (rv) this.resourceVersion = rv;
        this.backoff.reset();
      };
      this.kube
        .watch(
          o.apiVersion,
          o.kind,
          o.namespace,
          {
            resourceVersion: this.resourceVersion,
            labelSelector: o.labelSelector,
            fieldSelector: o.fieldSelector,
            allowWatchBookmarks: true,
            timeoutSeconds: o.watchTimeoutSeconds,
          },
          onEvent,
          finish,
        )
        .then((h) => {
          // the stream may have ended (or stop() come) before the handle did
          if (settled || gone || failure) h.stop();
          else {
            handle = h;
            this.answered();
          }
        }, finish);
    });
  }
}
