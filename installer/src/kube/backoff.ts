// Exponential backoff with jitter: initial, ×2 per failure, capped; reset after a success.
// Waits are cut short by an AbortSignal (shutdown never waits for a backoff to run out).

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000 };

export class Backoff {
  private failures = 0;
  constructor(private readonly o: BackoffOptions) {}
  /** the next delay: in [d/2, d] for d = initial·2^failures, capped at max */
  next(): number {
    const d = Math.min(this.o.maxMs, this.o.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return Math.round(d / 2 + Math.random() * (d / 2));
  }
  reset(): void {
    this.failures = 0;
  }
  get attempts(): number {
    return this.failures;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** A short, single-line description of an API or network error. */
export function errorText(e: unknown): string {
  const any = e as {
    code?: unknown;
    statusCode?: unknown;
    body?: unknown;
    message?: unknown;
    cause?: { code?: unknown; message?: unknown };
  };
  const status =
    typeof any?.code === "number" ? any.code : typeof any?.statusCode === "number" ? any.statusCode : undefined;
  let msg = typeof any?.message === "string" ? any.message : String(e);
  if (typeof any?.body === "string") {
    try {
      const m = (JSON.parse(any.body) as { message?: string }).message;
      if (m) msg = m;
    } catch {
      // not a Status
    }
  } else if (any?.body && typeof (any.body as { message?: unknown }).message === "string")
    msg = (any.body as { message: string }).message;
  const cause = any?.cause ? ` (${String(any.cause.code ?? any.cause.message ?? "")})` : "";
  return `${status !== undefined ? `HTTP ${status}: ` : ""}${msg.split("\n")[0]}${cause}`;
}

export function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}
