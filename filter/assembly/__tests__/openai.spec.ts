import { Completion, scanCompletion, writeReassembled } from "../openai";
import { ByteBuilder } from "../bytes";
import { JKind, JsonParser } from "../json";

function scan(c: Completion, json: string, collect: bool = true): bool {
  const b = String.UTF8.encode(json);
  return scanCompletion(changetype<usize>(b), b.byteLength, c, collect);
}

function str(b: ArrayBuffer | null): string {
  return b === null ? "<null>" : String.UTF8.decode(b);
}

function reassembled(c: Completion, chat: bool): string {
  const out = new ByteBuilder(256);
  writeReassembled(out, c, chat);
  return out.toString();
}

describe("scanCompletion", () => {
  it("reads model, id, usage and finish reason from a whole chat completion", () => {
    const c = new Completion();
    c.contentLimit = 1024;
    expect(scan(c, '{"id":"cmpl-1","object":"chat.completion","created":17,"model":"llama3","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}', false)).toBe(true);
    expect(str(c.model)).toBe("llama3");
    expect(str(c.id)).toBe("cmpl-1");
    expect(c.usageSeen).toBe(true);
    expect(c.promptTokens).toBe(5);
    expect(c.completionTokens).toBe(2);
    expect(c.totalTokens).toBe(7);
    expect(str(c.finishReason)).toBe("length");
    expect(c.sawToken).toBe(true);
    c.release();
  });
  it("gathers streamed deltas per choice, escapes kept, and reassembles valid JSON", () => {
    const c = new Completion();
    c.contentLimit = 1024;
    scan(c, '{"id":"x","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}');
    expect(c.sawToken).toBe(false);
    scan(c, '{"choices":[{"delta":{"content":"say \\"hi\\"\\n"},"index":1},{"index":0,"delta":{"content":"a\\u00e9"}}]}');
    expect(c.sawToken).toBe(true);
    scan(c, '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}');
    scan(c, '{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}');
    const json = reassembled(c, true);
    const v = new JsonParser(json).parse();
    expect(v !== null && v.kind == JKind.Obj).toBe(true);
    expect(json).toBe('{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"a\\u00e9"},"finish_reason":"stop"},{"index":1,"message":{"role":"assistant","content":"say \\"hi\\"\\n"},"finish_reason":null}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}');
    c.release();
  });
  it("text completions reassemble as choices[].text", () => {
    const c = new Completion();
    c.contentLimit = 1024;
    scan(c, '{"object":"text_completion","choices":[{"index":0,"text":"one","finish_reason":null}]}');
    scan(c, '{"object":"text_completion","choices":[{"index":0,"text":" two","finish_reason":"stop"}]}');
    expect(reassembled(c, false)).toBe('{"object":"text_completion","choices":[{"index":0,"text":"one two","finish_reason":"stop"}]}');
    c.release();
  });
  it("bounds the content: whole fragments up to the limit, then marked truncated", () => {
    const c = new Completion();
    c.contentLimit = 8;
    scan(c, '{"choices":[{"index":0,"delta":{"content":"12345"}}]}');
    scan(c, '{"choices":[{"index":0,"delta":{"content":"6789"}}]}');
    scan(c, '{"choices":[{"index":0,"delta":{"content":"0"}}]}');
    expect(c.contentTruncated).toBe(true);
    expect(reassembled(c, true)).toBe('{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"12345"},"finish_reason":null}]}');
    c.release();
  });
  it("leaves out what would make the output invalid: a bad escape, a choice index past the eighth", () => {
    const c = new Completion();
    c.contentLimit = 1024;
    scan(c, '{"choices":[{"index":0,"delta":{"content":"bad \\q"}}]}');
    expect(c.contentTruncated).toBe(true);
    const d = new Completion();
    d.contentLimit = 1024;
    scan(d, '{"choices":[{"index":9,"delta":{"content":"x"}}]}');
    expect(d.contentTruncated).toBe(true);
    expect(d.sawToken).toBe(true);
    c.release();
    d.release();
  });
  it("refuses what is not an object, and stops at the first fault without trapping", () => {
    const c = new Completion();
    expect(scan(c, "[DONE]")).toBe(false);
    expect(scan(c, '{"model":"m","choices":[{"index":0,')).toBe(false);
    expect(str(c.model)).toBe("m");
    expect(scan(c, '{"usage":{"prompt_tokens":-1,"completion_tokens":1.5}}')).toBe(true);
    expect(c.usageSeen).toBe(false);
  });
});
