import { capacityOf, freeCount, freeHeldBytes, giveBuffer, heldBytes, setHeldLimit, takeBuffer } from "../body-pool";

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

  it("keeps free buffers up to half the budget and lets go of the charge of the rest", () => {
    setHeldLimit(4 * 1024 * 1024);
    const freeBefore = freeHeldBytes();
    const bufs: ArrayBuffer[] = [];
    for (let i = 0; i < 6; i++) bufs.push(takeBuffer(500_000)!); // 512 KiB class each: 3 MiB
    const held = heldBytes();
    for (let i = 0; i < bufs.length; i++) giveBuffer(bufs[i]);
    expect(freeHeldBytes()).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(held - heldBytes()).toBe(6 * 524288 - (freeHeldBytes() - freeBefore));
    setHeldLimit(64 * 1024 * 1024);
  });

  it("lets free buffers go first when the budget needs room", () => {
    setHeldLimit(4 * 1024 * 1024);
    const hold = takeBuffer(2_000_000)!; // 2 MiB class, lent
    const a = takeBuffer(1_000_000)!; // 1 MiB class
    giveBuffer(a);
    expect(freeHeldBytes()).toBeGreaterThanOrEqual(1048576);
    // 2 MiB more fits only once every free buffer is let go.
    const fits = takeBuffer(2_000_000)!;
    expect(fits.byteLength).toBe(2_000_000);
    expect(freeHeldBytes()).toBe(0);
    expect(heldBytes()).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(takeBuffer(4_000_000)).toBeNull(); // nothing left to let go
    giveBuffer(fits);
    giveBuffer(hold);
    setHeldLimit(64 * 1024 * 1024);
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
