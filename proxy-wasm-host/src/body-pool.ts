// Reused backing stores for callout bodies. A fresh Node Buffer of 1 MiB costs
// about three times a copy into memory that is already mapped (new pages,
// allocator work), and the host copies every logged body out of linear memory
// once per callout. Envoy copies into slices its allocator recycles; this pool
// does the same: bodies of POOL_MIN bytes or more are copied into a buffer of
// the next power-of-two class, which goes back to the pool once the callout
// is over and its bytes have left the process (CalloutClient) or the
// in-process responder has returned.

const POOL_MIN = 16 * 1024;

export class BodyPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private readonly lent = new WeakSet<ArrayBuffer>();
  private freeBytes = 0;

  /** maxFreeBytes: how much idle memory the pool may keep. */
  constructor(private readonly maxFreeBytes = 64 * 1024 * 1024) {}

  /** A buffer of exactly `size` bytes, uninitialized. */
  take(size: number): Buffer {
    if (size < POOL_MIN) return Buffer.allocUnsafe(size);
    const cls = classOf(size);
    const reused = this.free.get(cls)?.pop();
    if (reused) this.freeBytes -= cls;
    const ab = reused ?? new ArrayBuffer(cls);
    this.lent.add(ab);
    return Buffer.from(ab, 0, size);
  }

  /** Returns a buffer from take(); anything else (or a second give) is ignored. */
  give(buf: Buffer): void {
    const ab = buf.buffer;
    if (!(ab instanceof ArrayBuffer) || !this.lent.has(ab)) return;
    this.lent.delete(ab);
    if (this.freeBytes + ab.byteLength > this.maxFreeBytes) return;
    let list = this.free.get(ab.byteLength);
    if (!list) this.free.set(ab.byteLength, (list = []));
    list.push(ab);
    this.freeBytes += ab.byteLength;
  }
}

function classOf(size: number): number {
  let c = POOL_MIN;
  while (c < size) c *= 2;
  return c;
}
