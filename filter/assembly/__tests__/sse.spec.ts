import { SseParser } from "../sse";

// Every event's data the parser gives for `text` fed in pieces of `piece` bytes (0: whole).
function parse(text: string, piece: i32 = 0, max: i32 = 65536): string[] {
  const b = String.UTF8.encode(text);
  const p = new SseParser();
  p.maxEventBytes = max;
  const out: string[] = [];
  const n = b.byteLength;
  const step = piece > 0 ? piece : n;
  for (let o = 0; o < n; o += step) {
    const k = o + step <= n ? step : n - o;
    p.begin(changetype<usize>(b) + <usize>o, k);
    while (p.next()) out.push(String.UTF8.decodeUnsafe(p.eventPtr, <usize>p.eventLen));
  }
  if (p.finish()) out.push(String.UTF8.decodeUnsafe(p.eventPtr, <usize>p.eventLen));
  p.release();
  return out;
}

function split2(text: string, at: i32): string[] {
  const b = String.UTF8.encode(text);
  const p = new SseParser();
  const out: string[] = [];
  p.begin(changetype<usize>(b), at);
  while (p.next()) out.push(String.UTF8.decodeUnsafe(p.eventPtr, <usize>p.eventLen));
  p.begin(changetype<usize>(b) + <usize>at, b.byteLength - at);
  while (p.next()) out.push(String.UTF8.decodeUnsafe(p.eventPtr, <usize>p.eventLen));
  if (p.finish()) out.push(String.UTF8.decodeUnsafe(p.eventPtr, <usize>p.eventLen));
  p.release();
  return out;
}

const OPENAI = 'data: {"a":1}\n\ndata: {"b":2}\n\n: keep-alive\n\ndata: [DONE]\n\n';

describe("SseParser", () => {
  it("gives each event's data, without the field name or the one space after the colon", () => {
    const e = parse(OPENAI);
    expect(e.length).toBe(3);
    expect(e[0]).toBe('{"a":1}');
    expect(e[1]).toBe('{"b":2}');
    expect(e[2]).toBe("[DONE]");
  });
  it("gives the same events wherever the stream is split, and in pieces of 1, 2 and 3 bytes", () => {
    const want = parse(OPENAI);
    const n = String.UTF8.byteLength(OPENAI);
    for (let at = 1; at < n; at++) {
      const got = split2(OPENAI, at);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(got[i]).toBe(want[i]);
    }
    for (let piece = 1; piece <= 3; piece++) {
      const got = parse(OPENAI, piece);
      expect(got.length).toBe(3);
      expect(got[2]).toBe("[DONE]");
    }
  });
  it("takes LF, CRLF and CR line ends, a CRLF split between pieces too", () => {
    const crlf = 'data: x\r\n\r\ndata: y\r\n\r\n';
    expect(parse(crlf).length).toBe(2);
    for (let at = 1; at < 18; at++) expect(split2(crlf, at).length).toBe(2);
    const cr = parse("data: x\r\rdata: y\r\r");
    expect(cr.length).toBe(2);
    expect(cr[1]).toBe("y");
  });
  it("joins an event's data lines with LF, and ignores other fields, comments and look-alike names", () => {
    const e = parse("event: delta\nid: 7\ndata: line1\ndata:line2\ndatax: no\n: comment\ndata\n\n");
    expect(e.length).toBe(1);
    expect(e[0]).toBe("line1\nline2\n");
  });
  it("skips and counts an event over maxEventBytes, in one piece or many, and reads the next", () => {
    const big = "data: " + "x".repeat(2000) + "\n\ndata: ok\n\n";
    for (let piece = 0; piece <= 700; piece += 350) {
      const b = String.UTF8.encode(big);
      const p = new SseParser();
      p.maxEventBytes = 1024;
      const out: string[] = [];
      const n = b.byteLength;
      const step = piece > 0 ? piece : n;
      for (let o = 0; o < n; o += step) {
        p.begin(changetype<usize>(b) + <usize>o, o + step <= n ? step : n - o);
        while (p.next()) out.push(String.UTF8.decodeUnsafe(p.eventPtr, <usize>p.eventLen));
      }
      expect(out.length).toBe(1);
      expect(out[0]).toBe("ok");
      expect(p.skipped).toBe(1);
      p.release();
    }
  });
  it("reads at the end an event that its blank line never closed, and a last line without its end", () => {
    const e = parse('data: {"a":1}\n\ndata: {"usage":1}');
    expect(e.length).toBe(2);
    expect(e[1]).toBe('{"usage":1}');
  });
});
