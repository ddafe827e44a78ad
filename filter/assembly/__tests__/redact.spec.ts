import { Redactor, parsePath } from "../redact";
import { parseConfig } from "../config";

function redact(paths: string[], body: string): string | null {
  const pats: string[][] = [];
  for (let i = 0; i < paths.length; i++) pats.push(parsePath(paths[i])!);
  const out = new Redactor(pats).apply(String.UTF8.encode(body));
  return out === null ? null : String.UTF8.decode(out!);
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
  it("is configured by redactPaths, with bad paths refused", () => {
    const ok = parseConfig(String.UTF8.encode('{"inferenceService":"a","namespace":"b","logger":{"cluster":"c","authority":"d"},"redactPaths":["instances.*.ssn"]}'));
    expect(ok.config!.redactPaths.length).toBe(1);
    const bad = parseConfig(String.UTF8.encode('{"inferenceService":"a","namespace":"b","logger":{"cluster":"c","authority":"d"},"redactPaths":["a..b"]}'));
    expect(bad.error.startsWith("redactPaths[0]: must be a path")).toBe(true);
  });
});
