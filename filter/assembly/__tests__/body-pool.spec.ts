import { capacityOf, freeCount, giveBuffer, heldBytes, takeBuffer } from "../body-pool";

describe("body buffers: charged in power-of-two classes, reused, given back once", () => {
  it("charges the class, reuses the same block and ignores a second give", () => {
    const before = heldBytes();
    const a = takeBuffer(1000)!;
    expect(a.byteLength).toBe(1000);
    expect(capacityOf(a)).toBe(1024);
    expect(heldBytes() - before).toBe(1024);
    const free = freeCount();
    giveBuffer(a);
    expect(freeCount()).toBe(free + 1);
    expect(heldBytes() - before).toBe(1024); // a free buffer stays charged
    giveBuffer(a); // twice: ignored
    expect(freeCount()).toBe(free + 1);
    const b = takeBuffer(900)!;
    expect(changetype<usize>(b)).toBe(changetype<usize>(a));
    expect(b.byteLength).toBe(900);
    expect(freeCount()).toBe(free);
    expect(heldBytes() - before).toBe(1024);
    giveBuffer(b);
  });

  it("ignores buffers it did not lend", () => {
    const free = freeCount();
    const held = heldBytes();
    giveBuffer(new ArrayBuffer(4096));
    expect(freeCount()).toBe(free);
    expect(heldBytes()).toBe(held);
  });

  it("keeps at most 16 free buffers and lets go of the charge of the rest", () => {
    const bufs: ArrayBuffer[] = [];
    for (let i = 0; i < 40; i++) bufs.push(takeBuffer(300 + i * 100)!);
    const held = heldBytes();
    let charged: i64 = 0;
    for (let i = 0; i < bufs.length; i++) charged += capacityOf(bufs[i]);
    for (let i = 0; i < bufs.length; i++) giveBuffer(bufs[i]);
    expect(freeCount()).toBe(16);
    expect(heldBytes()).toBeLessThan(held);
    expect(held - heldBytes()).toBeLessThan(charged);
  });

  it("gives a larger class when a free buffer is too small", () => {
    const small = takeBuffer(512)!;
    giveBuffer(small);
    const big = takeBuffer(70_000)!;
    expect(capacityOf(big)).toBe(131072);
    expect(changetype<usize>(big)).not.toBe(changetype<usize>(small));
    giveBuffer(big);
  });
});
