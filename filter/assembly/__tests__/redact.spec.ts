import { Redactor, isJsonValue, parsePath } from "../redact";
import { parseConfig } from "../config";

function redact(paths: string[], body: string, maxOut: i32 = 1 << 24): string | null {
  const pats: string[][] = [];
  for (let i = 0; i < paths.length; i++) pats.push(parsePath(paths[i])!);
  const out = new Redactor(pats).apply(String.UTF8.encode(body), maxOut);
  return out === null ? null : out.toString();
}

function isJson(s: string): bool {
  const b = String.UTF8.encode(s);
  return isJsonValue(changetype<usize>(b), b.byteLength);
}

describe("JSON body redaction by path", () => {
  it("replaces values at the path and copies everything else byte for byte", () => {
    expect(redact(["instances.*.ssn"], '{"instances": [{"ssn":"123-45","age":41},{"age":7,"ssn":{"a":[1,2]}}], "x":"ssn"}'))
      .toBe('{"instances": [{"ssn":"[REDACTED]","age":41},{"age":7,"ssn":"[REDACTED]"}], "x":"ssn"}');
  });
  it("matches array indices by number and whole subtrees", () => {
    expect(redact(["inputs.0.data"], '{"inputs":[{"data":[1,2,3]},{"data":[4]}]}'))
      .toBe('{"inputs":[{"data":"[REDACTED]"},{"data":[4]}]}');
    expect(redact(["inputs"], '{"inputs":[{"data":[1]}],"id":"r1"}')).toBe('{"inputs":"[REDACTED]","id":"r1"}');
  });
  it("resolves escaped keys", () => {
    expect(redact(["e\"mail"], '{"e\\"mail":"a@b"}')).toBe('{"e\\"mail":"[REDACTED]"}');
  });
  it("leaves a body without matches unchanged, Unicode included", () => {
    const body = '{"instances":[[1.5e3,-2,true,null,"日本"]]}';
    expect(redact(["x"], body)).toBe(body);
  });
  it("refuses what is not one well-formed JSON value (so the caller omits it)", () => {
    expect(redact(["a"], '{"a":"x"')).toBeNull();
    expect(redact(["a"], '{"a":"x"} trailing')).toBeNull();
    expect(redact(["a"], "\u0000\u0001binary")).toBeNull();
    expect(redact(["a"], '{"a":tru}')).toBeNull();
    expect(redact(["a"], '[' .repeat(100) + ']'.repeat(100))).toBeNull();
    expect(redact(["a"], '{"a":truex}')).toBeNull();
    expect(redact(["a"], '{"a":1a}')).toBeNull();
    expect(redact(["a"], "a".repeat(70000))).toBeNull();
  });
  it("accepts the three literals, top level included", () => {
    expect(redact(["x"], '[true,false,null]')).toBe('[true,false,null]');
    expect(redact(["x"], "null")).toBe("null");
    expect(redact(["x"], '{"x":false}')).toBe('{"x":"[REDACTED]"}');
  });
  it("applies every path at once, stars and literals mixed, each value decided once", () => {
    const paths = ["a.*.c", "*.b.c", "a.b.*", "x.*", "*.*.*.*"];
    expect(redact(paths, '{"a":{"b":{"c":1,"d":2},"e":{"c":3,"f":4}},"q":{"b":{"c":5,"g":6}},"x":[7,8]}'))
      .toBe('{"a":{"b":{"c":"[REDACTED]","d":"[REDACTED]"},"e":{"c":"[REDACTED]","f":4}},"q":{"b":{"c":"[REDACTED]","g":6}},"x":["[REDACTED]","[REDACTED]"]}');
    // The four-segment path only reaches values four levels down.
    expect(redact(paths, '{"k":{"l":{"m":{"n":1,"o":[2]}}}}')).toBe('{"k":{"l":{"m":{"n":"[REDACTED]","o":"[REDACTED]"}}}}');
  });
  it("matches index literals against array positions and object keys, canonical decimals only", () => {
    expect(redact(["rows.1"], '{"rows":[10,11,12]}')).toBe('{"rows":[10,"[REDACTED]",12]}');
    expect(redact(["rows.1"], '{"rows":{"1":"a","01":"b"}}')).toBe('{"rows":{"1":"[REDACTED]","01":"b"}}');
    expect(redact(["rows.01"], '{"rows":[10,11]}')).toBe('{"rows":[10,11]}');
  });
  it("looks no deeper than the longest path, but still refuses what is nested too deep to check", () => {
    const deep = '{"a":' + "[".repeat(60) + "1" + "]".repeat(60) + "}";
    expect(redact(["b"], deep)).toBe(deep);
    expect(redact(["b"], '{"a":' + "[".repeat(70) + "1" + "]".repeat(70) + "}")).toBeNull();
  });
  it("gives up when the redacted copy would exceed its limit", () => {
    expect(redact(["*"], "[1,2,3,4]", 64)).toBe('["[REDACTED]","[REDACTED]","[REDACTED]","[REDACTED]"]');
    expect(redact(["*"], "[1,2,3,4]", 40)).toBeNull();
  });
  it("checks JSON for batch mode with the same scanner", () => {
    expect(isJson('{"instances":[[1,2]]}')).toBe(true);
    expect(isJson(" [true] ")).toBe(true);
    expect(isJson("{")).toBe(false);
    expect(isJson("")).toBe(false);
    expect(isJson("binary\u0000")).toBe(false);
  });
  it("is configured by redactPaths, with bad paths refused", () => {
    const ok = parseConfig(String.UTF8.encode('{"inferenceService":"a","namespace":"b","logger":{"cluster":"c","authority":"d"},"redactPaths":["instances.*.ssn"]}'));
    expect(ok.config!.redactPaths.length).toBe(1);
    const bad = parseConfig(String.UTF8.encode('{"inferenceService":"a","namespace":"b","logger":{"cluster":"c","authority":"d"},"redactPaths":["a..b"]}'));
    expect(bad.error.startsWith("redactPaths[0]: must be a path")).toBe(true);
  });
});
