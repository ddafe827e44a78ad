// LLM mode (pluginConfig `llm`): an OpenAI-compatible completion exchange — a request path
// ending in /v1/chat/completions or /v1/completions — gets what an LLM platform bills and
// debugs on in its response event (docs/events.md, "LLM extensions"): model, token usage as
// the server reported it (never guessed), finish reason, time to first token, total time,
// and for streamed responses (text/event-stream) the number of events. With llm.body
// "reassembled" a streamed response's body is sent in the non-streamed JSON shape instead of
// the raw SSE. The stream is read as it passes (sse.ts, openai.ts): bounded work and memory per
// piece, nothing held up.

import { ByteBuilder, bytesEqual, lit, startsWithAsciiCaseless } from "./bytes";
import { copyToBuffer } from "./body-pool";
import { LlmFields, USAGE_ABSENT, USAGE_REPORTED, USAGE_UNKNOWN } from "./event";
import { nowNanos } from "./hostcalls";
import { Completion, scanCompletion, writeReassembled } from "./openai";
import { SseParser } from "./sse";

export const ROUTE_NONE: i32 = 0;
export const ROUTE_CHAT: i32 = 1;
export const ROUTE_COMPLETIONS: i32 = 2;

const CHAT_SUFFIX = lit("/v1/chat/completions");
const COMPLETIONS_SUFFIX = lit("/v1/completions");
const EVENT_STREAM = lit("text/event-stream");
const DONE = lit("[DONE]");
// The reassembled body is written here, then copied out at its size under the budget.
const reassembly = new ByteBuilder(1024);

// The completion route of a request :path (its query left out), or ROUTE_NONE.
export function completionRoute(p: usize, n: i32): i32 {
  for (let i = 0; i < n; i++) {
    if (load<u8>(p + <usize>i) == 0x3f) { n = i; break; }
  }
  if (endsWith(p, n, CHAT_SUFFIX)) return ROUTE_CHAT;
  if (endsWith(p, n, COMPLETIONS_SUFFIX)) return ROUTE_COMPLETIONS;
  return ROUTE_NONE;
}

function endsWith(p: usize, n: i32, suffix: ArrayBuffer): bool {
  const k = suffix.byteLength;
  return n >= k && bytesEqual(p + <usize>(n - k), k, suffix);
}

export class LlmExchange {
  route: i32 = ROUTE_NONE;
  streamed: bool = false;
  reassemble: bool = false; // llm.body "reassembled" and the response is streamed
  incomplete: bool = false; // the response ended by a reset, not by its end of stream
  private completion: Completion = new Completion();
  private sse: SseParser = new SseParser();
  private events: i32 = 0; // SSE events with data, [DONE] included
  private unparsed: i32 = 0; // SSE events that were not a completion object
  private wholeRead: bool = false; // a non-streamed body was read whole
  private firstTokenNanos: u64 = 0;

  get active(): bool {
    return this.route != ROUTE_NONE;
  }

  // At request headers: an exchange of this route, under this configuration's bounds.
  begin(route: i32, reassemble: bool, maxEventBytes: i32, maxBodyBytes: i32): void {
    this.route = route;
    this.reassemble = reassemble;
    this.sse.maxEventBytes = maxEventBytes;
    this.completion.contentLimit = maxBodyBytes;
  }

  // At response headers: streamed when the response is an event stream.
  respond(contentType: usize, contentTypeLen: i32): void {
    this.streamed = contentTypeLen > 0 && startsWithAsciiCaseless(contentType, contentTypeLen, EVENT_STREAM);
    if (!this.streamed) this.reassemble = false;
  }

  // One piece of a streamed response body.
  feed(p: usize, n: i32): void {
    const sse = this.sse;
    sse.begin(p, n);
    while (sse.next()) this.onEvent(sse.eventPtr, sse.eventLen);
  }

  // The streamed response's end: what the parser still holds is read.
  endStream(): void {
    if (this.sse.finish()) this.onEvent(this.sse.eventPtr, this.sse.eventLen);
  }

  // A non-streamed response, when its body was captured whole.
  readWhole(p: usize, n: i32): void {
    this.wholeRead = scanCompletion(p, n, this.completion, false);
  }

  private onEvent(p: usize, n: i32): void {
    this.events++;
    if (bytesEqual(p, n, DONE)) return;
    const c = this.completion;
    const hadToken = c.sawToken;
    if (!scanCompletion(p, n, c, this.reassemble)) this.unparsed++;
    // One clock read per exchange: when its first token goes by.
    if (!hadToken && c.sawToken) this.firstTokenNanos = nowNanos();
  }

  // The response event's LLM extensions.
  fields(requestNanos: u64, endNanos: u64): LlmFields {
    const c = this.completion;
    const f = new LlmFields();
    f.model = c.model;
    f.streamed = this.streamed;
    if (c.usageSeen) {
      f.usage = USAGE_REPORTED;
      f.promptTokens = c.promptTokens;
      f.completionTokens = c.completionTokens;
      f.totalTokens = c.totalTokens;
    } else {
      const partial = this.incomplete || this.sse.skipped > 0 || this.unparsed > 0 || (!this.streamed && !this.wholeRead);
      f.usage = partial ? USAGE_UNKNOWN : USAGE_ABSENT;
    }
    f.finishReason = c.finishReason;
    if (this.streamed) {
      f.events = this.events;
      f.skipped = this.sse.skipped + this.unparsed;
      if (this.firstTokenNanos > requestNanos) f.ttftMs = <i64>((this.firstTokenNanos - requestNanos) / 1_000_000);
    }
    if (endNanos > requestNanos) f.durationMs = <i64>((endNanos - requestNanos) / 1_000_000);
    f.incomplete = this.incomplete;
    f.overBudget = this.sse.overBudget || c.overBudget;
    return f;
  }

  // llm.body "reassembled": the body in the non-streamed shape, charged to the budget (null:
  // the budget has no room); `truncated` is set when content was left out.
  reassembledBody(f: LlmFields): ArrayBuffer | null {
    const c = this.completion;
    writeReassembled(reassembly, c, this.route == ROUTE_CHAT);
    f.reassembled = true;
    f.contentTruncated = c.contentTruncated;
    return copyToBuffer(reassembly.ptr, reassembly.len);
  }

  // Its buffers back to the pool; the state kept (the event has been built).
  release(): void {
    this.sse.release();
    this.completion.release();
  }

  // Back to a fresh exchange (a reused stream's).
  reset(): void {
    this.route = ROUTE_NONE;
    this.streamed = false;
    this.reassemble = false;
    this.incomplete = false;
    this.sse.reset();
    this.completion.reset();
    this.events = 0;
    this.unparsed = 0;
    this.wholeRead = false;
    this.firstTokenNanos = 0;
  }
}
