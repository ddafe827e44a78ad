// Server-Sent Events (WHATWG HTML "event stream interpretation"), parsed as a body streams by:
// begin() with each piece of the body, then next() until it returns false; each true gives
// one event's data (its data lines joined by LF) at eventPtr/eventLen, valid until the next
// call. Lines end in LF, CRLF or CR; fields other than data, and comments, are ignored.
//
// Bounded per stream: a line begun in one piece and ended in a later one is kept, and so is
// the data of an event not yet closed by its blank line, each at most maxEventBytes and
// charged to the memory budget. An event that would pass the bound (or that the budget
// refuses) is skipped, and counted in `skipped`. The common case, an event wholly inside one
// piece, is read where it lies and copied nowhere. Work per piece is one pass over its bytes.

import { HeldBytes, APPENDED, APPEND_OVER_BUDGET, APPEND_OVER_LIMIT } from "./held-bytes";
import { lit, zeroBytes } from "./bytes";

const LF: u8 = 0x0a;
const CR: u8 = 0x0d;
const NL = lit("\n");
const ONES: u64 = 0x0101010101010101;

// Whether any of the eight bytes of w is LF or CR (SWAR: a line scan skips the rest 8 at a time).
@inline function lineEnds(w: u64): bool {
  return (zeroBytes(w ^ (ONES * 0x0a)) | zeroBytes(w ^ (ONES * 0x0d))) != 0;
}

export class SseParser {
  maxEventBytes: i32 = 65536;
  skipped: i32 = 0; // events over maxEventBytes or refused by the budget
  overBudget: bool = false;
  eventPtr: usize = 0;
  eventLen: i32 = 0;

  private line: HeldBytes = new HeldBytes(); // a line begun in an earlier piece
  private data: HeldBytes = new HeldBytes(); // the current event's data, when it cannot stay in place
  private inPlacePtr: usize = 0; // the current event's one data line, still in the current piece
  private inPlaceLen: i32 = 0;
  private dataLines: i32 = 0;
  private oversize: bool = false; // the current event is skipped
  private discardLine: bool = false; // the rest of an over-long line is skipped
  private afterCR: bool = false; // the last piece ended in CR: an LF starting this one belongs to it
  private p: usize = 0;
  private end: usize = 0;

  begin(p: usize, n: i32): void {
    this.p = p;
    this.end = p + <usize>n;
  }

  next(): bool {
    while (this.p < this.end) {
      if (this.afterCR) {
        this.afterCR = false;
        if (load<u8>(this.p) == LF) { this.p++; continue; }
      }
      const start = this.p;
      let q = start;
      while (q + 8 <= this.end && !lineEnds(load<u64>(q))) q += 8;
      while (q < this.end) {
        const c = load<u8>(q);
        if (c == LF || c == CR) break;
        q++;
      }
      if (q == this.end) {
        this.keepPartial(start, <i32>(q - start));
        this.p = this.end;
        break;
      }
      this.p = q + 1;
      if (load<u8>(q) == CR) {
        if (this.p < this.end) { if (load<u8>(this.p) == LF) this.p++; }
        else this.afterCR = true;
      }
      if (this.discardLine) {
        this.discardLine = false;
        this.line.clear();
        continue;
      }
      let ls = start, ll = <i32>(q - start);
      let buffered = false;
      if (this.line.len > 0) {
        const rc = this.line.append(start, ll, this.maxEventBytes);
        if (rc != APPENDED) {
          this.skipEvent(rc);
          this.line.clear();
          continue;
        }
        ls = this.line.ptr;
        ll = this.line.len;
        buffered = true;
      }
      const dispatched = this.onLine(ls, ll, buffered);
      if (buffered) this.line.clear();
      if (dispatched) return true;
    }
    this.flushInPlace(); // the piece is used up: data still in it must be kept
    return false;
  }

  // End of the body: a last line without its end, and an event without its blank line, are
  // still read (the standard drops them; a server that stops short should not lose its usage).
  finish(): bool {
    if (this.line.len > 0 && !this.discardLine) {
      // Read where it is held (not copied again): the buffer stays as it is until released.
      const d = this.onLine(this.line.ptr, this.line.len, false);
      this.line.clear();
      if (d) return true;
    }
    this.discardLine = false;
    return this.dispatch();
  }

  release(): void {
    this.line.release();
    this.data.release();
  }

  // Back to a fresh stream (a reused stream's; buffers released first).
  reset(): void {
    this.release();
    this.skipped = 0;
    this.overBudget = false;
    this.eventPtr = 0;
    this.eventLen = 0;
    this.inPlacePtr = 0;
    this.inPlaceLen = 0;
    this.dataLines = 0;
    this.oversize = false;
    this.discardLine = false;
    this.afterCR = false;
    this.p = 0;
    this.end = 0;
  }

  private keepPartial(p: usize, n: i32): void {
    if (this.discardLine || n == 0) return;
    const rc = this.line.append(p, n, this.maxEventBytes);
    if (rc != APPENDED) {
      this.skipEvent(rc);
      this.line.clear();
      this.discardLine = true;
    }
  }

  // One complete line; true when it dispatched an event.
  private onLine(p: usize, n: i32, buffered: bool): bool {
    if (n == 0) return this.dispatch();
    if (n < 4 || load<u32>(p) != 0x61746164) return false; // "data", little-endian
    if (n > 4 && load<u8>(p + 4) != 0x3a) return false; // another field whose name starts with "data"
    let v = p + 4, vl = n - 4;
    if (vl > 0) {
      v++; vl--; // the colon
      if (vl > 0 && load<u8>(v) == 0x20) { v++; vl--; }
    }
    this.addData(v, vl, buffered);
    return false;
  }

  private addData(p: usize, n: i32, buffered: bool): void {
    if (this.oversize) return;
    if (n > this.maxEventBytes) { this.skipEvent(APPEND_OVER_LIMIT); return; }
    if (this.dataLines == 0 && !buffered) {
      this.inPlacePtr = p;
      this.inPlaceLen = n;
      this.dataLines = 1;
      return;
    }
    this.flushInPlace();
    if (this.oversize) return;
    if (this.dataLines > 0) this.appendData(changetype<usize>(NL), 1);
    this.appendData(p, n);
    this.dataLines++;
  }

  private flushInPlace(): void {
    if (this.inPlacePtr == 0) return;
    const p = this.inPlacePtr;
    this.inPlacePtr = 0;
    this.appendData(p, this.inPlaceLen);
  }

  private appendData(p: usize, n: i32): void {
    if (this.oversize) return;
    const rc = this.data.append(p, n, this.maxEventBytes);
    if (rc != APPENDED) this.skipEvent(rc);
  }

  private skipEvent(rc: i32): void {
    if (rc == APPEND_OVER_BUDGET) this.overBudget = true;
    this.oversize = true;
    this.data.clear();
    this.inPlacePtr = 0;
  }

  private dispatch(): bool {
    if (this.oversize) {
      this.oversize = false;
      this.dataLines = 0;
      this.skipped++;
      return false;
    }
    if (this.dataLines == 0) return false;
    this.dataLines = 0;
    if (this.inPlacePtr != 0) {
      this.eventPtr = this.inPlacePtr;
      this.eventLen = this.inPlaceLen;
      this.inPlacePtr = 0;
    } else {
      this.eventPtr = this.data.ptr;
      this.eventLen = this.data.len;
      this.data.clear(); // its bytes stay readable until the next append
    }
    return true;
  }
}
