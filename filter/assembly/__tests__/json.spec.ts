import { ByteBuilder } from "../bytes";
import { JKind, JsonParser, writeJsonBytes, writeJsonString } from "../json";

// as-pect 8's toContain mis-reports multi-character substrings; this shows the
// actual text when the substring is missing.
function expectContains(actual: string, needle: string): void {
  if (!actual.includes(needle)) expect(actual).toBe("…" + needle + "…");
}


function str(s: string): string {
  const b = new ByteBuilder();
  writeJsonString(b, s);
  return b.toString();
}

function raw(bytes: u8[]): string {
  const buf = new ArrayBuffer(bytes.length);
  for (let i = 0; i < bytes.length; i++) store<u8>(changetype<usize>(buf) + <usize>i, bytes[i]);
  const b = new ByteBuilder();
  writeJsonBytes(b, changetype<usize>(buf), <usize>buf.byteLength);
  return b.toString();
}

describe("JSON string escaping (Go encoding/json compatible)", () => {
  it("escapes quotes, backslashes and the short control escapes", () => {
    expect(str("a\"b\\c")).toBe("\"a\\\"b\\\\c\"");
    expect(str("\n\r\t\b\f")).toBe("\"\\n\\r\\t\\b\\f\"");
  });
  it("escapes other C0 controls, DEL and C1 controls as \\u00XX", () => {
    expect(str("\u0001\u001f\u007f\u0085")).toBe("\"\\u0001\\u001f\\u007f\\u0085\"");
  });
  it("escapes <, >, & and U+2028/2029 as Go does", () => {
    expect(str("<a&b>")).toBe("\"\\u003ca\\u0026b\\u003e\"");
    expect(str("\u2028\u2029")).toBe("\"\\u2028\\u2029\"");
  });
  it("writes non-Latin text as raw UTF-8", () => {
    const b = new ByteBuilder();
    writeJsonString(b, "É日本😀");
    expect(b.len).toBe(2 + 2 + 3 + 3 + 4);
    expect(b.toString()).toBe("\"É日本😀\"");
  });
  it("replaces lone surrogates with U+FFFD", () => {
    expect(str(String.fromCharCode(0xd800) + "x")).toBe("\"\uFFFDx\"");
  });
  it("never lets a control byte through, for every code unit below 0xA0", () => {
    for (let c = 0; c < 0xa0; c++) {
      const b = new ByteBuilder();
      writeJsonString(b, String.fromCharCode(c));
      for (let i = 0; i < b.len; i++) {
        const x = load<u8>(b.ptr + <usize>i);
        expect(x >= 0x20 && x != 0x7f).toBe(true);
      }
    }
  });
  it("escapes raw header bytes and replaces invalid UTF-8 with U+FFFD", () => {
    expect(raw([0x61, 0x0d, 0x0a, 0x62])).toBe("\"a\\r\\nb\"");
    expect(raw([0xc3, 0xa9])).toBe("\"é\"");
    expect(raw([0xff, 0x61])).toBe("\"\uFFFDa\"");
    expect(raw([0xe6, 0x97])).toBe("\"\uFFFD\uFFFD\"");
    expect(raw([0xed, 0xa0, 0x80])).toBe("\"\uFFFD\uFFFD\uFFFD\"");
  });
});

describe("JSON parser", () => {
  it("round-trips escapes and \\u sequences", () => {
    const p = new JsonParser('{"a":"x\\u00e9\\n\\/","b":[true,false,null,-1.5e2]}');
    const v = p.parse()!;
    expect(v.kind).toBe(JKind.Obj);
    expect(v.get("a")!.s).toBe("xé\n/");
    const arr = v.get("b")!;
    expect(arr.items.length).toBe(4);
    expect(arr.items[3].n).toBe(-150);
  });
  it("reports the offset of an error", () => {
    const p = new JsonParser('{"a": tru}');
    expect(p.parse()).toBeNull();
    expectContains(p.error, "at offset 6");
  });
  it("rejects raw control characters, bad escapes and leading zeros", () => {
    expect(new JsonParser('"a\nb"').parse()).toBeNull();
    expect(new JsonParser('"\\x"').parse()).toBeNull();
    expect(new JsonParser("01").parse()).toBeNull();
    expect(new JsonParser('"\\u12"').parse()).toBeNull();
  });
});
