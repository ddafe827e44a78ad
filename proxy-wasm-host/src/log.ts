// Log lines a host instance captured from its VMs (proxy_log, WASI fd_write) and
// from itself (load/configure failures, traps), like Envoy's "wasm log" lines.

import { LOG_LEVEL_NAMES, type LogLevelName } from "./abi.js";

export interface LogEntry {
  level: LogLevelName;
  message: string;
  /** Context id the call was made on (0 = VM / host). */
  contextId: number;
  /** "worker", "canary", or "host" for lines the host itself wrote. */
  source: string;
}

export class LogStore {
  private readonly entries: LogEntry[] = [];
  constructor(
    private readonly max: number,
    private readonly echo?: (e: LogEntry) => void,
  ) {}

  push(e: LogEntry): void {
    this.entries.push(e);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    this.echo?.(e);
  }

  /** Entries at or above a level (all by default). */
  list(minLevel?: LogLevelName): LogEntry[] {
    if (minLevel === undefined) return [...this.entries];
    const min = LOG_LEVEL_NAMES.indexOf(minLevel);
    return this.entries.filter((e) => LOG_LEVEL_NAMES.indexOf(e.level) >= min);
  }

  get length(): number {
    return this.entries.length;
  }

  since(index: number): LogEntry[] {
    return this.entries.slice(index);
  }

  clear(): void {
    this.entries.length = 0;
  }
}

export function formatLog(e: LogEntry): string {
  return `[${e.level}] wasm log ${e.source}${e.contextId ? ` ctx=${e.contextId}` : ""}: ${e.message}`;
}
