import { ByteBuilder } from "../bytes";
import { appendRfc3339Nano } from "../time";

function fmt(ns: u64): string {
  const b = new ByteBuilder();
  appendRfc3339Nano(b, ns);
  return b.toString();
}

describe("RFC 3339 timestamps as Go's RFC3339Nano in UTC", () => {
  it("writes the epoch without a fraction", () => {
    expect(fmt(0)).toBe("1970-01-01T00:00:00Z");
  });
  it("trims trailing zeros of the fraction", () => {
    expect(fmt(1_700_000_000_120_000_000)).toBe("2023-11-14T22:13:20.12Z");
    expect(fmt(1_700_000_000_000_000_001)).toBe("2023-11-14T22:13:20.000000001Z");
  });
  it("handles leap days and year ends", () => {
    expect(fmt(951_782_400_000_000_000)).toBe("2000-02-29T00:00:00Z");
    expect(fmt(1_798_761_599_999_999_999)).toBe("2026-12-31T23:59:59.999999999Z");
  });
  it("writes the right date when consecutive times fall on different days (the date is cached per day)", () => {
    expect(fmt(1_798_761_599_999_999_999)).toBe("2026-12-31T23:59:59.999999999Z");
    expect(fmt(1_798_761_600_000_000_000)).toBe("2027-01-01T00:00:00Z");
    expect(fmt(1_798_761_599_000_000_000)).toBe("2026-12-31T23:59:59Z");
    expect(fmt(253_402_300_800_000_000)).toBe("1978-01-11T21:31:40.8Z");
  });
});
