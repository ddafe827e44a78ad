import { containsAsciiCaseless, lit } from "../bytes";

function has(s: string, word: string): bool {
  const b = String.UTF8.encode(s);
  return containsAsciiCaseless(changetype<usize>(b), b.byteLength, lit(word));
}

describe("containsAsciiCaseless (batch mode: is the content type JSON?)", () => {
  it("finds the word in any letter case, anywhere", () => {
    expect(has("application/json", "json")).toBe(true);
    expect(has("Application/JSON; charset=utf-8", "json")).toBe(true);
    expect(has("application/vnd.api+Json", "json")).toBe(true);
  });
  it("does not find what is not there, nor past the end", () => {
    expect(has("text/plain", "json")).toBe(false);
    expect(has("jso", "json")).toBe(false);
    expect(has("", "json")).toBe(false);
    expect(has("application/jsoñ", "json")).toBe(false);
  });
});
