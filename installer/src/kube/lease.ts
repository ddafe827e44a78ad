// Leader election with a coordination.k8s.io Lease, as client-go's leaderelection does it, so that
// `watch` can run as several replicas and only one of them writes:
// - every retry period each candidate reads the Lease; it is free when absent, released (no
//   holder), or not renewed for leaseDuration as seen on this candidate's own clock (the holder's
//   renewTime is not trusted across clocks: the record must stop changing for that long);
// - taking or renewing it is a server-side apply that carries the resourceVersion read, so two
//   candidates racing for it cannot both win (the loser gets 409 Conflict); creating it is a POST
//   (409 AlreadyExists for the loser);
// - the leader stops leading at once when the Lease turns out to be someone else's, and when it
//   could not renew for renewDeadline; writes are refused from the moment the lease could have
//   expired (mayWrite), even between two checks;
// - stop() releases the Lease (holderIdentity "") so a standby takes over within a retry period.
import type { KubernetesObject } from "@kubernetes/client-node";
import { errorText } from "./backoff.js";
import type { Kube, ObjectRef } from "./client.js";

export const LEASE_API_VERSION = "coordination.k8s.io/v1";
export const LEASE_NAME = "kserve-wasm-logger";

export interface LeaseOptions {
  namespace: string;
  name?: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: (line: string) => void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** MicroTime as the API server writes it (RFC 3339 with microseconds). */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function conflict(e: unknown): boolean {
  return (e as { code?: number }).code === 409;
}

export class LeaderElector {
  leading = false;
  private lastRenew = 0;
  private observed = "";
  private observedAt = 0;
  private timer?: NodeJS.Timeout;
  private running = false;
  private busy?: Promise<void>;
  private readonly ref: ObjectRef;

  constructor(
    private readonly kube: Kube,
    private readonly o: LeaseOptions,
    private readonly on: { startedLeading(): void; stoppedLeading(why: string): void },
  ) {
    this.ref = { apiVersion: LEASE_API_VERSION, kind: "Lease", namespace: o.namespace, name: o.name ?? LEASE_NAME };
  }

  /** True while this process holds a lease that cannot have expired yet. */
  mayWrite(): boolean {
    return this.leading && Date.now() < this.lastRenew + this.o.leaseDurationMs;
  }

  start(): void {
    this.running = true;
    const tick = (): void => {
      if (!this.running) return;
      this.busy = this.round().finally(() => {
        if (this.running) this.timer = setTimeout(tick, this.o.retryPeriodMs);
      });
    };
    tick();
  }

  /** Stops campaigning; a leader releases the Lease so that a standby takes over at once. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.busy;
    if (!this.leading) return;
    this.lose("stopping");
    try {
      const cur = await this.kube.get(this.ref);
      const spec = (cur as { spec?: LeaseSpec } | undefined)?.spec;
      if (cur && spec?.holderIdentity === this.o.identity) {
        await this.kube.apply(
          this.lease(cur.metadata?.resourceVersion, { ...spec, holderIdentity: "", leaseDurationSeconds: 1 }),
        );
        this.o.log(`released lease ${this.ref.namespace}/${this.ref.name}`);
      }
    } catch (e) {
      this.o.log(`could not release lease ${this.ref.namespace}/${this.ref.name}: ${errorText(e)}`);
    }
  }

  private lease(resourceVersion: string | undefined, spec: LeaseSpec): KubernetesObject & { spec: LeaseSpec } {
    return {
      apiVersion: LEASE_API_VERSION,
      kind: "Lease",
      metadata: { name: this.ref.name, namespace: this.ref.namespace, ...(resourceVersion ? { resourceVersion } : {}) },
      spec,
    };
  }

  private lose(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.on.stoppedLeading(why);
  }

  private async round(): Promise<void> {
    let outcome: "held" | "other" | "error";
    try {
      outcome = await this.tryAcquireOrRenew();
    } catch (e) {
      this.o.log(`lease ${this.ref.namespace}/${this.ref.name}: ${errorText(e)}`);
      outcome = "error";
    }
    if (!this.running) return;
    if (outcome === "held") {
      this.lastRenew = Date.now();
      if (!this.leading) {
        this.leading = true;
        this.on.startedLeading();
      }
    } else if (outcome === "other") {
      this.lose("the lease is held by another replica");
    } else if (Date.now() - this.lastRenew > this.o.renewDeadlineMs) {
      this.lose(`the lease could not be renewed for ${this.o.renewDeadlineMs} ms`);
    }
  }

  private async tryAcquireOrRenew(): Promise<"held" | "other"> {
    const now = new Date();
    const cur = await this.kube.get(this.ref);
    const durationSeconds = Math.max(1, Math.ceil(this.o.leaseDurationMs / 1000));
    if (!cur) {
      try {
        await this.kube.create(
          this.lease(undefined, {
            holderIdentity: this.o.identity,
            leaseDurationSeconds: durationSeconds,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          }),
        );
        return "held";
      } catch (e) {
        if (conflict(e)) return "other";
        throw e;
      }
    }
    const spec = (cur as { spec?: LeaseSpec }).spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.acquireTime]);
    if (record !== this.observed) {
      this.observed = record;
      this.observedAt = now.getTime();
    }
    const holder = spec.holderIdentity ?? "";
    const mine = holder === this.o.identity;
    const leaseMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (!mine && holder !== "" && this.observedAt + leaseMs > now.getTime()) return "other";
    try {
      await this.kube.apply(
        this.lease(cur.metadata?.resourceVersion, {
          holderIdentity: this.o.identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: mine && spec.acquireTime ? spec.acquireTime : microTime(now),
          renewTime: microTime(now),
          leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
        }),
      );
      if (!mine) this.o.log(`took lease ${this.ref.namespace}/${this.ref.name}${holder ? ` from ${holder}` : ""}`);
      return "held";
    } catch (e) {
      if (conflict(e)) return "other";
      throw e;
    }
  }
}

export class NotLeaderError extends Error {}

/** A Kube whose writes go through only while `mayWrite()` says so: a lost lease stops writes at once. */
export function leaderGated(kube: Kube, mayWrite: () => boolean): Kube {
  const refuse = (what: string): never => {
    throw new NotLeaderError(`not the leader: ${what} refused`);
  };
  return {
    get: (ref) => kube.get(ref),
    list: (...a) => kube.list(...a),
    listWithVersion: (...a) => kube.listWithVersion(...a),
    watch: (...a) => kube.watch(...a),
    apply: (obj, dryRun) => (mayWrite() || dryRun === "client" ? kube.apply(obj, dryRun) : refuse("apply")),
    create: (obj) => (mayWrite() ? kube.create(obj) : refuse("create")),
    mergePatch: (ref, patch, create) => (mayWrite() ? kube.mergePatch(ref, patch, create) : refuse("patch")),
    delete: (ref, dryRun) => (mayWrite() || dryRun === "client" ? kube.delete(ref, dryRun) : refuse("delete")),
  };
}
