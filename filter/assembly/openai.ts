// What an OpenAI-compatible completion says about itself, read from its JSON in place: a whole
// response (`/v1/chat/completions`, `/v1/completions` without streaming) or one streamed chunk
// (`chat.completion.chunk`, `text_completion`). Only these keys are looked into; everything
// else is skipped without being decoded:
//   id, created, model; usage.{prompt,completion,total}_tokens;
//   choices[].{index, finish_reason, text, delta.{role,content,reasoning_content}, message.{role,content}}
// Strings are kept as the JSON string bodies they are (escapes and all): the reassembled body
// is JSON again, and header values are checked before they are sent. The content of up to
// MAX_CHOICES choices is collected when asked (the reassembled body), bounded by a byte limit
// and charged to the memory budget.

import { ByteBuilder, bytesEqual, copyOf, isValidUtf8, lit, parseDecimal } from "./bytes";
import { APPENDED, APPEND_OVER_BUDGET, HeldBytes } from "./held-bytes";
import { skipString, skipValue, skipWs, validEscapes } from "./json-scan";
import { isCleanHeaderText } from "./headers";

export const MAX_CHOICES: i32 = 8;
const MAX_NAME_BYTES: i32 = 256; // model, finish_reason, role, id

const K_ID = lit("id");
const K_CREATED = lit("created");
const K_MODEL = lit("model");
const K_USAGE = lit("usage");
const K_CHOICES = lit("choices");
const K_INDEX = lit("index");
const K_FINISH_REASON = lit("finish_reason");
const K_TEXT = lit("text");
const K_DELTA = lit("delta");
const K_MESSAGE = lit("message");
const K_ROLE = lit("role");
const K_CONTENT = lit("content");
const K_REASONING = lit("reasoning_content");
const K_PROMPT_TOKENS = lit("prompt_tokens");
const K_COMPLETION_TOKENS = lit("completion_tokens");
const K_TOTAL_TOKENS = lit("total_tokens");

export class Choice {
  content: HeldBytes = new HeldBytes();
  finishReason: ArrayBuffer | null = null;
  role: ArrayBuffer | null = null;
  seen: bool = false;
}

export class Completion {
  id: ArrayBuffer | null = null;
  created: ArrayBuffer | null = null;
  model: ArrayBuffer | null = null;
  usageSeen: bool = false;
  promptTokens: i64 = -1;
  completionTokens: i64 = -1;
  totalTokens: i64 = -1;
  choices: Choice[] = [];
  sawToken: bool = false; // a non-empty content, text or reasoning fragment
  contentLimit: i32 = 0; // collected content bytes, all choices together
  contentBytes: i32 = 0;
  contentTruncated: bool = false; // content left out: over the limit, past MAX_CHOICES, or not valid JSON text
  overBudget: bool = false;

  constructor() {
    for (let i = 0; i < MAX_CHOICES; i++) this.choices.push(new Choice());
  }

  // The finish reason of choice 0, the one an event names.
  get finishReason(): ArrayBuffer | null {
    return unchecked(this.choices[0]).finishReason;
  }

  reset(): void {
    this.id = null;
    this.created = null;
    this.model = null;
    this.usageSeen = false;
    this.promptTokens = -1;
    this.completionTokens = -1;
    this.totalTokens = -1;
    this.sawToken = false;
    this.contentLimit = 0;
    this.contentBytes = 0;
    this.contentTruncated = false;
    this.overBudget = false;
    for (let i = 0; i < MAX_CHOICES; i++) {
      const c = unchecked(this.choices[i]);
      c.content.release();
      c.finishReason = null;
      c.role = null;
      c.seen = false;
    }
  }

  release(): void {
    for (let i = 0; i < MAX_CHOICES; i++) unchecked(this.choices[i]).content.release();
  }
}

// Reads one completion object at [p, p+n) into `c`; `collect`: keep the content fragments.
// False when the bytes are not a JSON object (nothing after the fault is read).
export function scanCompletion(p: usize, n: i32, c: Completion, collect: bool): bool {
  const end = p + <usize>n;
  p = skipWs(p, end);
  if (p >= end || load<u8>(p) != 0x7b) return false;
  return scanObject(p, end, c, collect, LEVEL_TOP, null) != 0;
}

// What an object's keys mean, by where it sits.
const LEVEL_TOP: i32 = 0;
const LEVEL_USAGE: i32 = 1;
const LEVEL_CHOICE: i32 = 2;
const LEVEL_MESSAGE: i32 = 3; // delta or message

// One choice's fields, gathered before they are applied (index may come last).
class ChoiceFields {
  index: i32 = 0;
  contentPtr: usize = 0;
  contentLen: i32 = -1;
  finishPtr: usize = 0;
  finishLen: i32 = -1;
  rolePtr: usize = 0;
  roleLen: i32 = -1;
  textFragment: bool = false; // reasoning_content seen: a token, not content

  clear(): void {
    this.index = 0;
    this.contentLen = -1;
    this.finishLen = -1;
    this.roleLen = -1;
    this.textFragment = false;
  }
}

const fields = new ChoiceFields();

// The object at p ('{'): the position after it, or 0.
function scanObject(p: usize, end: usize, c: Completion, collect: bool, level: i32, f: ChoiceFields | null): usize {
  p = skipWs(p + 1, end);
  if (p < end && load<u8>(p) == 0x7d) return p + 1;
  while (p < end) {
    if (load<u8>(p) != 0x22) return 0;
    const ks = p + 1;
    const ke = skipString(p, end);
    if (ke == 0) return 0;
    const klen = <i32>(ke - 1 - ks);
    p = skipWs(ke, end);
    if (p >= end || load<u8>(p) != 0x3a) return 0;
    p = skipWs(p + 1, end);
    if (p >= end) return 0;
    p = scanMember(ks, klen, p, end, c, collect, level, f);
    if (p == 0) return 0;
    p = skipWs(p, end);
    if (p >= end) return 0;
    const b = load<u8>(p);
    if (b == 0x7d) return p + 1;
    if (b != 0x2c) return 0;
    p = skipWs(p + 1, end);
  }
  return 0;
}

// The value at p of key [ks, ks+klen): read when it means something here, else skipped.
function scanMember(ks: usize, klen: i32, p: usize, end: usize, c: Completion, collect: bool, level: i32, f: ChoiceFields | null): usize {
  const v = load<u8>(p);
  if (level == LEVEL_TOP) {
    if (v == 0x22 && bytesEqual(ks, klen, K_MODEL)) return keepName(p, end, c, 0);
    if (v == 0x22 && bytesEqual(ks, klen, K_ID)) return keepName(p, end, c, 1);
    if (bytesEqual(ks, klen, K_CREATED)) {
      const q = skipValue(p, end);
      if (q != 0 && c.created === null && v >= 0x30 && v <= 0x39) c.created = copyOf(p, <i32>(q - p));
      return q;
    }
    if (v == 0x7b && bytesEqual(ks, klen, K_USAGE)) return scanObject(p, end, c, collect, LEVEL_USAGE, null);
    if (v == 0x5b && bytesEqual(ks, klen, K_CHOICES)) return scanChoices(p, end, c, collect);
  } else if (level == LEVEL_USAGE) {
    const q = skipValue(p, end);
    if (q == 0) return 0;
    const num = parseDecimal(p, <i32>(q - p));
    if (num >= 0) {
      if (bytesEqual(ks, klen, K_PROMPT_TOKENS)) { c.promptTokens = num; c.usageSeen = true; }
      else if (bytesEqual(ks, klen, K_COMPLETION_TOKENS)) { c.completionTokens = num; c.usageSeen = true; }
      else if (bytesEqual(ks, klen, K_TOTAL_TOKENS)) { c.totalTokens = num; c.usageSeen = true; }
    }
    return q;
  } else if (f !== null) {
    if (level == LEVEL_CHOICE) {
      if (bytesEqual(ks, klen, K_INDEX)) {
        const q = skipValue(p, end);
        if (q == 0) return 0;
        const idx = parseDecimal(p, <i32>(q - p));
        f.index = idx >= 0 && idx < 1000000 ? <i32>idx : -1;
        return q;
      }
      if (v == 0x22 && bytesEqual(ks, klen, K_FINISH_REASON)) return stringAt(p, end, f, 1);
      if (v == 0x22 && bytesEqual(ks, klen, K_TEXT)) return stringAt(p, end, f, 0);
      if (v == 0x7b && (bytesEqual(ks, klen, K_DELTA) || bytesEqual(ks, klen, K_MESSAGE))) {
        return scanObject(p, end, c, collect, LEVEL_MESSAGE, f);
      }
    } else if (v == 0x22) { // LEVEL_MESSAGE
      if (bytesEqual(ks, klen, K_CONTENT)) return stringAt(p, end, f, 0);
      if (bytesEqual(ks, klen, K_ROLE)) return stringAt(p, end, f, 2);
      if (bytesEqual(ks, klen, K_REASONING)) {
        const q = skipString(p, end);
        if (q != 0 && q - p > 2) f.textFragment = true;
        return q;
      }
    }
  }
  return skipValue(p, end);
}

// A string value's body into one of the choice's slots: 0 content/text, 1 finish_reason, 2 role.
function stringAt(p: usize, end: usize, f: ChoiceFields, slot: i32): usize {
  const q = skipString(p, end);
  if (q == 0) return 0;
  const bp = p + 1;
  const bl = <i32>(q - 1 - bp);
  if (slot == 0) { f.contentPtr = bp; f.contentLen = bl; }
  else if (slot == 1) { f.finishPtr = bp; f.finishLen = bl; }
  else { f.rolePtr = bp; f.roleLen = bl; }
  return q;
}

function scanChoices(p: usize, end: usize, c: Completion, collect: bool): usize {
  p = skipWs(p + 1, end);
  if (p < end && load<u8>(p) == 0x5d) return p + 1;
  while (p < end) {
    if (load<u8>(p) == 0x7b) {
      const f = fields;
      f.clear();
      p = scanObject(p, end, c, collect, LEVEL_CHOICE, f);
      if (p == 0) return 0;
      applyChoice(c, f, collect);
    } else {
      p = skipValue(p, end);
      if (p == 0) return 0;
    }
    p = skipWs(p, end);
    if (p >= end) return 0;
    const b = load<u8>(p);
    if (b == 0x5d) return p + 1;
    if (b != 0x2c) return 0;
    p = skipWs(p + 1, end);
  }
  return 0;
}

function applyChoice(c: Completion, f: ChoiceFields, collect: bool): void {
  if (f.contentLen > 0 || f.textFragment) c.sawToken = true;
  if (f.index < 0 || f.index >= MAX_CHOICES) {
    if (f.contentLen > 0 && collect) c.contentTruncated = true;
    return;
  }
  const ch = unchecked(c.choices[f.index]);
  ch.seen = true;
  if (f.finishLen > 0 && f.finishLen <= MAX_NAME_BYTES && isCleanHeaderText(f.finishPtr, f.finishLen)) {
    ch.finishReason = copyOf(f.finishPtr, f.finishLen);
  }
  if (ch.role === null && f.roleLen > 0 && f.roleLen <= MAX_NAME_BYTES && isCleanHeaderText(f.rolePtr, f.roleLen)) {
    ch.role = copyOf(f.rolePtr, f.roleLen);
  }
  if (!collect || f.contentLen <= 0 || c.contentTruncated) return;
  if (!validEscapesAndUtf8(f.contentPtr, f.contentLen)) { c.contentTruncated = true; return; }
  const rc = ch.content.append(f.contentPtr, f.contentLen, c.contentLimit - c.contentBytes + ch.content.len);
  if (rc == APPENDED) c.contentBytes += f.contentLen;
  else {
    c.contentTruncated = true;
    if (rc == APPEND_OVER_BUDGET) c.overBudget = true;
  }
}

function validEscapesAndUtf8(p: usize, n: i32): bool {
  return validEscapes(p, n) && isValidUtf8(p, <usize>n);
}

// model (which 0) or id (which 1): the first one seen, when it is a short clean string.
function keepName(p: usize, end: usize, c: Completion, which: i32): usize {
  const q = skipString(p, end);
  if (q == 0) return 0;
  if ((which == 0 ? c.model : c.id) !== null) return q; // every chunk repeats them: read once
  const bp = p + 1;
  const bl = <i32>(q - 1 - bp);
  if (bl > 0 && bl <= MAX_NAME_BYTES && isCleanHeaderText(bp, bl)) {
    if (which == 0) c.model = copyOf(bp, bl);
    else c.id = copyOf(bp, bl);
  }
  return q;
}

// The streamed completion in the shape of the non-streamed response: chat.completion with
// choices[].message, or text_completion with choices[].text; usage when it was reported.
export function writeReassembled(out: ByteBuilder, c: Completion, chat: bool): void {
  out.reset();
  out.ascii("{");
  if (c.id !== null) { out.ascii("\"id\":\""); out.buffer(changetype<ArrayBuffer>(c.id)); out.ascii("\","); }
  out.ascii(chat ? "\"object\":\"chat.completion\"" : "\"object\":\"text_completion\"");
  if (c.created !== null) { out.ascii(",\"created\":"); out.buffer(changetype<ArrayBuffer>(c.created)); }
  if (c.model !== null) { out.ascii(",\"model\":\""); out.buffer(changetype<ArrayBuffer>(c.model)); out.ascii("\""); }
  out.ascii(",\"choices\":[");
  let first = true;
  for (let i = 0; i < MAX_CHOICES; i++) {
    const ch = unchecked(c.choices[i]);
    if (!ch.seen) continue;
    if (!first) out.byte(0x2c);
    first = false;
    out.ascii("{\"index\":");
    out.decimal(<u64>i);
    if (chat) {
      out.ascii(",\"message\":{\"role\":\"");
      const role = ch.role;
      if (role !== null) out.buffer(role);
      else out.ascii("assistant");
      out.ascii("\",\"content\":\"");
      out.bytes(ch.content.ptr, ch.content.len);
      out.ascii("\"}");
    } else {
      out.ascii(",\"text\":\"");
      out.bytes(ch.content.ptr, ch.content.len);
      out.ascii("\"");
    }
    out.ascii(",\"finish_reason\":");
    const fr = ch.finishReason;
    if (fr !== null) { out.byte(0x22); out.buffer(fr); out.byte(0x22); }
    else out.ascii("null");
    out.byte(0x7d);
  }
  out.byte(0x5d);
  if (c.usageSeen) {
    out.ascii(",\"usage\":{");
    let sep = false;
    if (c.promptTokens >= 0) { out.ascii("\"prompt_tokens\":"); out.decimal(<u64>c.promptTokens); sep = true; }
    if (c.completionTokens >= 0) { if (sep) out.byte(0x2c); out.ascii("\"completion_tokens\":"); out.decimal(<u64>c.completionTokens); sep = true; }
    if (c.totalTokens >= 0) { if (sep) out.byte(0x2c); out.ascii("\"total_tokens\":"); out.decimal(<u64>c.totalTokens); }
    out.byte(0x7d);
  }
  out.byte(0x7d);
}
