// Buffers the module reads with proxy_get_buffer_bytes / writes with
// proxy_set_buffer_bytes (Envoy context.cc Buffer::copyTo/copyFrom).

import { WasmResult } from "./abi.js";

export interface HostBuffer {
  size(): number;
  /** A view of the bytes (no copy): the caller copies them into linear memory at once, as Envoy's copyTo. */
  read(start: number, length: number): Buffer;
  /** Envoy Buffer::copyFrom; absent for immutable buffers (=> BadArgument). */
  copyFrom?(start: number, length: number, data: Buffer): number;
}

export class ConstBuffer implements HostBuffer {
  constructor(private readonly data: Uint8Array) {}
  size(): number {
    return this.data.length;
  }
  read(start: number, length: number): Buffer {
    const d = this.data;
    return Buffer.from(d.buffer, d.byteOffset + start, length);
  }
}

export const EMPTY_BUFFER = new ConstBuffer(new Uint8Array(0));

/** A body buffer owned by the stream; the filter may rewrite it. */
/** The one empty Buffer: empty reads and empty MutableBuffers share it (data is always replaced, never written into). */
export const NO_BYTES = Buffer.alloc(0);

export class MutableBuffer implements HostBuffer {
  constructor(public data: Buffer = NO_BYTES) {}
  size(): number {
    return this.data.length;
  }
  read(start: number, length: number): Buffer {
    return this.data.subarray(start, start + length);
  }
  append(chunk: Uint8Array): void {
    this.data = this.data.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.data, chunk]);
  }
  // start==0: len==0 prepend, len>=size replace, else BadArgument; start>=size append; else BadArgument.
  copyFrom(start: number, length: number, data: Buffer): number {
    if (start === 0) {
      if (length === 0) {
        this.data = Buffer.concat([data, this.data]);
        return WasmResult.Ok;
      }
      if (length >= this.data.length) {
        this.data = Buffer.from(data);
        return WasmResult.Ok;
      }
      return WasmResult.BadArgument;
    }
    if (start >= this.data.length) {
      this.append(data);
      return WasmResult.Ok;
    }
    return WasmResult.BadArgument;
  }
}
