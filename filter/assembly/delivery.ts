// Delivery of events to the logger: callouts in flight, bounded retries with
// backoff, and the drain of a retired configuration. An event is settled
// exactly once as sent, failed or dropped, so sent + failed + dropped = attempted.
//
// Memory is bounded: at most limits.maxInflightCallouts callouts in flight and
// as many waiting for a retry; a body is kept for a possible retry only while
// the bytes kept stay within retry.budgetBytes (beyond it the event is still
// sent once, without a retry). A retry re-serializes the headers from the
// configuration's precomputed block, so nothing per event grows with the
// number of annotations.

import { ByteBuilder, NO_BYTES, containsAsciiCaseless, lit, parseDecimal } from "./bytes";
import {
  EventFields, EventTemplate, EventWriter, NO_EXCHANGE, appendStructured, writeBatchHeaders, writeBinary,
} from "./event";
import { isJsonValue } from "./redact";
import { Active } from "./active";
import {
  MAP_HTTP_CALL_RESPONSE_HEADERS, OK, headerBlock, httpCall, readHeaderValue, logWarn, nowNanos, randomBytes, rootDone, setTickPeriod,
} from "./hostcalls";
import { metrics } from "./metrics";
import { copyToBuffer, giveBuffer, heldBytes } from "./body-pool";

const TICK_MS: u32 = 20;
const RAND = memory.data(4);
const STATUS = lit(":status");
const JSON_WORD = lit("json");

// One event on its way (event.ts built its fields) — or, in batch mode, one batch of events.
// It references the stream's buffers; it copies nothing.
export class Outgoing extends EventFields {
  count: i32 = 1; // events carried: 1, or the size of a batch
  isBatch: bool = false;
  retries: i32 = 0;
  dueAt: u64 = 0;
  kept: bool = false; // body counted against the retry budget

  constructor(public a: Active, public tpl: EventTemplate) {
    super();
  }

  // A recycled event starts over as a new one (every field as the constructor leaves it).
  reuse(a: Active, tpl: EventTemplate): void {
    this.resetEventFields();
    this.a = a;
    this.tpl = tpl;
    this.count = 1;
    this.isBatch = false;
    this.retries = 0;
    this.dueAt = 0;
    this.kept = false;
  }
}

// Settled events kept for reuse (an exchange makes two): no object per event in steady state.
const SPARE_MAX: i32 = 64;

export class Delivery {
  private inflight: Map<u32, Outgoing> = new Map<u32, Outgoing>();
  private spare: Outgoing[] = [];
  private waiting: Outgoing[] = [];
  private keptBytes: i64 = 0;
  private writer: EventWriter = new EventWriter();
  private tokenOut: usize = memory.data(4);
  private ticking: bool = false;
  private draining: bool = false;
  private drainDeadline: u64 = 0;
  private failures: u64 = 0;
  // Batch mode: the events waiting to go out together, as a JSON array in the making.
  private batchBuf: ByteBuilder = new ByteBuilder(1024);
  private batchCount: i32 = 0;
  private batchActive: Active | null = null;
  private batchStarted: u64 = 0;
  private heldReported: i64 = 0;

  // A new event for a stream to fill (a settled one reused when there is one).
  newEvent(a: Active, tpl: EventTemplate): Outgoing {
    if (this.spare.length == 0) return new Outgoing(a, tpl);
    const o = this.spare.pop();
    o.reuse(a, tpl);
    return o;
  }

  // The event is settled and referenced nowhere any more.
  private recycle(o: Outgoing): void {
    o.exchange = NO_EXCHANGE; // lets the exchange's fields go
    o.body = NO_BYTES;
    if (this.spare.length < SPARE_MAX) this.spare.push(o);
  }

  get inflightCount(): i32 {
    return this.inflight.size;
  }

  get waitingCount(): i32 {
    return this.waiting.length;
  }

  // A new event. Never blocks: beyond the in-flight cap it is dropped and counted.
  submit(o: Outgoing, now: u64): void {
    const m = metrics();
    m.inc(m.attempted);
    if (o.truncated) m.inc(m.truncated);
    if (o.overBudget) m.inc(m.overBudget);
    this.reportHeld();
    if (o.a.config.batchMaxEvents > 0) {
      this.addToBatch(o, now);
      return;
    }
    this.send(o, now);
  }

  // An event of a stream the memory budget had no room for: counted, never built.
  unbuilt(): void {
    const m = metrics();
    m.inc(m.attempted);
    m.inc(m.overBudget);
    m.inc(m.dropped);
    this.note("the memory budget (limits.maxHeldBytes) is full; an event was dropped");
  }

  // The held-bytes gauge, when it moved by 4 KiB or more (one host call, not one per event).
  private reportHeld(): void {
    const h = heldBytes();
    const d = h - this.heldReported;
    if (d < 4096 && d > -4096) return;
    this.heldReported = h;
    const m = metrics();
    m.record(m.held, <u64>h);
  }

  // Dispatches an event or a batch, unless the in-flight cap is reached.
  private send(o: Outgoing, now: u64): void {
    if (this.inflight.size >= o.a.config.maxInflightCallouts) {
      const m = metrics();
      m.add(m.dropped, o.count);
      this.note("the in-flight cap of " + o.a.config.maxInflightCallouts.toString() + " callouts is reached; " + o.count.toString() + " event(s) dropped");
      this.dropBody(o);
      this.recycle(o);
      return;
    }
    const cfg = o.a.config;
    if (cfg.maxRetries > 0 && this.keptBytes + <i64>o.body.byteLength <= <i64>cfg.retryBudgetBytes) {
      o.kept = true;
      this.keptBytes += o.body.byteLength;
    }
    this.dispatch(o, now);
  }

  // Batch mode (application/cloudevents-batch+json): events of one configuration
  // gather until batch.maxEvents, batch.maxBytes or batch.intervalMs is reached.
  private addToBatch(o: Outgoing, now: u64): void {
    if (this.batchCount > 0 && this.batchActive !== o.a) this.flushBatch(now);
    const cfg = o.a.config;
    const buf = this.batchBuf;
    if (this.batchCount == 0) {
      buf.reset();
      buf.byte(0x5b);
      this.batchActive = o.a;
      this.batchStarted = now;
    } else buf.byte(0x2c);
    appendStructured(buf, o.tpl, o, now, this.isJsonBody(o));
    this.dropBody(o); // copied into the batch
    this.recycle(o);
    this.batchCount++;
    if (this.batchCount >= cfg.batchMaxEvents || buf.len >= cfg.batchMaxBytes) this.flushBatch(now);
    else this.setTicking(true);
  }

  private isJsonBody(o: Outgoing): bool {
    const ct = o.exchange.contentType;
    if (ct === null || o.body.byteLength == 0) return false;
    if (!containsAsciiCaseless(changetype<usize>(ct), ct.byteLength, JSON_WORD)) return false;
    return isJsonValue(changetype<usize>(o.body), o.body.byteLength);
  }

  private flushBatch(now: u64): void {
    const a = this.batchActive;
    if (this.batchCount == 0 || a === null) return;
    this.batchBuf.byte(0x5d);
    const count = this.batchCount;
    this.batchCount = 0;
    this.batchActive = null;
    const body = copyToBuffer(this.batchBuf.ptr, this.batchBuf.len);
    if (body === null) {
      const m = metrics();
      m.add(m.overBudget, count);
      m.add(m.dropped, count);
      this.note("the memory budget (limits.maxHeldBytes) has no room for a batch of " + count.toString() + " event(s); dropped");
      return;
    }
    const b = this.newEvent(a, a.templates.batch);
    b.isBatch = true;
    b.count = count;
    b.body = body;
    this.send(b, now);
  }

  // `now` becomes ce-recordedtime: the callout leaves in this callback.
  private dispatch(o: Outgoing, now: u64): void {
    if (o.isBatch) this.call(o, writeBatchHeaders(this.writer, o.tpl));
    else this.call(o, writeBinary(this.writer, o.tpl, o, o.a.config.percentEncode, now));
  }

  private call(o: Outgoing, pairs: ByteBuilder): void {
    const cfg = o.a.config;
    const rc = httpCall(o.a.templates.cluster, pairs.ptr, pairs.len, changetype<usize>(o.body), o.body.byteLength,
      cfg.timeoutMs, this.tokenOut);
    // The host copied the body; it is needed again only for a retry.
    if (!o.kept) this.dropBody(o);
    if (rc != OK) {
      // The host refused the call itself (unknown cluster, bad headers): a retry would be refused too.
      this.settle(o, false, "the host refused the callout to cluster " + cfg.cluster + " (result " + rc.toString() + ")");
      return;
    }
    this.inflight.set(load<u32>(this.tokenOut), o);
    const m = metrics();
    m.record(m.inflight, <u64>this.inflight.size);
  }

  // proxy_on_http_call_response: headers == 0 means the connection failed or was reset.
  onResponse(token: u32, headers: u32): void {
    if (!this.inflight.has(token)) return;
    const o = this.inflight.get(token);
    this.inflight.delete(token);
    const m = metrics();
    m.record(m.inflight, <u64>this.inflight.size);
    let code: i32 = 0;
    if (headers != 0) {
      const n = readHeaderValue(MAP_HTTP_CALL_RESPONSE_HEADERS, STATUS);
      if (n > 0) {
        const v = parseDecimal(headerBlock(), n);
        code = v >= 0 && v < 1000 ? <i32>v : 0;
      }
    }
    if (code >= 200 && code < 300) this.settle(o, true, "");
    else {
      const why = headers == 0 ? "the connection to the logger failed or was reset" : "the logger answered " + code.toString();
      // Connection failures, 5xx (504 is Envoy's timeout) and 429 are worth another try; other 4xx are not.
      const retryable = headers == 0 || code >= 500 || code == 429 || code == 0;
      if (!(retryable && this.scheduleRetry(o))) this.settle(o, false, why);
    }
    this.maybeFinishDrain();
  }

  private scheduleRetry(o: Outgoing): bool {
    const cfg = o.a.config;
    if (!o.kept || o.retries >= cfg.maxRetries) return false;
    if (this.waiting.length >= cfg.maxInflightCallouts) return false;
    o.retries++;
    // Exponential backoff with jitter in [base/2, base].
    let base = <i64>cfg.initialBackoffMs << (o.retries - 1);
    if (base > <i64>cfg.maxBackoffMs) base = <i64>cfg.maxBackoffMs;
    let jitter: i64 = 0;
    if (randomBytes(RAND, 4)) jitter = <i64>(load<u32>(RAND) % <u32>(base / 2 + 1));
    o.dueAt = nowNanos() + <u64>(base / 2 + jitter) * 1_000_000;
    this.waiting.push(o);
    this.setTicking(true);
    return true;
  }

  private settle(o: Outgoing, ok: bool, why: string): void {
    const m = metrics();
    if (ok) m.add(m.sent, o.count);
    else {
      m.add(m.failed, o.count);
      this.note(why);
    }
    this.release(o);
    this.recycle(o);
  }

  private release(o: Outgoing): void {
    if (o.kept) {
      this.keptBytes -= o.body.byteLength;
      o.kept = false;
      this.dropBody(o);
    }
  }

  // The event's body is not needed any more: back to the pool (body-pool.ts).
  private dropBody(o: Outgoing): void {
    const b = o.body;
    o.body = NO_BYTES;
    giveBuffer(b);
  }

  // Root tick: re-dispatch retries that are due; end a drain that ran out of time.
  tick(): void {
    const now = nowNanos();
    if (this.waiting.length > 0) {
      const still: Outgoing[] = [];
      const due: Outgoing[] = [];
      for (let i = 0; i < this.waiting.length; i++) {
        const o = this.waiting[i];
        if (o.dueAt <= now) due.push(o);
        else still.push(o);
      }
      this.waiting = still;
      const m = metrics();
      for (let i = 0; i < due.length; i++) {
        m.add(m.retried, due[i].count);
        this.dispatch(due[i], now);
      }
    }
    const a = this.batchActive;
    if (this.batchCount > 0 && a !== null && now - this.batchStarted >= <u64>a.config.batchIntervalMs * 1_000_000) this.flushBatch(now);
    if (this.draining && now >= this.drainDeadline) {
      this.dropAll("still undelivered when the retired configuration's drain time ran out");
      this.finishDrain();
      return;
    }
    if (this.waiting.length == 0 && this.batchCount == 0 && !this.draining) this.setTicking(false);
    this.maybeFinishDrain();
  }

  // Root on_done: true when nothing is outstanding; else drain for at most drainTimeoutMs.
  beginDrain(drainTimeoutMs: i32): bool {
    this.flushBatch(nowNanos());
    if (this.inflight.size == 0 && this.waiting.length == 0) return true;
    if (drainTimeoutMs == 0) {
      this.dropAll("still undelivered when the configuration was retired");
      return true;
    }
    this.draining = true;
    this.drainDeadline = nowNanos() + <u64>drainTimeoutMs * 1_000_000;
    this.setTicking(true);
    return false;
  }

  private maybeFinishDrain(): void {
    if (this.draining && this.inflight.size == 0 && this.waiting.length == 0) this.finishDrain();
  }

  private finishDrain(): void {
    this.draining = false;
    this.setTicking(false);
    rootDone();
  }

  private dropAll(why: string): void {
    let n = 0;
    const outs = this.inflight.values();
    for (let i = 0; i < outs.length; i++) n += outs[i].count;
    for (let i = 0; i < this.waiting.length; i++) n += this.waiting[i].count;
    if (n == 0) return;
    const m = metrics();
    m.add(m.dropped, n);
    logWarn("kserve-logger: " + n.toString() + " events " + why + "; counted as dropped");
    for (let i = 0; i < outs.length; i++) this.release(outs[i]);
    for (let i = 0; i < this.waiting.length; i++) this.release(this.waiting[i]);
    this.inflight.clear();
    this.waiting = [];
    m.record(m.inflight, 0);
  }

  private setTicking(on: bool): void {
    if (on == this.ticking) return;
    this.ticking = on;
    setTickPeriod(on ? TICK_MS : 0);
  }

  // Logs the 1st, 2nd, 4th, 8th ... problem: visible, never a log flood.
  private note(what: string): void {
    this.failures++;
    if ((this.failures & (this.failures - 1)) == 0) {
      logWarn("kserve-logger: event not delivered: " + what + " (" + this.failures.toString() + " so far)");
    }
  }
}
