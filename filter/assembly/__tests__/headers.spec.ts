import { ByteBuilder } from "../bytes";
import { appendPercentEncoded, canonicalHeaderKey, hasControlChars, isCleanHeaderText, isToken } from "../headers";
import { isSensitiveName, nameTokens } from "../sensitive-names";

function clean(bytes: u8[]): bool {
  const b = new ArrayBuffer(bytes.length);
  for (let i = 0; i < bytes.length; i++) store<u8>(changetype<usize>(b) + <usize>i, bytes[i]);
  return isCleanHeaderText(changetype<usize>(b), b.byteLength);
}

function cleanText(s: string): bool {
  const b = String.UTF8.encode(s);
  return isCleanHeaderText(changetype<usize>(b), b.byteLength);
}

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
    expect(hasControlChars("a\u2028b")).toBe(true);
    expect(hasControlChars("a\u2029b")).toBe(true);
  });
});

describe("header text copied from a request", () => {
  it("takes printable ASCII and well-formed non-ASCII text", () => {
    expect(cleanText("req-1_ABC.def")).toBe(true);
    expect(cleanText("id-日本-é")).toBe(true);
    expect(clean([0x61, 0xef, 0xbf, 0xbd])).toBe(true); // a literal U+FFFD
  });
  it("refuses C0, DEL, C1, U+2028/U+2029 and invalid UTF-8", () => {
    expect(cleanText("a\tb")).toBe(false);
    expect(clean([0x61, 0x7f])).toBe(false);
    expect(clean([0x61, 0xc2, 0x85])).toBe(false); // U+0085 NEL
    expect(clean([0x61, 0xe2, 0x80, 0xa8])).toBe(false); // U+2028
    expect(clean([0x61, 0xe2, 0x80, 0xa9])).toBe(false); // U+2029
    expect(clean([0xff, 0xfe])).toBe(false);
    expect(clean([0x61, 0xc3])).toBe(false); // cut short
    expect(clean([0xed, 0xa0, 0x80])).toBe(false); // a surrogate
  });
});

describe("sensitive names (shared with the installer)", () => {
  it("splits names into tokens at separators and case changes", () => {
    expect(nameTokens("X-Forwarded-Authorization").join(",")).toBe("x,forwarded,authorization");
    expect(nameTokens("aws_access_key_id").join(",")).toBe("aws,access,key,id");
    expect(nameTokens("example.com/apiKey").join(",")).toBe("example,com,api,key");
    expect(nameTokens("XApiKey").join(",")).toBe("x,api,key");
  });
  it("catches a credential word in any position, and not words that merely contain one", () => {
    const yes = ["Authorization", "X-Forwarded-Authorization", "X-Original-Authorization", "X-Authorization", "Proxy-Authorization",
      "Cookie", "Set-Cookie", "X-Api-Key", "x-auth-token", "X-Amz-Security-Token", "X-Goog-Iap-Jwt-Assertion", "X-Csrf-Token",
      "X-Forwarded-Client-Cert", "example.com/passphrase", "example.com/pwd", "example.com/db-dsn", "example.com/aws_access_key_id",
      "example.com/ssh-key", "example.com/jwt", "example.com/client-secret", "example.com/apikey", "X-Session-Id",
      "example.com/dbpassword", "example.com/accessToken"];
    for (let i = 0; i < yes.length; i++) {
      if (!isSensitiveName(yes[i])) expect(yes[i]).toBe("sensitive");
    }
    const no = ["X-Tenant", "X-Request-Id", "serving.kserve.io/author", "example.com/authored-by", "Content-Type", "X-Model-Key-Version", "example.com/monkey", "example.com/tokenizer",
      "example.com/max-tokens"];
    for (let i = 0; i < no.length; i++) {
      if (isSensitiveName(no[i])) expect(no[i]).toBe("not sensitive");
    }
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
