import { ByteBuilder } from "../bytes";
import { appendPercentEncoded, canonicalHeaderKey, hasControlChars, isToken } from "../headers";

describe("header names", () => {
  it("canonicalizes as Go's textproto does", () => {
    expect(canonicalHeaderKey("x-request-id")).toBe("X-Request-Id");
    expect(canonicalHeaderKey("X-B3-TRACEID")).toBe("X-B3-Traceid");
    expect(canonicalHeaderKey("foo")).toBe("Foo");
  });
  it("accepts tokens only", () => {
    expect(isToken("X-Tenant")).toBe(true);
    expect(isToken("a b")).toBe(false);
    expect(isToken("")).toBe(false);
    expect(isToken("a:b")).toBe(false);
  });
  it("finds control characters", () => {
    expect(hasControlChars("ok")).toBe(false);
    expect(hasControlChars("a\tb")).toBe(true);
    expect(hasControlChars("\u0085")).toBe(true);
  });
});

describe("percent-encoding (CloudEvents HTTP binding 3.1.3.2)", () => {
  it("encodes space, quote, percent and non-ASCII bytes", () => {
    const src = String.UTF8.encode("a b\"%É{}");
    const out = new ByteBuilder();
    appendPercentEncoded(out, changetype<usize>(src), src.byteLength);
    expect(out.toString()).toBe("a%20b%22%25%C3%89{}");
  });
});
